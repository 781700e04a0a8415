"""``stoplist remote``'s error line carries what the answer said beside its message.

``error: [9] The phone number is invalid`` said nothing of this number;
the answer's ``reason`` (``too_short``) and ``detail`` now follow, in the
language of the line.
"""

from __future__ import annotations

import pytest

from tests.conftest import AccountWithKey
from tests.support import Server, run_cli_here

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_invalid_number_s_reason_is_shown(
    server: Server, account: AccountWithKey, fmt: str
) -> None:
    checked = run_cli_here(
        "--lang", "en", "remote", "check", "12", "--format", fmt,
        "--base-url", server.base_url, "--api-key", account.api_key,
        check=False,
    )  # fmt: skip
    assert checked.returncode == 2
    assert checked.stderr.strip() == (
        "error: [9] The phone number is invalid: too short (too_short)"
    )
    refused = run_cli_here(
        "--lang", "en", "remote", "list", "--base-url", server.base_url, "--api-key", "wrong",
        check=False,
    )  # fmt: skip
    assert refused.stderr.strip() == "error: [10] Invalid API key"  # nothing beside it
