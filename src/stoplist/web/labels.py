"""The dashboard's names for values that come from the data: origins, sources, kinds.

A template writes ``label("source", stop.source)``; the name comes from the
catalogue, told apart by its table (``Import`` the source is not ``Import``
the menu entry in French). A value the table does not know shows as itself.
"""

from __future__ import annotations

from stoplist.i18n import NC_, Catalogue

_TABLES: dict[str, dict[str, str]] = {
    "origin": {
        "sms": NC_("origin", "SMS keyword"),
        "api": NC_("origin", "API"),
        "import": NC_("origin", "Import"),
        "sync": NC_("origin", "Sync"),
        "manual": NC_("origin", "Manual"),
    },
    "source": {
        "sms": NC_("source", "SMS"),
        "api": NC_("source", "API"),
        "import": NC_("source", "Import"),
        "sync": NC_("source", "Sync"),
        "dashboard": NC_("source", "Dashboard"),
        "cli": NC_("source", "Command line"),
        "schedule": NC_("source", "Scheduled task"),
        "upgrade": NC_("source", "Upgrade"),
    },
    "kind": {
        "opt_out": NC_("kind", "Opt-out"),
        "opt_in": NC_("kind", "Opt-in"),
        "help": NC_("kind", "Help request"),
        "reply": NC_("kind", "Reply"),
        "dismissed": NC_("kind", "Possible opt-out dismissed"),
        "erased": NC_("kind", "Erased at the person's request"),
        "retention": NC_("kind", "Old texts blanked (retention)"),
    },
    "review_status": {
        "pending": NC_("review_status", "Pending"),
        "confirmed": NC_("review_status", "Confirmed"),
        "dismissed": NC_("review_status", "Dismissed"),
    },
    "confirmation_status": {
        "answered": NC_("confirmation_status", "In the webhook answer"),
        "pending": NC_("confirmation_status", "Waiting to be sent"),
        "delivered": NC_("confirmation_status", "Sent through SMS Partner"),
        "failed": NC_("confirmation_status", "Failed"),
    },
    "reasonable_means": {
        "optout": NC_("reasonable_means", "Stop the number at once"),
        "review": NC_("reasonable_means", "Queue it for review (Possible opt-outs)"),
        "off": NC_("reasonable_means", "Treat it as a reply"),
    },
    "signing_secret": {
        "twilio": NC_("signing_secret", "Twilio auth token"),
        "vonage": NC_("signing_secret", "Vonage signature secret"),
    },
}


def label(words: Catalogue, table: str, value: object) -> str:
    """The name of ``value`` (an enum or its string) in ``table``, in ``words``' language."""
    key = str(getattr(value, "value", value))
    message = _TABLES[table].get(key)
    return words.pgettext(table, message) if message is not None else key
