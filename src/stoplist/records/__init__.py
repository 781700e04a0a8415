"""The records every layer hands around: accounts, keys, stops and events.

Plain immutable dataclasses and enums. This package imports nothing else of
stoplist, so storage can build them and the domain, the adapters and the CLI
can read them without any of them depending on the others.
"""
