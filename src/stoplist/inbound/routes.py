"""Routes of the inbound webhooks: ``/inbound/<token>/<provider>``.

The handler is the same for every provider: find the account by its token
(an unknown token and an unknown provider both answer a plain 404), read the
request within the body limit, let the provider check its signature and
parse, then hand the message to the domain. The answer goes out only after
the event is committed.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import MethodNotAllowed, NotFound
from stoplist.domain.inbound import Inbound
from stoplist.inbound import generic, smspartner, twilio, vonage
from stoplist.inbound.common import Provider, read

PROVIDERS: dict[str, Provider] = {
    provider.name: provider
    for provider in (smspartner.PROVIDER, twilio.PROVIDER, vonage.PROVIDER, generic.PROVIDER)
}


async def receive(request: Request) -> Response:
    provider = PROVIDERS.get(request.path_params["provider"])
    if provider is None:
        raise NotFound()
    if request.method not in provider.methods:
        raise MethodNotAllowed(provider.methods)
    accounts: Accounts = request.app.state.accounts
    account = await run_in_threadpool(accounts.find_by_inbound_token, request.path_params["token"])
    if account is None:
        raise NotFound()
    read_request = await read(request, request.app.state.max_body_bytes)
    if provider.verify is not None:
        provider.verify(request, account, read_request)
    message = provider.parse(read_request.params)
    inbound = Inbound(request.app.state.db, account)
    outcome = await run_in_threadpool(inbound.receive, message)
    return provider.answer(outcome)


def routes() -> list[BaseRoute]:
    return [Route("/inbound/{token}/{provider}", receive, methods=["GET", "POST"])]
