"""The domain core: what a stop is, how numbers compare, who may see what,
and how events order. HTTP, CLI, inbound webhooks and the dashboard all call it.
"""
