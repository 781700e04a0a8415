"""A Python client for the stop-list API, on a stoplist server or SMS Partner.

    from stoplist.client import Client

    with Client("https://stoplist.example.com/v1", api_key="sl_...") as client:
        if not client.check("0612345678").stopped:
            ...

``AsyncClient`` offers the same methods to ``await``. Nothing here imports
the server, so the client works wherever ``httpx`` does: it is also released
alone, as the ``stoplist-client`` distribution (``packages/client``).
"""

from stoplist.client._async import AsyncClient
from stoplist.client._core import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from stoplist.client._sync import Client
from stoplist.client._version import __version__
from stoplist.client.errors import (
    AlreadyStopped,
    ApiError,
    ApiKeyRequired,
    InvalidApiKey,
    InvalidParameter,
    InvalidPhoneNumber,
    MalformedRequest,
    PhoneNumberRequired,
    ReviewAlreadyDecided,
    ReviewItemNotFound,
    ServerError,
    StopErased,
    StopIdRequired,
    StoplistError,
    StopNotFound,
    TransportError,
)
from stoplist.client.models import (
    Check,
    FilterItem,
    FilterResult,
    History,
    HistoryEvent,
    Page,
    ReviewItem,
    ReviewPage,
    Stop,
)
from stoplist.client.webhooks import InvalidWebhook, verify_webhook

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "AlreadyStopped",
    "ApiError",
    "ApiKeyRequired",
    "AsyncClient",
    "Check",
    "Client",
    "FilterItem",
    "FilterResult",
    "History",
    "HistoryEvent",
    "InvalidApiKey",
    "InvalidParameter",
    "InvalidPhoneNumber",
    "InvalidWebhook",
    "MalformedRequest",
    "Page",
    "PhoneNumberRequired",
    "ReviewAlreadyDecided",
    "ReviewItem",
    "ReviewItemNotFound",
    "ReviewPage",
    "ServerError",
    "Stop",
    "StopErased",
    "StopIdRequired",
    "StopNotFound",
    "StoplistError",
    "TransportError",
    "__version__",
    "verify_webhook",
]
