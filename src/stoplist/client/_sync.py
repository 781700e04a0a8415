"""The blocking client."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any

import httpx
import tenacity

from stoplist.client import _core, _review, answers
from stoplist.client._core import Call, Format
from stoplist.client.errors import StoplistError
from stoplist.client.models import (
    Check,
    FilterResult,
    History,
    Page,
    ReviewItem,
    ReviewPage,
    Stop,
)


class Client(_core.ClientBase):
    """A stop list reached over HTTP: a stoplist server or SMS Partner itself.

    ``base_url`` defaults to the ``STOPLIST_BASE_URL`` environment variable,
    then to SMS Partner's; ``api_key`` to the ``STOPLIST_API_KEY`` variable;
    ``timezone`` is the account's zone, in which the API writes its times.
    Use it as a context manager, or call ``close()``.
    """

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 10.0,
        format: Format = "json",
        timezone: str = _core.DEFAULT_TIMEZONE,
        retries: int = 3,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self._conf = _core.settings(base_url, api_key, timeout, format, timezone, retries, backoff)
        self._http = httpx.Client(
            base_url=self._conf.base_url,
            timeout=timeout,
            transport=transport,
            headers=_core.headers(headers),
        )

    def list(self) -> builtins.list[Stop]:
        """The whole stop list, in id order."""
        return _core.page(self._send(_core.list_call()), self._conf.zone).stops

    def list_page(self, *, limit: int, after: int | None = None) -> Page:
        """One page of the list (the ``limit``/``after`` extension)."""
        document = self._send(_core.list_call(limit=limit, after=after))
        return _core.page(document, self._conf.zone)

    def iter_stops(self, *, page_size: int = _core.DEFAULT_PAGE_SIZE) -> Iterator[Stop]:
        """Every entry, a page at a time where the server pages, else from one ``list``."""
        after: int | None = None
        while True:
            page = self.list_page(limit=page_size, after=after)
            yield from page.stops
            if not page.paged or page.next_after is None:
                return
            after = page.next_after

    def add(self, number: str) -> int:
        """Stop ``number``; its new ``stopId``. ``AlreadyStopped`` carries the existing one."""
        return _core.stop_id(self._send(_core.add_call(number)))

    def delete(self, stop_id: int) -> None:
        """Take entry ``stop_id`` off the list (the number may receive messages again)."""
        self._send(_core.delete_call(stop_id))

    def check(self, number: str) -> Check:
        """Whether ``number`` is stopped."""
        return _core.check(self._send(_core.check_call(number)), self._conf.zone)

    def filter(self, numbers: Iterable[str]) -> FilterResult:
        """The verdict on each number of a send list, in input order."""
        return _core.filter_result(self._send(_core.filter_call(numbers)))

    def history(self, number: str) -> History:
        """Everything that happened to ``number``, newest first."""
        return _core.history(self._send(_core.history_call(number)), self._conf.zone)

    def erase(
        self, number: str, *, actor: str | None = None, reason: str | None = None
    ) -> answers.Erased:
        """Erase ``number`` at its owner's request: only a keyed hash remains and it stays
        stopped (stoplist only). Erasing it again changes nothing (``already``)."""
        done: answers.Erased = self._send(_core.erase_call(number, actor, reason))
        return done

    def evidence(self, number: str) -> answers.Evidence:
        """Everything recorded about ``number`` with its hash-chain proof (stoplist only)."""
        found: answers.Evidence = self._send(_core.evidence_call(number))
        return found

    def export_events(
        self,
        *,
        since: datetime | str | None = None,
        until: datetime | str | None = None,
        format: str = "csv",
    ) -> Iterator[bytes]:
        """The account's events of ``[since, until)`` as CSV or NDJSON bytes, streamed
        (stoplist only). An error is raised when iteration starts."""
        request = _core.export_events_request(
            self._http, self._conf, since=since, until=until, format=format
        )
        response = self._http.send(request, stream=True)
        try:
            if response.status_code >= 400:
                response.read()
                raise _core.export_failure(response)
            yield from response.iter_bytes()
        finally:
            response.close()

    def list_review(
        self,
        *,
        status: str | None = None,
        limit: int | None = None,
        after: int | None = None,
    ) -> ReviewPage:
        """The review queue (an extension): pending items unless ``status`` says otherwise.

        ``status`` is ``pending``, ``confirmed``, ``dismissed`` or ``all``;
        the next page starts ``after`` the last item's id.
        """
        answer = self._send(_review.list_call(status, limit, after))
        return _review.page(answer, self._conf.zone)

    def confirm_review(
        self, item_id: int, *, actor: str | None = None, reason: str | None = None
    ) -> ReviewItem:
        """Confirm a possible opt-out: the number is stopped as of the message's time."""
        call = _review.decision_call(item_id, confirmed=True, actor=actor, reason=reason)
        return _review.item(self._send(call), self._conf.zone)

    def dismiss_review(
        self, item_id: int, *, actor: str | None = None, reason: str | None = None
    ) -> ReviewItem:
        """Dismiss a possible opt-out: the message stays a reply."""
        call = _review.decision_call(item_id, confirmed=False, actor=actor, reason=reason)
        return _review.item(self._send(call), self._conf.zone)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, call: Call) -> Any:
        policy = _core.RetryPolicy(call, self._conf)
        try:
            for attempt in tenacity.Retrying(**policy.options):
                with attempt:
                    request = _core.build_request(self._http, call, self._conf)
                    response = self._http.send(request)
                    return _core.decode(call, response)
        except (httpx.TransportError, StoplistError) as exc:
            return policy.after_last(exc)
        raise AssertionError("tenacity returns or raises")  # pragma: no cover
