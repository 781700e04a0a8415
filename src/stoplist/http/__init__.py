"""What every HTTP adapter shares: reading a call, negotiating its format and
language, rendering an answer, and trusting a reverse proxy.

The API (``stoplist.api``), the inbound webhooks (``stoplist.inbound``) and the
dashboard (``stoplist.web``) import from here and never from one another.
"""
