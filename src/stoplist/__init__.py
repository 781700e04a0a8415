"""stoplist: a self-hosted SMS opt-out service.

It keeps one authoritative stop list per account, learns opt-outs from the
replies SMS providers forward to it, and speaks the SMS Partner v1 ``stop-sms``
API so existing client code only needs a new base URL.
"""

__version__ = "0.1.0"
