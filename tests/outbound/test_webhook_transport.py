"""The guarded transport: addresses are checked after resolution, and the checked one is used.

Every receiver here listens on a loopback address; the policies under test
are told which loopback addresses to treat as public, so no test ever needs
(or sends) traffic beyond this machine.
"""

from __future__ import annotations

import asyncio
import ipaddress
import shutil
import ssl
import subprocess
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from stoplist.domain.webhook_urls import IPAddress
from stoplist.domain.webhooks import Claimed, generate_secret
from stoplist.outbound.dispatch import MAX_ANSWER, REFUSED_DESTINATION, TIMEOUT, _client, send
from stoplist.outbound.webhook_transport import (
    GuardedBackend,
    GuardedTransport,
    RefusedDestination,
    resolve,
)
from stoplist.storage.webhooks import DeliveryRow
from tests.support import free_port
from tests.webhook_receiver import Answer, Receiver, verified, wait_for

T = TypeVar("T")
PUBLIC = ipaddress.ip_address("127.0.0.2")  # stands for a public address in these tests


def only_public(address: IPAddress) -> bool:
    return address == PUBLIC


class Resolver:
    """Answers every name with ``answers``, and counts the questions."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.answers


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` on an event loop of its own, in a thread of its own.

    A session's Playwright keeps an event loop running in the main thread,
    where ``asyncio.run`` would refuse to start another.
    """
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _post(backend: GuardedBackend, url: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=GuardedTransport(backend)) as client:
        return await client.post(url, content=b"{}")


def _claimed(url: str, secret: str = "") -> Claimed:
    delivery = DeliveryRow(
        id=1, account_id=1, endpoint_id=1, event_id=1, message_id="msg_test",
        payload='{"type":"stop"}', status="pending", attempts=0, next_attempt_at=0,
        locked_until=None, last_status_code=None, last_error=None, created_at=0,
        delivered_at=None,
    )  # fmt: skip
    return Claimed(delivery, url, secret or generate_secret())


async def _send(claimed: Claimed, *, allow_private: bool = False, deadline: float = TIMEOUT):
    async with _client(30.0, allow_private=allow_private) as client:
        return await send(client, claimed, deadline)


def test_connects_to_the_address_it_checked_and_keeps_the_name():
    # The system resolver says localhost is 127.0.0.1, where nothing listens on this
    # port: a request that arrives went to the address the guard checked.
    with Receiver("127.0.0.2") as receiver:
        resolver = Resolver("127.0.0.2")
        backend = GuardedBackend(only_public, resolver)
        answer = run(_post(backend, receiver.url(host="localhost")))
    assert answer.status_code == 204
    [request] = receiver.requests()
    assert request.headers["Host"] == f"localhost:{receiver.port}"
    assert resolver.asked == ["localhost"]


def test_a_name_with_any_internal_answer_is_refused_before_connecting():
    with Receiver("127.0.0.2") as receiver:
        for answers in (("127.0.0.3",), ("127.0.0.2", "127.0.0.3"), ("127.0.0.3", "127.0.0.2")):
            backend = GuardedBackend(only_public, Resolver(*answers))
            with pytest.raises(RefusedDestination):
                run(_post(backend, receiver.url(host="localhost")))
        assert receiver.requests() == []


def test_a_name_that_does_not_resolve_is_refused_as_an_internal_one_is():
    """Told apart, the two would let an account map the names that resolve inside."""
    with Receiver("127.0.0.2") as receiver:
        for answers in ((), ("127.0.0.3",)):
            with pytest.raises(RefusedDestination):
                run(
                    _post(
                        GuardedBackend(only_public, Resolver(*answers)), receiver.url(host="x.test")
                    )
                )
        assert receiver.requests() == []
    assert run(resolve("a" * 64 + ".example", 443)) == []  # refused by the resolver itself


def test_literal_addresses_are_checked_without_resolving():
    with Receiver("127.0.0.2") as receiver:
        resolver = Resolver()
        backend = GuardedBackend(only_public, resolver)
        assert run(_post(backend, receiver.url())).status_code == 204
        with pytest.raises(RefusedDestination):
            run(_post(backend, receiver.url(host="127.0.0.1")))
    assert resolver.asked == []
    assert len(receiver.requests()) == 1


