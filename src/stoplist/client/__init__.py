"""Python client for stoplist and the SMS Partner stop-sms API."""
