"""A list exported as JSON or NDJSON imports back, through the API, the CLI and the dashboard.

The list exported is long enough (25,000 numbers: about 2.4 MB of JSON) for
its blocks to end inside entries and for an import to stage a batch before
a fault near its end, so that "nothing written" means something.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count

import httpx
import pytest

from stoplist.domain.accounts import Accounts
from tests.support import Server, run_cli_here
from tests.web.conftest import dashboard_client

IMPORT = "/v1/stop-sms/import"
EXPORT = "/v1/stop-sms/export"
FORMATS = ("json", "ndjson")
LISTED = 25_000
ENGLISH = {"Accept-Language": "en"}
_names = count(1)


@dataclass(frozen=True)
class Exported:
    """A list, and its exports as the API writes them."""

    numbers: list[str]
    files: dict[str, bytes]
    account: str


def _new_account(db) -> tuple[str, str]:
    """A new account's name and API key."""
    created = Accounts(db).create(f"import-exports-{next(_names)}")
    return created.account.name, created.api_key


def _listed(http: httpx.Client, key: str) -> list[str]:
    answer = http.get("/v1/stop-sms/list", params={"apiKey": key})
    assert answer.status_code == 200, answer.text
    return sorted(entry["phoneNumber"] for entry in answer.json()["data"])


