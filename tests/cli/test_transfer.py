"""``stoplist import`` and ``stoplist export`` on real databases."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor

from stoplist.domain.accounts import Accounts
from tests.support import run_cli_here, run_cli_on_terminal


def _account(db, name):
    return Accounts(db).create(name).account


def test_import_then_export(db, database_url, tmp_path):
    account = _account(db, "transfer-basic")
    source = tmp_path / "list.csv"
    source.write_text(
        "phone_number,name\n0612345678,Ann\nhello,Bob\n0611111111,Cid\n0612345678,X\n"
    )
    args = ("--account", account.name, "--database", database_url)
    out = run_cli_here("import", str(source), *args, "--json").stdout
    report = json.loads(out)
    assert report == {
        "added": 2,
        "alreadyStopped": 1,
        "invalid": 1,
        "invalidLines": [{"line": 3, "input": "hello", "code": 9, "reason": "not_a_number"}],
        "optedIn": 0,
        "lines": 5,
        "column": "phone_number",
        "columnNumber": 1,
        "header": True,
    }
    again = run_cli_here("import", str(source), *args).stdout
    assert "added 0" in again and "already stopped 3" in again and "line 3" in again

    exported = run_cli_here("export", *args).stdout
    rows = list(csv.reader(io.StringIO(exported)))
    assert rows[0] == ["id", "phoneNumber", "createdAt", "source"]
    assert [(row[1], row[3]) for row in rows[1:]] == [  # an import batch goes in number order
        ("+33611111111", "import"),
        ("+33612345678", "import"),
    ]
    target = tmp_path / "out.ndjson"
    run_cli_here("export", *args, "--format", "ndjson", "--output", str(target))
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [line["phoneNumber"] for line in lines] == ["+33611111111", "+33612345678"]
    as_json = json.loads(run_cli_here("export", *args, "--format", "json").stdout)
    assert as_json == lines


def test_import_from_stdin(db, database_url):
    account = _account(db, "transfer-stdin")
    result = run_cli_here(
        "import",
        "-",
        "--account",
        account.name,
        "--database",
        database_url,
        "--json",
        input="+33612345678\n+33612345679\n",
    )
    assert json.loads(result.stdout)["added"] == 2
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_import_reads_bytes_with_bom_crlf_windows_1252_and_no_final_line_end(
    db, database_url, tmp_path
):
    account = _account(db, "transfer-bytes")
    source = tmp_path / "list.csv"
    source.write_bytes(
        b"\xef\xbb\xbfphoneNumber\r\n+33612345678\r\n\r\n06 11 11 11 11\r\nbad\xff\r\n+33612345678"
    )
    args = ("--account", account.name, "--database", database_url, "--json")
    report = json.loads(run_cli_here("import", str(source), *args).stdout)
    assert (report["added"], report["alreadyStopped"], report["invalid"]) == (2, 1, 1)
    assert report["invalidLines"] == [  # not UTF-8: Windows-1252
        {"line": 5, "input": "bad\u00ff", "code": 9, "reason": "not_a_number"}
    ]


def test_the_report_says_why_an_empty_phone_cell_is_invalid(db, database_url, tmp_path):
    account = _account(db, "transfer-empty-cell")
    source = tmp_path / "list.csv"
    source.write_text("name,phone\nAnn,0612345678\nBob,\n")
    args = ("--account", account.name, "--database", database_url)
    printed = run_cli_here("import", str(source), *args).stdout
    assert "  line 3: '' (not a number, code 2)" in printed.splitlines()


def test_errors(db, database_url, tmp_path):
    account = _account(db, "transfer-errors")
    missing = run_cli_here(
        "import",
        str(tmp_path / "nope.csv"),
        "--account",
        account.name,
        "--database",
        database_url,
        check=False,
    )
    assert missing.returncode == 1 and "no such file" in missing.stderr
    folder = run_cli_here(
        "import", str(tmp_path), "--account", account.name, "--database", database_url, check=False
    )
    assert folder.returncode == 1
    assert folder.stderr.strip() == f"error: {tmp_path} is a directory: give the file to import"
    unknown = run_cli_here(
        "export", "--account", "nobody-here", "--database", database_url, check=False
    )
    assert unknown.returncode == 1 and "nobody-here" in unknown.stderr
    bad = run_cli_here(
        "export",
        "--account",
        account.name,
        "--format",
        "xls",
        "--database",
        database_url,
        check=False,
    )
    assert bad.returncode == 1 and "csv, json or ndjson" in bad.stderr


def test_export_to_a_directory_or_a_missing_one(db, database_url, tmp_path):
    account = _account(db, "export-where")

    def export_to(output) -> str:
        args = ("--account", account.name, "-o", str(output), "--database", database_url)
        refused = run_cli_here("export", *args, check=False)
        assert refused.returncode == 1
        return refused.stderr.strip()

    assert export_to(tmp_path) == f"error: {tmp_path} is a directory: give a file to write"
    missing = tmp_path / "nope" / "list.csv"
    assert export_to(missing) == f"error: no such directory: {missing.parent}"
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_on_a_terminal(db, database_url, tmp_path):
    account = _account(db, "transfer-tty")
    source = tmp_path / "big.txt"
    source.write_text("".join(f"+3361{i:07d}\n" for i in range(20_000)))
    returncode, stdout, drawn = run_cli_on_terminal(
        "import", str(source), "--account", account.name, "--database", database_url
    )
    assert returncode == 0
    assert b"added 20000" in stdout
    assert b"reading" in drawn and b"\x1b[" in drawn  # a bar, drawn with terminal codes
    # The file read, the bar goes on saying what the import still does.
    assert b"writing" in drawn and b"keeping a copy of the list" in drawn


def test_export_writes_into_what_is_not_a_file_and_through_links(db, database_url, tmp_path):
    """A pipe, ``/dev/null`` or a link stay what they were: only a file is replaced whole."""
    account = _account(db, "export-special")
    args = ("export", "--account", account.name, "--database", database_url, "--format", "ndjson")
    run_cli_here("import", "-", "--account", account.name, "--database", database_url,
                 input="0612345678\n")  # fmt: skip
    expected = run_cli_here(*args).stdout
    assert "+33612345678" in expected
    assert run_cli_here(*args, "-o", "-").stdout == expected  # '-' is stdout

    run_cli_here(*args, "-o", os.devnull)
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with ThreadPoolExecutor(1) as reader:
        received = reader.submit(pipe.read_text)
        run_cli_here(*args, "-o", str(pipe))
        assert received.result(timeout=30) == expected
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)

    target, link = tmp_path / "target.ndjson", tmp_path / "link.ndjson"
    target.write_text("yesterday\n")
    target.chmod(0o640)
    link.symlink_to(target)
    run_cli_here(*args, "-o", str(link))
    assert link.is_symlink() and target.read_text() == expected
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the file replaced keeps its mode

    missing = f"{tmp_path}/sub{os.sep}"
    refused = run_cli_here(*args, "-o", missing, check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == f"error: no such directory: {missing}"
    assert not (tmp_path / "sub").exists()
