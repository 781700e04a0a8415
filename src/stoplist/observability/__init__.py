"""What the service tells its operators: logs, metrics and database failures.

Nothing here decides anything about stop lists. Adapters and the domain call
in with one line (a counter, a log record); this package makes sure what
leaves the process never carries an API key, a token, an SMS text or a
phone number.
"""