@pytest.fixture(scope="module")
def exported(server: Server, db) -> Exported:
    """An account of ``LISTED`` numbers from several sources, exported in both formats."""
    name, key = _new_account(db)
    numbers = [f"+336{index:08d}" for index in range(LISTED - 1)]
    with httpx.Client(base_url=server.base_url, timeout=60) as http:
        answer = http.post(IMPORT, params={"apiKey": key}, content="\n".join(numbers).encode())
        assert answer.status_code == 200, answer.text
        added = http.post("/v1/stop-sms/add", params={"apiKey": key, "phoneNumber": "0756789012"})
        assert added.status_code == 200, added.text
        files = {}
        for fmt in FORMATS:
            export = http.get(EXPORT, params={"apiKey": key, "format": fmt})
            assert export.status_code == 200, export.text
            files[fmt] = export.content
        listed = _listed(http, key)
    assert len(listed) == LISTED
    return Exported(listed, files, name)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_api_export_imports_back_through_the_api(http, db, exported, fmt):
    data = exported.files[fmt]
    _, key = _new_account(db)
    answer = http.post(IMPORT, params={"apiKey": key}, content=data)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["added"], report["alreadyStopped"], report["invalid"]) == (LISTED, 0, 0)
    assert (report["lines"], report["column"], report["header"]) == (LISTED, "phoneNumber", False)
    assert _listed(http, key) == exported.numbers

    _, other = _new_account(db)
    uploaded = http.post(
        IMPORT,
        headers={"Authorization": f"Bearer {other}"},
        files={"file": (f"stop-list.{fmt}", data, "application/octet-stream")},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["added"] == LISTED
    assert _listed(http, other) == exported.numbers
    again = http.post(IMPORT, params={"apiKey": other}, content=data).json()
    assert (again["added"], again["alreadyStopped"]) == (0, LISTED)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_cli_export_imports_back_through_the_cli(http, db, database_url, exported, tmp_path, fmt):
    path = tmp_path / f"stop-list.{fmt}"
    run_cli_here("export", "--account", exported.account, "--database", database_url,
                 "--format", fmt, "-o", str(path))  # fmt: skip
    name, key = _new_account(db)
    args = ("--account", name, "--database", database_url)
    report = json.loads(run_cli_here("import", str(path), *args, "--json").stdout)
    assert (report["added"], report["invalid"], report["lines"]) == (LISTED, 0, LISTED)
    assert _listed(http, key) == exported.numbers
    printed = run_cli_here("import", str(path), *args).stdout
    assert f"lines read: {LISTED}; numbers from column phoneNumber (number 1)" in printed


def _nth(data: bytes, part: bytes, nth: int) -> int:
    """Where the ``nth`` ``part`` (from 1) is in ``data``."""
    at = -1
    for _ in range(nth):
        at = data.index(part, at + 1)
    return at


def _cut_inside_entry(data: bytes, entry: int) -> bytes:
    """The export cut short a few bytes into its ``entry``-th entry (from 1)."""
    return data[: _nth(data, b'{"id":', entry) + 10]


def _nth_replaced(data: bytes, old: bytes, new: bytes, nth: int) -> bytes:
    at = _nth(data, old, nth)
    return data[:at] + new + data[at + len(old) :]


def _ndjson_line_replaced(data: bytes, line: int, by: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[line - 1] = by
    return b"\n".join(lines)


BROKEN: dict[str, tuple[str, Callable[[bytes], bytes], str]] = {
    "json-cut-short": (
        "json",
        lambda data: _cut_inside_entry(data, 24_001),
        "file: not a readable JSON export: entry 24001 is not valid JSON",
    ),
    "json-not-closed": (
        "json",
        lambda data: data.rstrip().removesuffix(b"]"),
        f"file: not a readable JSON export: entry {LISTED + 1} is not valid JSON",
    ),
    "json-missing-comma": (
        "json",
        lambda data: data.replace(b"},{", b"} {", 1),
        "file: not a readable JSON export: entry 2 is not valid JSON",
    ),
    "json-entry-without-number": (
        "json",
        lambda data: _nth_replaced(data, b'"phoneNumber":', b'"phone":', 24_001),
        "file: JSON, but not a stop list export: entry 24001 is not an object with a "
        "phoneNumber string (up to 64 KiB)",
    ),
    "ndjson-cut-short": (
        "ndjson",
        lambda data: _cut_inside_entry(data, 24_001),
        "file: not a readable NDJSON export: line 24001 is not valid JSON",
    ),
    "ndjson-other-json-line": (
        "ndjson",
        lambda data: _ndjson_line_replaced(data, 24_002, b'{"id":24002,"phoneNumber":null}'),
        "file: NDJSON, but not a stop list export: line 24002 is not an object with a "
        "phoneNumber string (up to 64 KiB)",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_an_export_cut_short_or_edited_is_refused_whole(
    http, db, database_url, exported, tmp_path, case
):
    fmt, broken, detail = BROKEN[case]
    data = broken(exported.files[fmt])
    name, key = _new_account(db)
    answer = http.post(IMPORT, params={"apiKey": key}, content=data, headers=ENGLISH)
    assert answer.status_code == 400, answer.text
    assert answer.json() == {
        "success": False,
        "code": 91,
        "message": "Invalid parameter",
        "detail": detail,
    }
    path = tmp_path / f"broken.{fmt}"
    path.write_bytes(data)
    refused = run_cli_here("import", str(path), "--account", name, "--database", database_url,
                           check=False)  # fmt: skip
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.strip() == f"error: {detail}"
    assert _listed(http, key) == []  # nothing staged before the fault was written


OTHER_JSON = {
    "array-of-other-objects": (
        b'[{"name":"Ann","mobile":"0612345678"}]',
        "file: JSON, but not a stop list export: entry 1 is not an object with a "
        "phoneNumber string (up to 64 KiB)",
    ),
    "array-of-strings": (
        b'["+33612345678","+33611111111"]',
        "file: JSON, but not a stop list export: entry 1 is not an object with a "
        "phoneNumber string (up to 64 KiB)",
    ),
    "a-list-answer": (
        b'{"success":true,"code":200,"data":[{"id":1,"phoneNumber":"+33612345678"}]}\n',
        "file: NDJSON, but not a stop list export: line 1 is not an object with a "
        "phoneNumber string (up to 64 KiB)",
    ),
    "pretty-printed-object": (
        b'{\n  "phoneNumber": "+33612345678"\n}\n',
        "file: not a readable NDJSON export: line 1 is not valid JSON",
    ),
}


@pytest.mark.parametrize("case", OTHER_JSON, ids=list(OTHER_JSON))
def test_other_json_is_refused_as_not_an_export(http, account, case):
    data, detail = OTHER_JSON[case]
    answer = http.post(IMPORT, params={"apiKey": account.api_key}, content=data, headers=ENGLISH)
    assert answer.status_code == 400, answer.text
    assert (answer.json()["code"], answer.json()["detail"]) == (91, detail)
    assert _listed(http, account.api_key) == []


def _entry(number: str) -> str:
    return json.dumps(
        {"id": 1, "phoneNumber": number, "createdAt": "2026-01-02 03:04:05", "source": "api"},
        separators=(",", ":"),
    )


EDITED = ["+33612345678", "hello", "", "06 11 11 11 11", "+33612345678"]
"""Entries of an export edited by hand: a number, not one, none, a national form, a repeat."""


@pytest.mark.parametrize(
    ("fmt", "data", "lines", "invalid"),
    [
        (
            "ndjson",
            "\n".join([_entry(EDITED[0]), "", *map(_entry, EDITED[1:])]) + "\n",
            6,
            [3, 4],
        ),
        ("json", "[" + ",".join(map(_entry, EDITED)) + "]\n", 5, [2, 3]),
        (
            "json",  # pretty-printed, as jq writes it
            json.dumps([json.loads(_entry(number)) for number in EDITED], indent=2),
            5,
            [2, 3],
        ),
    ],
    ids=["ndjson", "json", "json-pretty"],
)
def test_the_report_names_invalid_lines_and_entries(
    http, db, database_url, account, tmp_path, fmt, data, lines, invalid
):
    """An NDJSON line is a line of the file (blank ones counted); an array's is its entry."""
    expected = {
        "added": 2,
        "alreadyStopped": 1,
        "invalid": 2,
        "invalidLines": [
            {"line": invalid[0], "input": "hello", "code": 9, "reason": "not_a_number"},
            {"line": invalid[1], "input": "", "code": 2, "reason": "not_a_number"},
        ],
        "optedIn": 0,
        "lines": lines,
        "column": "phoneNumber",
        "columnNumber": 1,
        "header": False,
    }
    answer = http.post(IMPORT, params={"apiKey": account.api_key}, content=data.encode())
    assert answer.status_code == 200, answer.text
    assert {key: answer.json()[key] for key in expected} == expected
    assert _listed(http, account.api_key) == ["+33611111111", "+33612345678"]

    name, _ = _new_account(db)
    path = tmp_path / f"edited.{fmt}"
    path.write_text(data)
    printed = run_cli_here("import", str(path), "--account", name, "--database", database_url,
                           "--json").stdout  # fmt: skip
    assert json.loads(printed) == expected


def test_a_column_other_than_the_phone_number_is_refused(http, account):
    data = ("[" + _entry("+33612345678") + "]").encode()
    params = {"apiKey": account.api_key, "column": "createdAt"}
    answer = http.post(IMPORT, params=params, content=data, headers=ENGLISH)
    assert answer.status_code == 400, answer.text
    detail = "column: no column named 'createdAt'; columns are: phoneNumber"
    assert (answer.json()["code"], answer.json()["detail"]) == (91, detail)
    named = http.post(IMPORT, params={**params, "column": "phoneNumber"}, content=data)
    assert named.json()["added"] == 1


def test_the_dashboard_imports_an_export_and_says_why_a_broken_one_is_refused(
    server: Server, db, exported
):
    _, key = _new_account(db)
    with dashboard_client(server, key) as (client, token):
        answer = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("stop-list.ndjson", exported.files["ndjson"], "application/x-ndjson")},
        )
        assert answer.status_code == 200, answer.text
        assert f'id="import-added">{LISTED:,}<' in answer.text  # in English
        assert "Column read: phoneNumber" in answer.text
        assert "application/x-ndjson" in client.get("/dashboard/import").text  # the file picker

        cut = _cut_inside_entry(exported.files["json"], 3)
        refused = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("stop-list.json", cut, "application/json")},
        )
    assert refused.status_code == 422, refused.text
    assert "not a readable JSON export: entry 3 is not valid JSON" in refused.text
    with httpx.Client(base_url=server.base_url) as http:
        assert _listed(http, key) == exported.numbers
