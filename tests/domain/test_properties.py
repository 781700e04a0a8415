"""Properties that hold for any input: number spellings, and events in any order.

Numbers come from the numbering plan itself (``phonenumbers`` example
numbers with their last digits varied, kept when valid); events are
recorded on a real database, a new account per example.
"""

from __future__ import annotations

import itertools
import uuid

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stoplist.domain import clock
from stoplist.domain.accounts import Accounts
from stoplist.domain.errors import StoplistError
from stoplist.domain.numbers import normalize
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source

REGIONS = ["FR", "BE", "CH", "DE", "ES", "GB", "IT", "US", "CA", "MA", "SN"]
_TYPES = [phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]


@st.composite
def valid_numbers(draw: st.DrawFn) -> phonenumbers.PhoneNumber:
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, draw(st.sampled_from(_TYPES)))
    assert example is not None
    national = str(example.national_number)
    tail = draw(st.integers(min_value=0, max_value=999)).__format__("03d")
    varied = phonenumbers.parse(f"+{example.country_code}{national[:-3]}{tail}")
    if not phonenumbers.is_valid_number(varied):
        varied = example
    return varied


def _spellings(number: phonenumbers.PhoneNumber, region: str) -> list[str]:
    """Every way the API promises to read ``number`` for an account of ``region``."""
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    digits = e164[1:]
    forms = [
        e164,
        international,  # "+33 6 12 34 56 78"
        "00" + digits,
        "00" + international[1:],
        "tel:" + e164,
        international.replace(" ", "."),
        international.replace(" ", "-"),
    ]
    if phonenumbers.region_code_for_number(number) == region:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        compact = "".join(ch for ch in national if ch.isdigit())
        forms += [
            national,
            compact,
            " ".join(compact[i : i + 2] for i in range(0, len(compact), 2)),
        ]
        if compact.startswith("0"):
            dotted = ".".join(compact[i : i + 2] for i in range(0, len(compact), 2))
            forms.append(dotted)
    elif not _valid_national(digits, region):
        forms.append(digits)  # bare international, as long-number webhooks send it
    return forms


def _valid_national(digits: str, region: str) -> bool:
    """Whether ``digits`` is also a number of ``region`` as written (then that reading wins)."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(digits, region))
    except phonenumbers.NumberParseException:
        return False


@settings(max_examples=300, deadline=None)
@given(valid_numbers(), st.sampled_from(["FR", "BE", "US"]))
def test_every_spelling_gives_the_same_e164(number, region):
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    for spelling in _spellings(number, region):
        assert normalize(spelling, region) == e164, spelling


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(alphabet="0123456789+ ().-/", max_size=25),
        valid_numbers().map(lambda n: phonenumbers.format_number(n, 1)),
        st.integers(min_value=-(10**20), max_value=10**20),
    ),
    st.sampled_from(["FR", "BE", "US", "GB"]),
)
def test_normalize_is_idempotent_and_total(raw, region):
    """Any input gives a number or the contract's error, and a number normalises to itself."""
    try:
        number = normalize(raw, region)
    except StoplistError as error:
        assert error.code in (2, 9)
        return
    assert normalize(number, region) == number
    for other in ("FR", "US", "JP"):
        assert normalize(number, other) == number  # E.164 does not depend on the region
    assert phonenumbers.is_valid_number(phonenumbers.parse(number))


_KINDS = st.sampled_from([EventKind.OPT_OUT, EventKind.OPT_IN])


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[EventKind, int]]:
    """Up to six opt-outs and opt-ins at distinct times within the last eight seconds, often
    several in one second, some dated to the whole second as providers date them."""
    times = draw(
        st.lists(
            st.tuples(
                st.integers(min_value=1, max_value=8),
                st.one_of(st.just(0), st.integers(min_value=1, max_value=999)),
            ),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    now_second = clock.now_us() // clock.MICROS * clock.MICROS
    return [
        (draw(_KINDS), now_second - seconds * clock.MICROS + millis * 1000)
        for seconds, millis in times
    ]


def _final_state(db, events: list[tuple[EventKind, int]], order: tuple[int, ...]):
    created = Accounts(db).create(f"permutation-{uuid.uuid4().hex}")
    stops = StopList(db, created.account)
    number = "+33611111111"
    for position in order:
        kind, at = events[position]
        stops.record(
            NewEvent(
                number,
                kind,
                Source.SMS,
                event_at=at,
                provider="test",
                provider_message_id=f"m{position}",
            )
        )
    stop = stops.find(number)
    return None if stop is None else (stop.created_at, stop.source)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories(), st.randoms(use_true_random=False))
def test_any_order_of_arrival_gives_the_same_final_state(db, events, rnd):
    orders = list(itertools.permutations(range(len(events))))
    rnd.shuffle(orders)
    expected = _expected_state(events)
    for order in orders[:3]:
        assert _final_state(db, events, order) == expected, order


def _expected_state(events: list[tuple[EventKind, int]]):
    """The rule, written out: stopped when the latest-ranked event is an opt-out, since
    the first opt-out ranked after the last opt-in; an opt-out dated to a whole second
    ranks at the end of that second."""

    def rank(event: tuple[EventKind, int]) -> int:
        kind, at = event
        whole_second = at % clock.MICROS == 0
        return at + clock.MICROS - 1 if kind is EventKind.OPT_OUT and whole_second else at

    ordered = sorted(events, key=rank)
    if ordered[-1][0] is not EventKind.OPT_OUT:
        return None
    last_in = max((rank(event) for event in ordered if event[0] is EventKind.OPT_IN), default=None)
    first_out = min(
        (event for event in ordered if event[0] is EventKind.OPT_OUT)
        if last_in is None
        else (
            event for event in ordered if event[0] is EventKind.OPT_OUT and rank(event) > last_in
        ),
        key=rank,
    )
    return (first_out[1], Source.SMS.value)


@pytest.mark.parametrize("region", ["FR"])
def test_the_spellings_the_readme_names(region):
    spellings = [
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "+33612345678",
        "0033612345678",
        "33612345678",
    ]
    assert {normalize(spelling, region) for spelling in spellings} == {"+33612345678"}


def test_a_late_opt_in_moves_created_at_to_the_next_opt_out(db):
    """Arrival: STOP at c, STOP at a, START at b (a < b < c): the entry starts at c."""
    now = clock.now_us()
    a, b, c = (now - seconds * clock.MICROS for seconds in (300, 200, 100))
    events = [(EventKind.OPT_OUT, c), (EventKind.OPT_OUT, a), (EventKind.OPT_IN, b)]
    assert _final_state(db, events, (0, 1, 2)) == (c, Source.SMS.value)
