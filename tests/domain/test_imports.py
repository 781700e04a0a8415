"""Bulk import rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import random
import threading

import phonenumbers
import pytest

from stoplist.domain.canonical import is_canonical
from stoplist.domain.errors import StoplistError
from stoplist.domain.events import EventKind, NewEvent, Source
from stoplist.domain.imports import import_numbers
from stoplist.domain.numbers import normalize
from stoplist.domain.stops import StopList


@pytest.fixture
def stops(db, account):
    return StopList(db, account.account)


def _numbers(stops):
    with stops.listing() as listing:
        return [row[1] for batch in listing.batches for row in batch]


def test_adds_new_numbers_in_number_order_with_one_import_event_each(stops):
    """A batch is written sorted by number, so that index inserts are sequential."""
    report = import_numbers(stops, ["0622222222\n", "+33611111111\n", "0033612345678"])
    assert (report.added, report.already_stopped, report.invalid) == (3, 0, 0)
    assert _numbers(stops) == ["+33611111111", "+33612345678", "+33622222222"]
    for number in _numbers(stops):
        _, events = stops.history(number)
        assert [(e.kind, e.source) for e in events] == [(EventKind.OPT_OUT, Source.IMPORT)]


def test_idempotent_and_never_touches_existing_entries(stops):
    existing = stops.add("0612345678")
    first = import_numbers(stops, ["0612345678", "0611111111"], actor="ops")
    assert (first.added, first.already_stopped) == (1, 1)
    second = import_numbers(stops, ["0612345678", "0611111111"], actor="ops")
    assert (second.added, second.already_stopped) == (0, 2)
    assert stops.find("0612345678") == existing
    _, events = stops.history("0612345678")
    assert len(events) == 1  # no event for a number already there
    _, events = stops.history("0611111111")
    assert events[0].actor == "ops"


def test_never_reactivates_a_number_that_was_opted_back_in(stops):
    removed = stops.add("0612345678")
    stops.delete(removed.id)
    stops.record(NewEvent("+33622222222", EventKind.OPT_OUT, Source.SMS))
    stops.record(NewEvent("+33622222222", EventKind.OPT_IN, Source.SMS))
    report = import_numbers(stops, ["0612345678", "0622222222", "0633333333"])
    assert (report.added, report.opted_in) == (1, 2)
    assert _numbers(stops) == ["+33633333333"]


def test_duplicates_invalid_lines_and_blank_lines(stops):
    lines = ["0612345678", "", "06 12 34 56 78", "hello", "  ", "+33612345678", "12", ","]
    report = import_numbers(stops, lines)
    assert report.added == 1
    assert report.already_stopped == 2
    assert report.invalid == 3
    assert [(item.line, item.input, item.code) for item in report.invalid_lines] == [
        (4, "hello", 9),
        (7, "12", 9),
        (8, "", 2),
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["phoneNumber,name", "0612345678,Ann", '"06 11 11 11 11",Bob'], 2),
        (["name;phone_number", "Ann;0612345678", "Bob;0611111111"], 2),
        (["\ufeffid\tnumber", "1\t0612345678"], 1),
        (["0612345678,Ann", "0611111111,Bob"], 2),
        (['"0612345678"'], 1),
    ],
)
def test_csv_columns_and_delimiters(stops, lines, expected):
    report = import_numbers(stops, lines)
    assert (report.added, report.invalid) == (expected, 0)


def test_progress_reports_every_line(stops):
    seen: list[int] = []
    numbers = [f"+3361{i:07d}" for i in range(12_345)]
    import_numbers(stops, numbers, progress=seen.append, batch_size=1000)
    assert sum(seen) == 12_345
    assert len(seen) > 1


def test_concurrent_imports_and_adds_give_one_entry_per_number(db, account):
    """Two importers and single adds racing over the same numbers."""
    numbers = [f"+3361{i:07d}" for i in range(3000)]
    outcomes: list[object] = []

    def run_import() -> None:
        outcomes.append(import_numbers(StopList(db, account.account), numbers))

    def run_adds() -> None:
        single = StopList(db, account.account)
        for number in numbers[::100]:
            with contextlib.suppress(StoplistError):
                single.add(number)

    threads = [threading.Thread(target=t) for t in (run_import, run_import, run_adds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stops = StopList(db, account.account)
    assert sorted(_numbers(stops)) == numbers
    assert sum(report.added for report in outcomes) <= 3000  # type: ignore[attr-defined]
    for number in numbers[::100]:
        _, events = stops.history(number)
        assert len(events) == 1


def test_canonical_check_never_disagrees_with_normalize():
    """Wherever ``is_canonical`` says yes, ``normalize`` gives the same text back."""
    rng = random.Random(7)
    samples: list[str] = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            text = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
            code = str(example.country_code)
            samples.append(text)
            samples.append(f"+{code}0{text[1 + len(code) :]}")  # a trunk prefix left in
            for _ in range(20):
                cut = rng.randrange(2 + len(code), len(text))
                tail = "".join(rng.choice("0123456789") for _ in text[cut:])
                samples.append(text[:cut] + tail)
    confirmed = 0
    for text in samples:
        try:
            normal: str | None = normalize(text)
        except StoplistError:
            normal = None
        if is_canonical(text):
            confirmed += 1
            assert normal == text, text
    assert confirmed > len(samples) // 4  # the fast path is actually taken
    assert not is_canonical("+330612345678")
    assert normalize("+330612345678") == "+33612345678"
