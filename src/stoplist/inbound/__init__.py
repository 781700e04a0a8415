"""Inbound STOPs: provider webhooks and the keyword engine."""