def test_by_default_loopback_is_refused_after_real_resolution():
    with Receiver() as receiver:
        closed = f"http://127.0.0.1:{free_port()}/hook"
        results = [
            run(_send(_claimed(url)))
            for url in (receiver.url(), receiver.url(host="localhost"), closed)
        ]
    assert receiver.requests() == []
    # An open port, a name and a closed port look the same: nothing was tried.
    assert {(r.status_code, r.error) for r in results} == {(None, REFUSED_DESTINATION)}


def test_allowed_private_receivers_get_signed_requests():
    secret = generate_secret()
    with Receiver() as receiver:
        result = run(_send(_claimed(receiver.url(), secret), allow_private=True))
    assert (result.status_code, result.error, result.ok) == (204, None, True)
    assert verified(receiver.requests(), secret) == [{"type": "stop"}]
    assert receiver.requests()[0].headers["webhook-id"] == "msg_test"


def test_redirects_are_not_followed():
    with Receiver() as target, Receiver(status=302, location=target.url()) as redirector:
        result = run(_send(_claimed(redirector.url()), allow_private=True))
    assert (result.status_code, result.error, result.ok) == (302, "HTTP 302", False)
    assert len(redirector.requests()) == 1
    assert target.requests() == []


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_large_answer_is_neither_read_whole_nor_inflated(encoding):
    """50 MB of answer (said to be gzip, or not): stoplist asks for no compression,
    reads a few KB as they come and hangs up. The status is what counts.

    Read whole, such an answer (or a gzip bomb, inflated) took as much of the
    server's memory; the receiver sees the hang-up as its writes failing.
    """
    answer = Answer(50 * 1024 * 1024, headers=(("content-encoding", encoding),))
    assert answer.size > 1000 * MAX_ANSWER
    with Receiver(status=200, answer=answer) as receiver:
        result = run(_send(_claimed(receiver.url()), allow_private=True))
        wait_for(lambda: receiver.whole + receiver.cut_off == 1, "the answer to end", 30)
    assert (result.status_code, result.error, result.ok) == (200, None, True)
    [request] = receiver.requests()
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["accept-encoding"] == "identity"
    assert (receiver.whole, receiver.cut_off) == (0, 1)


def test_an_attempt_ends_at_its_deadline_however_steadily_the_answer_trickles():
    """A byte every 0.1 s never trips httpx's timeout, which is per read."""
    trickle = Answer(50, chunk=1, pause=0.1)
    with Receiver(status=200, answer=trickle) as receiver:
        result = run(_send(_claimed(receiver.url()), allow_private=True, deadline=0.5))
    assert (result.status_code, result.ok) == (None, False)
    assert result.error == "timed out: no complete answer within 0.5 s"
    assert receiver.whole == 0


def test_any_failure_to_build_the_request_is_an_attempt_not_an_exception():
    with Receiver() as receiver:
        injected = run(_send(_claimed(receiver.url() + "\r\nX-Injected: yes"), allow_private=True))
        unsignable = run(
            _send(_claimed(receiver.url(), secret="whsec_not-base64!"), allow_private=True)
        )
    assert receiver.requests() == []
    assert injected.status_code is None
    assert injected.error == "refused: the URL contains spaces or control characters"
    assert (unsignable.status_code, unsignable.error) == (None, "the request could not be sent")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the name ``localhost`` only (no address in it)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_keeps_the_name_for_sni_and_the_certificate(certificate):
    cert, key = certificate
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    trusted = ssl.create_default_context(cafile=str(cert))
    with Receiver("127.0.0.2", tls=served) as receiver:
        backend = GuardedBackend(only_public, Resolver("127.0.0.2"))

        async def post() -> httpx.Response:
            transport = GuardedTransport(backend, verify=trusted)
            async with httpx.AsyncClient(transport=transport) as client:
                return await client.post(receiver.url(host="localhost"), content=b"{}")

        assert run(post()).status_code == 204
    assert receiver.server_names == ["localhost"]
    assert receiver.requests()[0].headers["Host"] == f"localhost:{receiver.port}"
