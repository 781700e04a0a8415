"""The web dashboard for support and marketing staff."""
