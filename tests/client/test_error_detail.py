"""An error's ``reason`` and ``detail`` reach the caller, in JSON and in XML.

The message of code 9 is the contract's, the same for every invalid number;
what was wrong with this one is beside it, and a caller needs it.
"""

from __future__ import annotations

import pytest

from stoplist.client import InvalidPhoneNumber
from tests.client.conftest import MakeClient
from tests.conftest import AccountWithKey

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def test_an_invalid_number_says_why(
    make_client: MakeClient, api_url: str, account: AccountWithKey
) -> None:
    client = make_client(api_url, account.api_key, headers={"Accept-Language": "en"})
    with pytest.raises(InvalidPhoneNumber) as raised:
        client.check("12")
    assert (raised.value.code, raised.value.reason) == (9, "too_short")
    assert raised.value.detail == "too short"
