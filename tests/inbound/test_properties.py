"""Properties of the inbound endpoints, driven through the real server on both databases.

Whatever reaches an endpoint gets a 2xx or a 4xx, never a 5xx; and a STOP
still stops the number whatever the fields the adapter does not read hold.
Examples are bounded so that the whole file takes well under a minute.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stoplist.domain.accounts import Accounts
from tests.conftest import AccountWithKey

PROVIDERS = ["smspartner", "twilio", "vonage", "generic"]
READ_FIELDS = {
    "type", "phone_number", "text", "message", "message_id", "messageId", "date", "timestamp",
    "msisdn", "from", "to", "message-timestamp", "concat", "concat-ref", "concat-total",
    "concat-part", "From", "To", "Body", "MessageSid", "SmsSid", "SmsMessageSid", "OptOutType",
    "message_uuid", "id", "keyword", "sig",
}  # fmt: skip
"""Every field some adapter reads: noise is made of the others."""


def _bounded(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "multipart/form-data",
        "text/plain; charset=latin-1",
        "application/json; charset=utf-16",
        "application/xml",
    ]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(st.characters(codec=None), max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def target(db) -> AccountWithKey:
    created = Accounts(db).create(f"properties-{uuid.uuid4().hex[:8]}")
    return AccountWithKey(created.account, created.api_key)


def _url(server, target, provider: str) -> str:
    return f"{server.base_url}/inbound/{target.account.inbound_token}/{provider}"


@pytest.mark.parametrize("provider", PROVIDERS)
@_bounded(30)
@given(
    body=st.binary(max_size=600),
    content_type=CONTENT_TYPES,
    method=st.sampled_from(["POST", "GET"]),
)
def test_any_bytes_get_a_2xx_or_a_4xx(server, target, provider, body, content_type, method):
    headers = {"Content-Type": content_type} if content_type else {}
    answer = httpx.request(
        method, _url(server, target, provider), content=body, headers=headers, timeout=30
    )
    assert answer.status_code < 500, answer.text


FIELD_NAMES = st.sampled_from(sorted(READ_FIELDS)) | st.text(max_size=12)


@pytest.mark.parametrize("provider", PROVIDERS)
@_bounded(25)
@given(fields=st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=8), as_form=st.booleans())
def test_any_fields_of_any_type_get_a_2xx_or_a_4xx(server, target, provider, fields, as_form):
    url = _url(server, target, provider)
    if as_form:
        form = {
            name: _on_the_wire(json.dumps(value) if not isinstance(value, str) else value)
            for name, value in fields.items()
        }
        answer = httpx.post(url, data=form, timeout=30)
    else:
        answer = httpx.post(url, content=json.dumps(fields), timeout=30)
    assert answer.status_code < 500, answer.text


def _stop(provider: str, number: str) -> dict[str, str]:
    """The smallest STOP each provider sends, for ``number`` (E.164)."""
    digits = number.removeprefix("+")
    return {
        "smspartner": {"phone_number": number, "text": "Stop", "message_id": uuid.uuid4().hex},
        "twilio": {"From": number, "Body": "STOP", "MessageSid": "SM" + uuid.uuid4().hex},
        "vonage": {
            "msisdn": digits,
            "to": "33700000000",
            "text": "STOP",
            "messageId": uuid.uuid4().hex,
        },
        "generic": {"from": number, "text": "STOP", "id": uuid.uuid4().hex},
    }[provider]


NOISE_FIELDS = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(
        lambda name: name not in READ_FIELDS and name != "_format"
    ),
    st.text(st.characters(codec="utf-8"), max_size=40),
    max_size=6,
)


@pytest.mark.parametrize("provider", PROVIDERS)
@_bounded(10)
@given(noise=NOISE_FIELDS, digits=st.integers(0, 999_999), as_json=st.booleans())
def test_a_stop_with_noise_in_ignored_fields_still_stops_the_number(
    server, target, provider, noise, digits, as_json
):
    number = f"+33612{digits:06d}"
    fields = {**noise, **_stop(provider, number)}
    url = _url(server, target, provider)
    if as_json and provider != "twilio":
        answer = httpx.post(url, content=json.dumps(fields), timeout=30)
    else:
        answer = httpx.post(url, data=fields, timeout=30)
    assert answer.status_code == 200, answer.text
    checked = httpx.get(
        f"{server.base_url}/v1/stop-sms/check",
        params={"apiKey": target.api_key, "phoneNumber": number},
        timeout=30,
    )
    assert checked.json()["stopped"] is True


def _on_the_wire(value: str) -> str:
    """A form carries bytes: a lone surrogate cannot be sent, only its replacement."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
