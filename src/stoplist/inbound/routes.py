"""Routes of the inbound webhooks: ``/inbound/<token>/<provider>``.

The handler is the same for every provider: find the account by its token
(an unknown token, an unknown provider and an endpoint the account switched
off all answer a plain 404), read the request within the body limit, check
its signature when the account requires one for this provider (403
otherwise, and nothing is recorded), parse, then hand the message to the
domain. The answer goes out only after the event is committed, or, when the
list stayed locked too long, once the message is safe in the spool
(``domain.inbound_spool``).
"""

from __future__ import annotations

from dataclasses import replace

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import InvalidSignature, MethodNotAllowed, NotFound, StoplistError
from stoplist.domain.inbound import Inbound, Outcome
from stoplist.domain.inbound_endpoints import (
    INBOUND_PATH,
    PROVIDER_NAMES,
    EndpointSettings,
    InboundEndpoints,
)
from stoplist.domain.inbound_spool import InboundSpool
from stoplist.inbound import generic, smspartner, twilio, vonage
from stoplist.inbound.common import Provider, read
from stoplist.observability import metrics
from stoplist.records.models import Account

PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (smspartner.PROVIDER, twilio.PROVIDER, vonage.PROVIDER, generic.PROVIDER)
}
assert tuple(PROVIDERS) == PROVIDER_NAMES


async def receive(request: Request) -> Response:
    provider = PROVIDERS.get(request.path_params["provider"])
    if provider is None:
        raise NotFound()
    if request.method not in provider.methods:
        raise MethodNotAllowed(provider.methods)
    try:
        outcome = await _receive(request, provider)
    except StoplistError:
        metrics.inbound_message(provider.name, "rejected")
        raise
    metrics.inbound_message(provider.name, outcome.verdict)
    return provider.answer(outcome)


async def _receive(request: Request, provider: Provider) -> Outcome:
    found = await run_in_threadpool(_endpoint, request, provider.name)
    if found is None:
        raise NotFound()
    account, settings = found
    read_request = await read(request, request.app.state.max_body_bytes)
    params = read_request.params
    if settings.signed:
        if provider.verify is None:
            raise InvalidSignature()
        params = provider.verify(request, settings, read_request)
    # Kept on the event (its details): the evidence of a STOP says whether it was signed.
    message = replace(provider.parse(params), signature_verified=settings.signed)
    spool: InboundSpool | None = request.app.state.inbound_spool
    if spool is None:
        return await run_in_threadpool(Inbound(request.app.state.db, account).receive, message)
    return await run_in_threadpool(spool.receive, account, message)


def _endpoint(request: Request, provider: str) -> tuple[Account, EndpointSettings] | None:
    """The account behind the URL's token and its settings for ``provider``, if switched on."""
    accounts: Accounts = request.app.state.accounts
    account = accounts.find_by_inbound_token(request.path_params["token"])
    if account is None:
        return None
    settings = InboundEndpoints(request.app.state.db, account).get(provider)
    return (account, settings) if settings.enabled else None


def routes() -> list[BaseRoute]:
    return [Route(INBOUND_PATH, receive, methods=["GET", "POST"])]
