"""Authenticating a call and checking one number: the reads every request starts with.

Every API call names its key, and most calls are ``check``: "may I text this
number?". Both questions are answered by one read (``CheckReads.read``): the
account behind the key's digest, and that account's entry for the number,
when the number is already in its E.164 form. The read is made after the call
arrived, so its answer includes every change committed (and acknowledged)
before: a revoked key is refused and a new STOP is "stopped" from that moment
on, whichever node or process made the change.

Only a number sent in another form (national, spaced, ``00``...) needs a
second read, once the account's default region has told its E.164 form.

A STOP acknowledged but not yet written (spooled while an import held the
list, ``storage.held_opt_outs``) is read with the rest: the number is
stopped, with no entry yet.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from stoplist.domain.accounts import hash_secret
from stoplist.domain.canonical import is_canonical_shaped
from stoplist.domain.e164 import is_e164_shaped
from stoplist.domain.errors import ApiKeyRequired, InvalidApiKey
from stoplist.domain.numbers import normalize
from stoplist.records.models import Account, Stop
from stoplist.storage.check_reads import CheckReads, KeyRead


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A call's account, with what its first read found for the number it sent."""

    key_read: KeyRead
    digest: str
    number: str | None
    """The E.164-shaped number looked up with the key, if the call sent one."""

    @property
    def account(self) -> Account:
        return self.key_read.account


@dataclass(frozen=True, slots=True)
class Checked:
    """A number's E.164 form, its entry when on the list, and whether a STOP for it is held:
    acknowledged, not yet written (it is stopped then, with no entry yet)."""

    number: str
    stop: Stop | None
    held: bool = False

    @property
    def stopped(self) -> bool:
        return self.stop is not None or self.held


class Checker:
    """Authenticates calls and answers ``check``, over one ``CheckReads``."""

    def __init__(self, reads: CheckReads) -> None:
        self.reads = reads

    async def authenticate(self, api_key: str | None, number: object = None) -> Authenticated:
        """The account of ``api_key``, or the contract's error 1 or 10.

        ``number`` (the number the call is about, as sent) is looked up in
        the same read when it is shaped like E.164, which spares ``check``
        its second read.
        """
        if api_key is None or not api_key.strip():
            raise ApiKeyRequired()
        digest = hash_secret(api_key.strip())
        shaped = number if isinstance(number, str) and is_e164_shaped(number) else None
        found = await self.reads.read(digest, shaped)
        if found is None or not hmac.compare_digest(found.stored_digest, digest):
            raise InvalidApiKey()
        return Authenticated(found, digest, shaped)

    async def check(self, call: Authenticated, raw: object) -> Checked:
        """One number's E.164 form and whether it is stopped; raises error 2 or 9.

        A number already read with the key is answered from that read when it
        is on the list or held, or when it is the canonical spelling (a list
        holds only those). Anything else is normalised, then read again.
        """
        shaped = call.number
        if shaped is not None and raw == shaped:
            read = call.key_read
            if read.stop is not None or read.held or is_canonical_shaped(shaped):
                return Checked(shaped, read.stop, read.held)
        number = normalize(raw, call.account.default_region)
        found = await self.reads.read(call.digest, number)
        if found is None:
            raise InvalidApiKey()  # revoked between the two reads
        return Checked(number, found.stop, found.held)

    async def aclose(self) -> None:
        await self.reads.aclose()
