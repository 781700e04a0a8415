"""``stoplist remote`` against a real server, as a shell script would use it.

Exit codes: 0 done / not stopped, 3 stopped or already stopped, 2 error.
The command only speaks HTTP, so one database backend is enough here (the
client tests cover both). The commands run in this process, with the exit
codes and output a shell would get; what a process reads from its environment
at start-up (the locale, the base URL and key) is tried in a process of its own.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.support import run_cli, run_cli_here

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def remote(server, account, *args, input=None):
    return run_cli_here(
        "remote",
        *args,
        "--base-url",
        f"{server.base_url}/v1",
        "--api-key",
        account.api_key,
        input=input,
        check=False,
    )


def test_add_list_delete(server, account):
    added = remote(server, account, "add", "06 12 34 56 78", "--json")
    assert added.returncode == 0, added.stderr
    stop_id = json.loads(added.stdout)["stopId"]
    again = remote(server, account, "add", "+33612345678", "--json")
    assert again.returncode == 3
    assert json.loads(again.stdout) == {"stopId": stop_id, "alreadyStopped": True}
    listed = remote(server, account, "list", "--json")
    assert [(e["id"], e["phoneNumber"]) for e in json.loads(listed.stdout)] == [
        (stop_id, "+33612345678")
    ]
    assert json.loads(listed.stdout)[0]["createdAt"].endswith("+01:00")
    table = remote(server, account, "list", "--format", "xml")
    assert table.returncode == 0 and "+33612345678" in table.stdout
    deleted = remote(server, account, "delete", str(stop_id))
    assert deleted.returncode == 0
    assert json.loads(remote(server, account, "list", "--json").stdout) == []


def test_check_exit_codes(server, account):
    remote(server, account, "add", "0612345678")
    stopped = remote(server, account, "check", "0612345678", "--json")
    assert stopped.returncode == 3
    assert json.loads(stopped.stdout)["stopped"] is True
    free = remote(server, account, "check", "0698765432")
    assert free.returncode == 0
    assert "not stopped" in free.stdout
    invalid = remote(server, account, "check", "12")
    assert invalid.returncode == 2
    assert "[9]" in invalid.stderr


def test_errors_exit_2_with_the_servers_message(server, account):
    result = run_cli(
        "remote",
        "list",
        "--base-url",
        f"{server.base_url}/v1",
        "--api-key",
        "bad",
        env={"LC_ALL": "fr_FR.UTF-8"},
        check=False,
    )
    assert result.returncode == 2
    assert "[10] Clé API incorrecte" in result.stderr
    unknown = remote(server, account, "delete", "987654321")
    assert unknown.returncode == 2 and "[4]" in unknown.stderr


def test_base_url_and_key_from_the_environment(server, account):
    env = {"STOPLIST_BASE_URL": f"{server.base_url}/v1", "STOPLIST_API_KEY": account.api_key}
    added = run_cli("remote", "add", "0612345678", env=env, check=False)
    assert added.returncode == 0, added.stderr
    assert "stopped as" in added.stdout


def test_filter_from_stdin(server, account):
    remote(server, account, "add", "0612345678")
    result = remote(server, account, "filter", "--json", input="0611111111\n0612345678\n12\n")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["counts"] == {"allowed": 1, "stopped": 1, "invalid": 1}
    assert [item["status"] for item in answer["data"]] == ["allowed", "stopped", "invalid"]
    allowed = remote(server, account, "filter", "--allowed", "0611111111", "0612345678")
    assert allowed.stdout.split() == ["+33611111111"]


def test_filter_reads_the_file_named_by_file_line_for_line(server, account, tmp_path):
    """A blank line is an invalid item in its place, as in the API's text body."""
    remote(server, account, "add", "0612345678")
    numbers = tmp_path / "numbers.txt"
    numbers.write_bytes(b"\xef\xbb\xbf0611111111\r\n\r\n 0612345678 \r\n12")
    result = remote(server, account, "filter", "--file", str(numbers), "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["counts"] == {"allowed": 1, "stopped": 1, "invalid": 2}
    assert [item["status"] for item in answer["data"]] == [
        "allowed",
        "invalid",
        "stopped",
        "invalid",
    ]
    assert (answer["data"][1]["input"], answer["data"][3]["input"]) == ("", "12")
    allowed = remote(server, account, "filter", "--allowed", "--file", str(numbers))
    assert allowed.stdout.split() == ["+33611111111"]


def test_filter_file_dash_and_no_arguments_read_stdin_alike(server, account):
    lines = "0611111111\n\n0612345678\n"
    for args in (("--file", "-"), ()):
        result = remote(server, account, "filter", *args, "--json", input=lines)
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)["data"]
        assert [item["status"] for item in data] == ["allowed", "invalid", "allowed"]


def test_filter_arguments_are_numbers_even_where_a_file_has_their_name(
    server, account, tmp_path, monkeypatch
):
    remote(server, account, "add", "0612345678")
    (tmp_path / "0612345678").write_text("0611111111\n")
    monkeypatch.chdir(tmp_path)
    result = remote(server, account, "filter", "0612345678", "--json")
    assert [item["status"] for item in json.loads(result.stdout)["data"]] == ["stopped"]


def test_filter_file_errors_exit_2(server, account, tmp_path):
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("0611111111\n")
    both = remote(server, account, "filter", "0612345678", "--file", str(numbers))
    assert both.returncode == 2
    assert both.stderr.strip() == "error: give either NUMBERS or --file"
    missing = remote(server, account, "filter", "--file", str(tmp_path / "none.txt"))
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"error: no such file: {tmp_path / 'none.txt'}"
    folder = remote(server, account, "filter", "--file", str(tmp_path))
    assert folder.returncode == 2
    assert folder.stderr.strip() == f"error: cannot read {tmp_path}: Is a directory"


def test_history(server, account):
    stop_id = json.loads(remote(server, account, "add", "0612345678", "--json").stdout)["stopId"]
    remote(server, account, "delete", str(stop_id))
    result = remote(server, account, "history", "0612345678", "--json")
    answer = json.loads(result.stdout)
    assert answer["stopped"] is False
    assert [(e["type"], e["source"]) for e in answer["events"]] == [
        ("opt_in", "api"),
        ("opt_out", "api"),
    ]
    table = remote(server, account, "history", "0612345678")
    assert "not stopped" in table.stdout and "opt_in" in table.stdout


def test_base_url_without_v1_gets_it(server, account):
    bare = run_cli_here(
        "remote",
        "add",
        "0612345678",
        "--base-url",
        server.base_url,
        "--api-key",
        account.api_key,
        check=False,
    )
    assert bare.returncode == 0, bare.stderr
    slash = run_cli_here(
        "remote",
        "check",
        "0612345678",
        "--base-url",
        f"{server.base_url}/",
        "--api-key",
        account.api_key,
        check=False,
    )
    assert slash.returncode == 3, slash.stderr
    typo = run_cli_here(
        "remote", "list", "--base-url", "127.0.0.1:8080", "--api-key", "k", check=False
    )
    assert typo.returncode == 2
    assert typo.stderr.strip() == "error: not an http:// or https:// URL: 127.0.0.1:8080"


def test_times_name_their_zone(server, account):
    remote(server, account, "add", "0612345678")
    table = remote(server, account, "list")
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (CET|CEST)", table.stdout), table.stdout
    checked = remote(server, account, "check", "0612345678", "--timezone", "UTC")
    assert re.search(r"\d\d:\d\d:\d\d UTC\)", checked.stdout), checked.stdout
