"""The same files give the same counts through the API, the CLI and the dashboard."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from stoplist.domain.accounts import Accounts
from tests.sample_files import (
    COUNTS,
    NUMBERS,
    WORKBOOK_SHEET,
    Sample,
    many_parts_workbook,
    samples,
    shared_strings_bomb,
)
from tests.support import Server, run_cli_here
from tests.web.conftest import dashboard_client

IMPORT = "/v1/stop-sms/import"
SAMPLES = samples()


def _sheet(sample: Sample) -> dict[str, str]:
    return {"sheet": WORKBOOK_SHEET} if sample.name.endswith(".xlsx") else {}


def _counts(report: dict[str, object]) -> dict[str, object]:
    return {key: report[key] for key in (*COUNTS, "column", "lines")}


def _expected(sample: Sample) -> dict[str, object]:
    return {**COUNTS, "column": sample.column, "lines": sample.lines}


def _cli_account(db, database_url: str, name: str) -> tuple[str, ...]:
    """A new account ``name``, as the options of a ``stoplist import`` into it."""
    Accounts(db).create(name)
    return ("--account", name, "--database", database_url)


def _file(directory: Path, name: str, data: bytes) -> str:
    path = directory / name
    path.write_bytes(data)
    return str(path)


def _refused(answer: httpx.Response, status: int, code: int, message: str, detail: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json() == {"success": False, "code": code, "message": message, "detail": detail}


def _listed(http: httpx.Client, key: str) -> list[str]:
    answer = http.get("/v1/stop-sms/list", params={"apiKey": key}).json()
    return sorted(entry["phoneNumber"] for entry in answer["data"])


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_api_body_and_multipart_upload(http, db, account, sample):
    params = {"apiKey": account.api_key, **_sheet(sample)}
    answer = http.post(IMPORT, params=params, content=sample.data)
    assert answer.status_code == 200, answer.text
    assert _counts(answer.json()) == _expected(sample)
    assert _listed(http, account.api_key) == NUMBERS

    other = Accounts(db).create(f"multipart-{account.account.name}")
    uploaded = http.post(
        IMPORT,
        headers={"Authorization": f"Bearer {other.api_key}"},
        data=_sheet(sample),
        files={"file": (sample.name, sample.data, "application/octet-stream")},
    )
    assert uploaded.status_code == 200, uploaded.text
    assert _counts(uploaded.json()) == _expected(sample)
    assert _listed(http, other.api_key) == NUMBERS


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_cli(db, database_url, tmp_path, sample):
    into = _cli_account(db, database_url, f"cli-{sample.name}-{tmp_path.name}")
    path = _file(tmp_path, sample.name, sample.data)
    sheet = ["--sheet", WORKBOOK_SHEET] if _sheet(sample) else []
    printed = run_cli_here("import", path, *into, "--json", *sheet).stdout
    assert _counts(json.loads(printed)) == _expected(sample)
    if sample is SAMPLES[0]:
        again = run_cli_here("import", path, *into)
        assert "lines read: 7; numbers from column mobile (number 2)" in again.stdout


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda sample: sample.name)
def test_dashboard_without_javascript(server: Server, account, sample):
    with dashboard_client(server, account.api_key) as (client, token):
        answer = client.post(
            "/dashboard/import",
            data={"csrf_token": token, **_sheet(sample)},
            files={"file": (sample.name, sample.data, "application/octet-stream")},
        )
        assert answer.status_code == 200, answer.text
        assert 'id="import-added">4<' in answer.text and 'id="import-invalid">1<' in answer.text
        assert f'id="import-lines">{sample.lines}<' in answer.text
        assert f"Column read: {sample.column}" in answer.text
    with httpx.Client(base_url=server.base_url) as http:
        assert _listed(http, account.api_key) == NUMBERS


NO_COLUMN = b"name,email\nAnn,ann@example.com\nBob,bob@example.com\n"


def test_a_file_without_numbers_is_refused_with_code_92(http, account, database_url, db, tmp_path):
    answer = http.post(
        IMPORT,
        params={"apiKey": account.api_key},
        content=NO_COLUMN,
        headers={"Accept-Language": "en"},
    )
    assert answer.status_code == 422
    assert answer.json() == {
        "success": False,
        "code": 92,
        "message": "No valid phone number in the file",
        "detail": "no phone column found; columns are: name, email; use column=",
        "columns": ["name", "email"],
    }
    french = http.post(IMPORT, params={"apiKey": account.api_key}, content=b"phone\n12\n").json()
    assert french["code"] == 92
    said = "aucun numéro valide dans la colonne phone (lignes lues : 2)"
    assert french["detail"].startswith(said)
    workbook = next(sample for sample in SAMPLES if sample.name.endswith(".xlsx"))
    first_sheet = http.post(IMPORT, params={"apiKey": account.api_key}, content=workbook.data)
    assert first_sheet.json()["code"] == 92  # the first sheet is notes, not numbers
    unknown = http.post(
        IMPORT, params={"apiKey": account.api_key, "column": "fax"}, content=NO_COLUMN
    )
    assert (unknown.status_code, unknown.json()["code"]) == (400, 91)
    assert _listed(http, account.api_key) == []

    into = _cli_account(db, database_url, f"cli-92-{tmp_path.name}")
    path = _file(tmp_path, "contacts.csv", NO_COLUMN)
    refused = run_cli_here("import", path, *into, check=False)
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "error: no phone column found; columns are: name, email; use --column"
    )
    assert refused.stdout == ""
    chosen = run_cli_here("import", path, *into, "--column", "fax", check=False)
    assert chosen.returncode == 2 and "--column: no column named 'fax'" in chosen.stderr


def test_a_blank_or_empty_file_is_refused_with_code_92(http, account, db, database_url, tmp_path):
    for body in (b"\n\n  \n", b""):
        params, english = {"apiKey": account.api_key}, {"Accept-Language": "en"}
        answer = http.post(IMPORT, params=params, content=body, headers=english)
        empty = "the file is empty or has only blank lines"
        _refused(answer, 422, 92, "No valid phone number in the file", empty)
    args = _cli_account(db, database_url, f"cli-blank-{tmp_path.name}")
    blank = _file(tmp_path, "blank.csv", b"\n\n  \n")
    header = _file(tmp_path, "header.csv", b"phone\n")
    refused = run_cli_here("import", blank, *args, check=False)
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr.strip() == "error: the file is empty or has only blank lines"
    alone = run_cli_here("import", header, *args, check=False)
    assert alone.returncode == 2
    assert alone.stderr.strip() == (
        "error: no valid phone number in column phone (lines read: 1); "
        "use --column to read another column"
    )


def test_the_named_column_through_the_api_and_the_cli(http, account, db, database_url, tmp_path):
    data = b"id;home;work\n1;0140000000;0612345678\n2;0140000001;0611111111\n"
    answer = http.post(IMPORT, params={"apiKey": account.api_key, "column": "3"}, content=data)
    assert (answer.json()["added"], answer.json()["column"]) == (2, "work")
    assert _listed(http, account.api_key) == ["+33611111111", "+33612345678"]
    into = _cli_account(db, database_url, f"cli-column-{tmp_path.name}")
    path = _file(tmp_path, "two-phones.csv", data)
    report = json.loads(run_cli_here("import", path, *into, "--json", "--column", "home").stdout)
    assert (report["added"], report["column"], report["columnNumber"]) == (2, "home", 2)


def test_a_column_past_the_last_one_is_refused_with_code_91(
    http, account, db, database_url, tmp_path
):
    crm = "Nom;Téléphone\r\nA;06 12 34 56 78\r\n".encode()
    answer = http.post(
        IMPORT,
        params={"apiKey": account.api_key, "column": "9"},
        content=crm,
        headers={"Accept-Language": "en"},
    )
    _refused(
        answer, 400, 91, "Invalid parameter", "column: no column 9; columns are: Nom, Téléphone"
    )
    french = http.post(IMPORT, params={"apiKey": account.api_key, "column": "9"}, content=crm)
    assert french.json()["detail"] == "column : aucune colonne 9 ; colonnes : Nom, Téléphone"
    into = _cli_account(db, database_url, f"cli-column-9-{tmp_path.name}")
    path = _file(tmp_path, "crm.csv", crm)
    refused = run_cli_here("import", path, *into, "--column", "9", check=False)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip() == "error: --column: no column 9; columns are: Nom, Téléphone"
    assert _listed(http, account.api_key) == []


@pytest.mark.parametrize(
    ("workbook", "language", "detail"),
    [
        (
            lambda: shared_strings_bomb(200_000),
            "en",
            "file: the workbook is too large once unpacked: xl/sharedStrings.xml unpacks to ",
        ),
        (
            lambda: many_parts_workbook(40_000),
            "fr",
            "file : le classeur a trop de parties : son répertoire zip fait ",
        ),
    ],
    ids=["unpacks-to-far-more", "tens-of-thousands-of-parts"],
)
def test_a_workbook_far_larger_than_a_real_one_is_refused_with_code_91(
    http, account, workbook, language, detail
):
    answer = http.post(
        IMPORT,
        params={"apiKey": account.api_key},
        content=workbook(),
        headers={"Accept-Language": language},
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == 91
    assert answer.json()["detail"].startswith(detail)
    assert _listed(http, account.api_key) == []


def test_a_line_without_end_is_invalid_and_its_echo_cut(http, account):
    body = b"phone\n0612345678\n" + b"9" * 3_000_000 + b"\n0611111111\n" + b"x" * 200 + b"\n"
    answer = http.post(IMPORT, params={"apiKey": account.api_key}, content=body)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["added"], report["invalid"], report["lines"]) == (2, 2, 5)
    assert report["invalidLines"] == [
        {"line": 3, "input": "9" * 64 + "…", "code": 9, "reason": "line_too_long"},
        {"line": 5, "input": "x" * 64 + "…", "code": 9, "reason": "too_long"},
    ]
    assert _listed(http, account.api_key) == ["+33611111111", "+33612345678"]


def test_an_empty_phone_cell_is_invalid_with_its_reason(http, account, db, database_url, tmp_path):
    """The API and the CLI say why of an empty cell, as of any other invalid line."""
    data = b"name,phone\nAnn,0612345678\nBob,\n"
    empty = {"line": 3, "input": "", "code": 2, "reason": "not_a_number"}
    answer = http.post(IMPORT, params={"apiKey": account.api_key}, content=data)
    assert answer.status_code == 200, answer.text
    assert answer.json()["invalidLines"] == [empty]
    into = _cli_account(db, database_url, f"empty-cell-{tmp_path.name}")
    printed = run_cli_here("import", _file(tmp_path, "empty.csv", data), *into, "--json").stdout
    assert json.loads(printed)["invalidLines"] == [empty]


def test_a_hostile_column_is_refused_with_code_91(http, account):
    for column in ("9" * 5000, "0", "١"):
        answer = http.post(
            "/v1/stop-sms/import",
            params={"apiKey": account.api_key, "column": column},
            content=b"a,b\n0612345671,x\n",
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == 91
