"""Outgoing webhooks: the dispatcher that delivers recorded events, and the
HTTP transport that refuses to connect anywhere it must not.
"""
