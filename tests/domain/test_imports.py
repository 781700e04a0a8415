"""Bulk import rules, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import random
import threading
from collections.abc import Iterator

import phonenumbers
import pytest
from sqlalchemy import text

from stoplist import wording
from stoplist.domain.canonical import is_canonical
from stoplist.domain.erasure import erase
from stoplist.domain.errors import InvalidParameter, NoNumbersFound, StoplistError
from stoplist.domain.import_files import open_import
from stoplist.domain.imports import MAX_LINE_CHARS, ImportReport, _Parser, import_numbers
from stoplist.domain.numbers import normalize
from stoplist.domain.stops import StopList
from stoplist.domain.webhook_urls import ALLOW_PRIVATE_ENV
from stoplist.domain.webhooks import Webhooks
from stoplist.records.events import EventKind, NewEvent, Source
from tests.sample_files import COUNTS, NUMBERS, WORKBOOK_SHEET, samples


@pytest.fixture
def stops(db, account):
    return StopList(db, account.account)


def _numbers(stops):
    with stops.snapshot() as snapshot:
        return [number for batch in snapshot.batches for number in batch.numbers]


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


def test_an_empty_phone_cell_is_invalid_as_not_a_number(stops):
    """Code 2 says the number is missing; ``reason`` says why, as ``filter`` does of ``""``."""
    lines = ["name,phone", "Ann,0612345678", "Bob,", "Cid,  ", "Dan", "Eve,'"]
    report = import_numbers(stops, lines)
    assert [(i.line, i.input, i.code, i.reason) for i in report.invalid_lines] == [
        (3, "", 2, "not_a_number"),
        (4, "", 2, "not_a_number"),
        (5, "", 2, "not_a_number"),
        (6, "'", 2, "not_a_number"),
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
    assert len(seen) == 13 and all(seen)  # one call a batch, though the lines came in one block


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


def test_the_spaces_a_strip_removes_end_at_u3000():
    assert not any(chr(c).isspace() for c in range(0x3001, 0x110000))


def _stream(lines: list[str], end: str = "\n") -> io.StringIO:
    return io.StringIO("".join(line + end for line in lines))


def test_a_stream_is_read_in_blocks_under_the_same_rules(stops):
    """Header with a BOM, ``;``, quotes, blank lines, repeats, invalid lines, old entries."""
    stops.add("+33600000001")
    stops.record(NewEvent("+33600000002", EventKind.OPT_OUT, Source.SMS))
    stops.record(NewEvent("+33600000002", EventKind.OPT_IN, Source.SMS))
    fresh = [f"+3361{i:07d}" for i in range(500)]
    lines = ["\ufeffname;phone_number;note"]
    lines += [f"n{i};{number};x" for i, number in enumerate(fresh)]
    lines += [
        "",
        '"Ann; the first";+33600000001;x',  # quoted cell before the number: already stopped
        "Bob;+33600000002",  # opted back in: stays off
        "Cid;+33610000007;y",  # a repeat
        "  ",
        "Dan;hello;z",  # invalid, line 507
        'Eve;"06 22 22 22 22";"a ""quoted"" note"',
        "Fay;+330622222223",  # a trunk prefix left in: normalized
        "Gus",  # no number cell: invalid, line 510
    ]
    report = import_numbers(stops, _stream(lines, "\r\n"))
    assert (report.added, report.already_stopped, report.opted_in) == (502, 2, 1)
    assert [(item.line, item.input, item.code) for item in report.invalid_lines] == [
        (507, "hello", 9),
        (510, "", 2),
    ]
    assert stops.find("+33622222222") is not None
    assert stops.find("+33622222223") is not None
    assert stops.find("+33600000002") is None


@pytest.mark.parametrize("delimiter", [",", ";", "\t", None])
def test_blocks_give_what_lines_one_by_one_give(stops, delimiter):
    """The block expression and the one-line-at-a-time reading agree, line for line."""
    rng = random.Random(str(delimiter))
    canonical = ["+33612345678", "+447700900123", "+12025550123", "+4915123456789", "+33712345678"]
    odd = [
        "0612345678",
        "06 12 34 56 78",
        "0033612345678",
        "+330612345678",
        "+33 612345678",
        " +33612345678",
        "+33612345678 ",
        "+٣٣٦١٢٣٤٥٦٧٨",
        '"+33612345678"',
        "+33612345678x",
        "+3361234567",
        "+336123456789",
        "+999123456789",
        "+12025550123\x0b",
        "hello",
        "",
        "+",
    ]
    d = delimiter or ""
    others = ["", "Ann", '"Bob, Jr"', "+33699999999", f"a{d}b", '"x""y"', " ", "\u2003", "Émile"]
    for header in ([], ["phoneNumber"], [f"name{d}number{d}note"], [f"\ufeffnumber{d}x"]):
        column = 1 if header and "name" in header[0] and delimiter else 0
        lines = list(header)
        for _ in range(400):
            number = rng.choice(canonical) if rng.random() < 0.7 else rng.choice(odd)
            number = number if rng.random() < 0.95 else number[:-1] + rng.choice("0123456789")
            if delimiter is None:
                cells = [number]
            else:
                cells = [rng.choice(others) for _ in range(rng.randrange(column + 1, column + 3))]
                cells[column] = number
            lines.append(d.join(cells) + rng.choice(["", "", "", "\r", " "]))
            if rng.random() < 0.05:
                lines.append(rng.choice(["", " ", "\t", "\r"]))
        text = "".join(line + "\n" for line in lines)
        in_blocks, by_line = ImportReport(), ImportReport()
        block_parser, line_parser = _Parser(stops, in_blocks), _Parser(stops, by_line)
        assert _parsed(block_parser, text) == _parsed(line_parser, lines)
        assert in_blocks == by_line
        assert block_parser.codes  # the block expression was used


def _parsed(parser: _Parser, block: str | list[str]) -> tuple[list[str], int]:
    numbers, count = parser.feed(block)
    more, rest = parser.finish()
    return numbers + more, count + rest


def test_lines_without_line_ends_and_with_a_line_break_inside(stops):
    assert import_numbers(stops, ["+33612345678", "+33611111111"]).added == 2
    seen: list[int] = []
    lines = ["+33622222222\n", "+33633333333", "+3364\n4444444\n", "hello"]
    mixed = import_numbers(stops, lines, progress=seen.append)
    assert (mixed.added, mixed.invalid, sum(seen)) == (3, 1, 4)  # one line, as given
    assert [(item.line, item.input) for item in mixed.invalid_lines] == [(4, "hello")]
    assert stops.find("+33644444444") is not None


def test_writers_go_on_while_an_import_reads_its_file(stops):
    """While the file is read, an inbound STOP or an opt-in is written at once, not after
    the import; the import, written afterwards, counts what they did."""
    numbers = [f"+3361{i:07d}" for i in range(6)]
    stops.record(NewEvent(numbers[3], EventKind.OPT_OUT, Source.SMS))
    calls: list[int] = []
    failures: list[BaseException] = []
    meanwhile_done = threading.Event()

    def other_writer() -> None:
        try:
            stops.record(NewEvent(numbers[4], EventKind.OPT_IN, Source.SMS))
            stops.record(NewEvent(numbers[0], EventKind.OPT_OUT, Source.SMS))
            meanwhile_done.set()
        except BaseException as exc:
            failures.append(exc)

    other = threading.Thread(target=other_writer)

    def meanwhile(_: int) -> None:
        calls.append(1)
        if len(calls) == 1:
            other.start()
            # Held back, this writer would wait for the import, itself waiting here.
            assert meanwhile_done.wait(20), failures

    lines = [numbers[2], numbers[0], numbers[1], *numbers[3:], numbers[0], numbers[5]]
    report = import_numbers(stops, lines, batch_size=3, progress=meanwhile)
    other.join(timeout=60)
    assert failures == [] and meanwhile_done.is_set()
    # numbers[0] and [3] were on the list, [4] opted in, [0] and [5] came twice.
    assert (report.added, report.opted_in, report.already_stopped) == (3, 1, 4)
    assert sorted(_numbers(stops)) == [numbers[0], numbers[1], numbers[2], numbers[3], numbers[5]]
    _, events = stops.history(numbers[0])
    assert [event.source for event in events] == [Source.SMS]  # the import added nothing


def test_a_number_erased_while_the_file_is_read_is_not_written_back(stops):
    """The file is read before the lock is taken: an erasure that comes in between is
    seen when the import writes, and the number stays erased."""
    erased, other = "+33611000001", "+33611000002"
    stops.add(erased)

    def meanwhile(_: int) -> None:
        if stops.erased(erased) is None:
            erase(stops, erased)

    report = import_numbers(
        stops, [erased, other, "+33611000003"], batch_size=1, progress=meanwhile
    )
    assert stops.erased(erased) is not None
    assert (report.added, report.already_stopped) == (2, 1)
    with stops.db.read() as conn:
        kept = conn.execute(
            text("SELECT COUNT(*) FROM events WHERE phone_number = :n"), {"n": erased}
        ).scalar_one()
    assert kept == 0  # nothing under the number itself: its history is under its stand-in
    assert sorted(_numbers(stops)) == [other, "+33611000003"]


def test_an_import_that_stages_nothing_on_an_account_with_erasures(stops):
    """An empty file, or one of erased numbers only, stages nothing: there is nothing to
    look for erased numbers in. The empty file is refused as empty, not as a failure."""
    erased = "+33611000001"
    stops.add(erased)
    erase(stops, erased)
    with pytest.raises(NoNumbersFound) as raised:
        import_numbers(stops, [])
    assert (raised.value.columns, raised.value.column) == (None, None)
    report = import_numbers(stops, [erased, erased])
    assert (report.added, report.already_stopped) == (0, 2)


def test_a_carriage_return_inside_a_line_is_read_not_refused(stops):
    """Lines end at ``\\n``; a lone ``\\r`` within one (a damaged or binary file) is part of
    its cells, both while the layout is decided and afterwards, never an error."""
    lines = ["phone,note", "+33611111111,a\rb", "+33622222222,c", "x\ry,+33633333333\r"]
    report = import_numbers(stops, io.StringIO("\n".join(lines) + "\n"))
    assert (report.added, report.lines) == (2, 4)
    assert [item.line for item in report.invalid_lines] == [4]


def test_an_import_that_fails_halfway_writes_nothing(stops):
    """The whole file is one transaction: batches already written are rolled back too."""
    stops.record(NewEvent("+33699999999", EventKind.OPT_OUT, Source.SMS))

    def lines() -> Iterator[str]:
        yield from (f"+3361{i:07d}" for i in range(_LINES_BEFORE_FAILURE))
        raise OSError("the upload was cut")

    with pytest.raises(OSError, match="cut"):
        import_numbers(stops, lines(), batch_size=20_000)
    assert _numbers(stops) == ["+33699999999"]
    assert stops.history("+33611000001")[1] == []
    assert import_numbers(stops, [f"+3361{i:07d}" for i in range(500)]).added == 500


_LINES_BEFORE_FAILURE = 70_000  # more than one block of lines: three batches written before


def test_a_number_opted_in_is_counted_once_however_many_batches_repeat_it(stops):
    """Repeats fall away when staged, in whichever batch they come: the first time the
    number counts as opted in, every later time as a repeat (already stopped)."""
    opted_in = "+33611111111"
    stops.record(NewEvent(opted_in, EventKind.OPT_OUT, Source.SMS))
    stops.record(NewEvent(opted_in, EventKind.OPT_IN, Source.SMS))
    lines = [opted_in, "+33622222222", opted_in, "+33633333333", opted_in]
    report = import_numbers(stops, lines, batch_size=2)
    assert (report.added, report.opted_in, report.already_stopped) == (2, 1, 2)
    assert stops.find(opted_in) is None


def test_repeats_across_batches_of_a_fresh_account(stops):
    lines = ["+33611111111", "+33622222222", "+33611111111", "+33633333333", "+33622222222"]
    report = import_numbers(stops, lines, batch_size=2)
    assert (report.added, report.already_stopped) == (3, 2)
    for number in ("+33611111111", "+33622222222", "+33633333333"):
        _, events = stops.history(number)
        assert len(events) == 1


def test_webhook_deliveries_are_queued_for_each_number_added(db, stops, monkeypatch):
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")  # a closed port on this machine
    Webhooks(db, stops.account, allow_private=True).add("http://127.0.0.1:9/hook")
    report = import_numbers(stops, _stream(["+33611111111", "+33622222222"]))
    assert report.added == 2
    deliveries = Webhooks(db, stops.account).deliveries()
    events = {stops.history(number)[1][0].id for number in ("+33611111111", "+33622222222")}
    assert {delivery.event_id for delivery, _ in deliveries} == events


@pytest.mark.parametrize("sample", samples(), ids=lambda sample: sample.name)
def test_every_sample_file_gives_the_same_counts(stops, sample):
    sheet = WORKBOOK_SHEET if sample.name.endswith(".xlsx") else None
    text = open_import(io.BytesIO(sample.data), filename=sample.name, sheet=sheet)
    report = import_numbers(stops, text)
    summary = report.summary()
    assert {key: summary[key] for key in COUNTS} == COUNTS
    assert (report.column, report.lines) == (sample.column, sample.lines)
    assert [item.input for item in report.invalid_lines] == ["hello"]  # never the header
    assert _numbers(stops) == NUMBERS


def test_a_header_line_is_never_an_invalid_line(stops):
    report = import_numbers(stops, ["Nom;Contact;Ville", "Ann;0612345678;Paris"])
    assert (report.added, report.invalid, report.header, report.column) == (1, 0, True, "Contact")


def test_no_phone_column_is_an_error_naming_the_columns(stops):
    with pytest.raises(NoNumbersFound) as raised:
        import_numbers(stops, ["name,email", "Ann,ann@example.com", "Bob,bob@example.com"])
    assert raised.value.columns == ("name", "email")
    assert wording.no_numbers(raised.value, "en", "--column") == (
        "no phone column found; columns are: name, email; use --column"
    )
    assert wording.no_numbers(raised.value, "fr", "column=") == (
        "aucune colonne de numéros trouvée ; colonnes : name, email ; utilisez column="
    )
    assert _numbers(stops) == []


def test_a_column_without_one_valid_number_is_an_error(stops):
    with pytest.raises(NoNumbersFound) as raised:
        import_numbers(stops, ["phone", "12", "hello"])
    assert (raised.value.columns, raised.value.column, raised.value.lines) == (None, "phone", 3)
    said = wording.no_numbers(raised.value, "en")
    assert "no valid phone number in column phone (lines read: 3)" in said
    with pytest.raises(NoNumbersFound) as raised:
        import_numbers(stops, ["phone"])
    assert wording.no_numbers(raised.value, "en", "--column") == (
        "no valid phone number in column phone (lines read: 1); use --column to read another column"
    )


@pytest.mark.parametrize("data", [b"", b"\n", b"\n\n  \n", b"\xef\xbb\xbf\r\n\t\r\n"])
def test_a_file_without_a_line_but_blank_ones_is_refused(stops, data):
    """Nothing to read is no success either: there is no column to name in a summary."""
    with pytest.raises(NoNumbersFound) as raised:
        import_numbers(stops, open_import(io.BytesIO(data)))
    assert (raised.value.columns, raised.value.column) == (None, None)
    assert raised.value.lines == data.count(b"\n")
    assert wording.no_numbers(raised.value, "en", "--column") == (
        "the file is empty or has only blank lines"
    )
    assert wording.no_numbers(raised.value, "fr") == (
        "le fichier est vide ou n'a que des lignes vides"
    )
    with pytest.raises(NoNumbersFound):
        import_numbers(stops, ["", "  "])
    assert _numbers(stops) == []


def test_the_apostrophe_of_a_number_kept_as_text_is_dropped(stops):
    """Excel writes ``'0612346010`` for a cell typed with its apostrophe: the number is
    read without it, and only a single apostrophe at the start is dropped."""
    lines = ["Nom;Tel", "A;'0612346010", "B;'+33611111111", "C;''0622222222", "D;06'33333333"]
    report = import_numbers(stops, [*lines, "E;'hello", "F;0644444444'"])
    assert _numbers(stops) == ["+33611111111", "+33612346010"]
    assert [(item.line, item.input) for item in report.invalid_lines] == [
        (4, "''0622222222"),
        (5, "06'33333333"),
        (6, "'hello"),
        (7, "0644444444'"),
    ]
    headerless = import_numbers(stops, ["Ann,'0655555555", "Bob,'0666666666"])
    assert (headerless.added, headerless.column, headerless.header) == (2, "2", False)


def test_a_line_too_long_is_invalid_and_echoes_are_cut(stops):
    """A line past ``MAX_LINE_CHARS`` (here 3 MB without a line end, across several blocks
    read, and others within one block) is invalid and never held; every echo is cut."""
    kept = "+33644444444," + "a" * (MAX_LINE_CHARS - 13)  # the longest line read
    lines = [
        "phone,note",
        "+33611111111,",
        "+33699999999," + "x" * 3_000_000,
        "+33622222222,",
        "hello" * 30 + ",",
        kept,
        kept.replace("+33644444444", "+33655555555") + "a",
        "+33633333333,\r",
    ]
    report = import_numbers(stops, open_import(io.BytesIO("\n".join(lines).encode())))
    assert _numbers(stops) == ["+33611111111", "+33622222222", "+33633333333", "+33644444444"]
    cut = [(item.line, item.input, item.code, item.reason) for item in report.invalid_lines]
    assert cut == [
        (3, "+33699999999," + "x" * 51 + "…", 9, "line_too_long"),
        (5, "hello" * 12 + "hell…", 9, "too_long"),
        (7, "+33655555555," + "a" * 51 + "…", 9, "line_too_long"),
    ]
    assert report.lines == 8
    listed = import_numbers(stops, ["phone", "+33666666666", "w" * (MAX_LINE_CHARS + 1)])
    assert (listed.added, listed.invalid_lines[0].reason) == (1, "line_too_long")
    with pytest.raises(NoNumbersFound) as raised:
        import_numbers(stops, io.StringIO("z" * 200_000))
    assert wording.no_numbers(raised.value, "en", None) == (
        "no valid phone number in column 1 (lines read: 1)"
    )


def test_the_named_column_is_read(stops):
    lines = ["id;home;work", "1;0140000000;0612345678", "2;0140000001;0611111111"]
    report = import_numbers(stops, lines, column="work")
    assert (report.added, report.column, report.column_number) == (2, "work", 3)
    assert import_numbers(stops, lines, column="2").added == 2
    with pytest.raises(InvalidParameter, match="no column named 'fax'"):
        import_numbers(stops, lines, column="fax")


def test_the_layout_is_decided_from_lines_held_across_blocks(stops):
    """A header and data in separate small blocks (a list of lines fed one at a time)."""
    report = ImportReport()
    parser = _Parser(stops, report)
    numbers: list[str] = []
    for line in ["name|mobile", "Ann|0612345678", "Bob|hello"]:
        numbers += parser.feed([line])[0]
    assert numbers == []  # still held: fewer lines than the sample
    numbers += parser.finish()[0]
    assert numbers == ["+33612345678"]
    assert (report.column, report.invalid) == ("mobile", 1)


def test_a_mac_spreadsheet_s_csv_ends_its_lines_with_cr(stops):
    """ "CSV (Macintosh)" ends lines with a lone CR: one number a line, counted as such."""
    text = open_import(io.BytesIO(b"phone\r0612345678\rhello\r0611111111\r"))
    report = import_numbers(stops, text)
    assert (report.added, report.lines) == (2, 4)
    assert [(item.line, item.input) for item in report.invalid_lines] == [(3, "hello")]


def _address_book() -> bytes:
    """A CRM export whose address cells hold line breaks, quoted as RFC 4180 says."""
    return (
        b"name,address,phone\n"
        b'Alice,"1 rue A",0622000100\n'
        b'Bob,"1 rue X\n75001 Paris",0622000300\n'
        b'Carl,"a ""quoted"" word\r\nline two\nline three",+33622000400\n'
        b'Dan,5" tall,0622000500\n'
        b"Eve,,0622000600\n"
    )


def test_a_line_break_inside_a_quoted_cell_keeps_its_record_whole(stops):
    report = import_numbers(stops, open_import(io.BytesIO(_address_book())))
    assert (report.added, report.invalid, report.lines) == (5, 0, 9)
    assert _numbers(stops) == [
        "+33622000100", "+33622000300", "+33622000400", "+33622000500", "+33622000600",
    ]  # fmt: skip


def test_a_line_break_typed_in_a_workbook_cell_keeps_its_row_whole(stops):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nom", "Adresse", "Portable"])
    sheet.append(["Bob", "1 rue X\n75001 Paris", "0622000300"])  # Alt+Enter in Excel
    sheet.append(["Eve", "2 rue Y", "0622000600"])
    out = io.BytesIO()
    book.save(out)
    report = import_numbers(stops, open_import(io.BytesIO(out.getvalue()), filename="crm.xlsx"))
    assert (report.added, report.invalid) == (2, 0)
    assert _numbers(stops) == ["+33622000300", "+33622000600"]


def test_a_quote_never_closed_does_not_swallow_the_lines_after_it(stops):
    lines = ["name,phone", '"Bob,0622000300'] + [f"n{i},06220{i:05d}" for i in range(150)]
    report = import_numbers(stops, open_import(io.BytesIO("\n".join(lines).encode())))
    assert report.added == 150
    assert [(item.line, item.input) for item in report.invalid_lines] == [(2, "")]
