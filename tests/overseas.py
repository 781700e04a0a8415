"""Real French overseas numbers as a French CRM exports them, and their E.164 forms.

From each region's own numbering plan (mobiles and landlines), dialled from
France with the leading 0.
"""

from __future__ import annotations

OVERSEAS = [
    ("0690845073", "+590690845073"),  # Guadeloupe mobile
    ("06 90 00 12 34", "+590690001234"),  # Guadeloupe, Saint-Martin, Saint-Barthélemy mobile
    ("0590201234", "+590590201234"),  # Guadeloupe landline
    ("0590271234", "+590590271234"),  # Saint-Barthélemy / Saint-Martin landline
    ("0696201234", "+596696201234"),  # Martinique mobile
    ("0694201234", "+594694201234"),  # French Guiana mobile
    ("0594101234", "+594594101234"),  # French Guiana landline
    ("06.92.12.34.56", "+262692123456"),  # Réunion mobile
    ("0262161234", "+262262161234"),  # Réunion landline
    ("0639012345", "+262639012345"),  # Mayotte mobile
    ("0596 33 50 92", "+596596335092"),  # Martinique landline, also valid under +33
    ("0263 12 34 56", "+262263123456"),  # Réunion landline, also valid under +33
    ("0269 61 23 45", "+262269612345"),  # Mayotte landline, also valid under +33
    ("690845073", "+590690845073"),  # the leading 0 lost by a spreadsheet
]
