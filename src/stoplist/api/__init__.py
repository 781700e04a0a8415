"""HTTP: the SMS Partner-compatible ``stop-sms`` API and its extensions."""
