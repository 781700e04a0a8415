"""Bulk membership: which of these numbers may be texted?

Each input gets one verdict, in input order: ``stopped`` (with its stop id),
``allowed``, or ``invalid``. The verdict is always the one ``normalize``
followed by a lookup would give; the fast path only avoids work:

1. An input already shaped like E.164 is looked up as it is, without
   parsing. A stop list only ever holds valid numbers in their canonical
   form, so a hit is a stopped number, full stop.
2. A miss is ``allowed`` only when the input is valid and canonical, which
   ``is_canonical`` confirms from precompiled metadata in a microsecond.
   When it cannot confirm (an invalid number, or a spelling such as
   ``+330612345678`` that ``normalize`` rewrites to ``+33612345678``), the
   input goes through ``normalize`` like any other, and the rewritten number
   is looked up in turn. An E.164-shaped input is therefore never called
   ``allowed`` merely for looking right.
3. Every other input (national forms, spaces, ``00`` prefixes) is normalised
   with the account's region first.

Lookups go to the account's in-memory index (see ``stop_index``), brought
up to date first, so the answer is one consistent view of the list that
includes every change committed before the call. Numbers erased at their
owner's request are off the list but stay stopped: those that the list
allows are looked up again among the account's erased digests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stoplist.domain.canonical import canonical_flags
from stoplist.domain.errors import (
    InvalidApiKey,
    InvalidPhoneNumber,
    ParameterRefused,
    ParameterRule,
    Reason,
    StoplistError,
)
from stoplist.domain.number_arrays import e164_value, e164_values
from stoplist.domain.stop_index import NOT_STOPPED, StopIndexes
from stoplist.domain.stops import StopList
from stoplist.storage.held_opt_outs import HeldOptOuts

MAX_NUMBERS = 1_000_000
_LOOKUP_BATCH = 20_000

HELD = 0
"""The stop id of a number whose STOP is held (acknowledged, not yet written): stopped, no
entry yet. Entry ids start at 1."""

ALLOWED = "allowed"
STOPPED = "stopped"
INVALID = "invalid"


@dataclass(frozen=True, slots=True)
class Verdicts:
    """One verdict per input, as parallel lists (a million small objects cost more).

    ``numbers[i]`` is the E.164 form of input ``i`` (None when invalid) and
    ``stop_ids[i]`` its stop id when stopped; ``reasons`` says, by position,
    why each invalid input is not a number (few are, so it is a mapping).
    """

    numbers: list[str | None]
    stop_ids: list[int | None]
    allowed: int
    stopped: int
    invalid: int
    reasons: dict[int, Reason]

    def status(self, index: int) -> str:
        if self.numbers[index] is None:
            return INVALID
        return STOPPED if self.stop_ids[index] is not None else ALLOWED


def filter_numbers(
    stop_list: StopList,
    inputs: Sequence[object],
    indexes: StopIndexes,
    held: HeldOptOuts | None = None,
) -> Verdicts:
    """Decide, for each input in order, whether it may be sent to.

    The lookups go to the account's index in ``indexes``, brought up to date
    with every change committed before the call first; then to ``held``, the
    STOPs acknowledged and not yet written (``HELD`` in ``stop_ids``).
    """
    if len(inputs) > MAX_NUMBERS:
        raise ParameterRefused(ParameterRule.TOO_MANY_NUMBERS, limit=MAX_NUMBERS)
    # Holds first, the list after: a hold goes in the transaction that writes its STOP,
    # so a STOP let go of in between is on the list read next. Read the other way
    # round, a STOP written meanwhile would be in neither.
    held_numbers = held.numbers(stop_list.account.id) if held is not None else set()
    shaped, values = e164_values(inputs)
    index = indexes.current(stop_list)
    if index is None:
        raise InvalidApiKey()  # the account was deleted since the call was authenticated
    found = index.lookup(values)
    numbers: list[str | None] = list(inputs)  # type: ignore[arg-type]
    missed = np.flatnonzero(shaped & (found == NOT_STOPPED)).tolist()
    canonical = canonical_flags([inputs[position] for position in missed])  # type: ignore[misc]
    unsure = [position for position, ok in zip(missed, canonical, strict=True) if not ok]
    unsure += np.flatnonzero(~shaped).tolist()
    rewritten: dict[int, str] = {}
    reasons: dict[int, Reason] = {}
    for position in unsure:
        raw = inputs[position]
        normal = _normalize(stop_list, raw)
        if isinstance(normal, Reason):
            numbers[position] = None
            reasons[position] = normal
        else:
            numbers[position] = normal
            rewritten[position] = normal
    stop_ids: list[int | None] = [stop_id or None for stop_id in found.tolist()]
    if rewritten:
        again = np.fromiter(
            (e164_value(number) for number in rewritten.values()),
            dtype=np.int64,
            count=len(rewritten),
        )
        for position, stop_id in zip(rewritten, index.lookup(again).tolist(), strict=True):
            stop_ids[position] = stop_id or None
    _add_erased(stop_list, numbers, stop_ids)
    _add_held(held_numbers, numbers, stop_ids)
    return _verdicts(numbers, stop_ids, reasons)


def _add_held(held: set[str], numbers: list[str | None], stop_ids: list[int | None]) -> None:
    """Stop the numbers whose STOP is held, not yet written (they have no entry yet)."""
    if not held:
        return
    for position, (number, stop_id) in enumerate(zip(numbers, stop_ids, strict=True)):
        if stop_id is None and number in held:
            stop_ids[position] = HELD


def _add_erased(stop_list: StopList, numbers: list[str | None], stop_ids: list[int | None]) -> None:
    """Give erased numbers (off the list, kept as a keyed hash) the stop they keep."""
    erased = stop_list.erased_lookup()
    if erased is None:
        return
    for position, (number, stop_id) in enumerate(zip(numbers, stop_ids, strict=True)):
        if number is not None and stop_id is None:
            stop_ids[position] = erased.stop_id(number)


def _verdicts(
    numbers: list[str | None], stop_ids: list[int | None], reasons: dict[int, Reason]
) -> Verdicts:
    invalid = numbers.count(None)
    stopped = len(stop_ids) - stop_ids.count(None)
    return Verdicts(numbers, stop_ids, len(numbers) - invalid - stopped, stopped, invalid, reasons)


def _normalize(stop_list: StopList, raw: object) -> str | Reason:
    """The E.164 form of ``raw``, or why it is none (an empty input is not a number either)."""
    try:
        return stop_list.normalize(raw)
    except InvalidPhoneNumber as exc:
        return exc.reason or Reason.NOT_A_NUMBER
    except StoplistError:
        return Reason.NOT_A_NUMBER
