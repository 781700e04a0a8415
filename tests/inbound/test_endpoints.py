"""Per-provider endpoints: switched off, or signed, each on its own; through the real server."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from standardwebhooks import Webhook
from twilio.request_validator import RequestValidator

from stoplist.domain.inbound_endpoints import InboundEndpoints
from stoplist.inbound.vonage import sms_signature
from tests.support import run_cli_here

NUMBER = "+33612345678"
STOP = {"from": NUMBER, "text": "STOP"}
START = {"from": NUMBER, "text": "START"}


def inbound(account, provider: str) -> str:
    return f"/inbound/{account.account.inbound_token}/{provider}"


def event_count(http, account) -> int:
    answer = http.get(
        "/v1/stop-sms/history", params={"apiKey": account.api_key, "phoneNumber": NUMBER}
    )
    return answer.json()["nbData"]


def stopped(http, account) -> bool:
    answer = http.get(
        "/v1/stop-sms/check", params={"apiKey": account.api_key, "phoneNumber": NUMBER}
    )
    return answer.json()["stopped"]


def test_a_switched_off_endpoint_answers_exactly_like_a_wrong_token(http, account, db):
    InboundEndpoints(db, account.account).set_enabled("generic", False)
    off = http.post(inbound(account, "generic"), json=STOP)
    wrong = http.post("/inbound/not-a-token/generic", json=STOP)
    assert off.status_code == wrong.status_code == 404
    assert off.content == wrong.content
    assert off.headers["content-type"] == wrong.headers["content-type"]
    assert event_count(http, account) == 0
    assert (
        http.post(inbound(account, "smspartner"), json={**STOP, "phone_number": NUMBER}).status_code
        == 200
    )

    InboundEndpoints(db, account.account).set_enabled("generic", True)
    assert http.post(inbound(account, "generic"), json=START).status_code == 200


def test_requiring_twilio_signatures_leaves_other_endpoints_to_their_own_settings(
    http, account, db
):
    endpoints = InboundEndpoints(db, account.account)
    endpoints.require_signatures("twilio", "twilio-auth-" + uuid.uuid4().hex)
    http.post(inbound(account, "smspartner"), json={"type": "stop", "phone_number": NUMBER})
    # The walk-around: an unsigned START on another endpoint of the same account.
    for provider in ("generic", "smspartner", "vonage"):
        endpoints.set_enabled(provider, False)
    assert http.post(inbound(account, "generic"), json=START).status_code == 404
    assert (
        http.post(
            inbound(account, "vonage"), data={"msisdn": "33612345678", "text": "START"}
        ).status_code
        == 404
    )
    unsigned = http.post(inbound(account, "twilio"), data={"From": NUMBER, "Body": "START"})
    assert unsigned.status_code == 403
    assert stopped(http, account)


def test_twilio_signed_request_is_accepted_and_forgeries_are_not(http, account, db, server):
    token = "twilio-auth-" + uuid.uuid4().hex
    InboundEndpoints(db, account.account).require_signatures("twilio", token)
    path = inbound(account, "twilio")
    form = {"From": NUMBER, "Body": "STOP", "MessageSid": "SM" + uuid.uuid4().hex}
    good = RequestValidator(token).compute_signature(server.base_url + path, form)
    bad = RequestValidator("other").compute_signature(server.base_url + path, form)
    assert http.post(path, data=form, headers={"X-Twilio-Signature": bad}).status_code == 403
    assert event_count(http, account) == 0
    assert http.post(path, data=form, headers={"X-Twilio-Signature": good}).status_code == 200
    assert stopped(http, account)


def test_vonage_sms_signature_matches_vonage_s_published_example():
    # The example of Vonage's own client library: md5("&a=1&b=2&timestamp=...secret").
    params = {"a": "1", "b": "2", "timestamp": "1461605396"}
    assert sms_signature(params, "secret", "md5hash") == "6af838ef94998832dbfc29020b564830"
    assert sms_signature({**params, "sig": "ignored"}, "secret", "md5hash") == (
        "6af838ef94998832dbfc29020b564830"
    )


def _vonage_sms(secret: str, method: str, **extra: str) -> dict[str, str]:
    fields = {
        "msisdn": "33612345678",
        "to": "33700000000",
        "messageId": uuid.uuid4().hex,
        "text": "STOP",
        "keyword": "STOP&a=b",
        "type": "text",
        "timestamp": str(int(datetime.now(UTC).timestamp())),
        **extra,
    }
    signed = "".join(
        f"&{name}={fields[name].replace('&', '_').replace('=', '_')}" for name in sorted(fields)
    ).encode()
    if method == "md5hash":
        fields["sig"] = hashlib.md5(signed + secret.encode()).hexdigest()
    else:
        fields["sig"] = hmac.new(secret.encode(), signed, method).hexdigest().upper()
    return fields


@pytest.mark.parametrize("method", ["md5hash", "md5", "sha1", "sha256", "sha512"])
@pytest.mark.parametrize("transport", ["form", "query"])
def test_vonage_sms_api_signatures(http, account, db, method, transport):
    secret = "vonage-" + uuid.uuid4().hex
    InboundEndpoints(db, account.account).require_signatures("vonage", secret, method)
    path = inbound(account, "vonage")

    def send(fields: dict[str, str]):
        if transport == "form":
            return http.post(path, data=fields)
        return http.get(path, params=fields)

    forged = _vonage_sms("not-the-secret", method)
    assert send(forged).status_code == 403
    tampered = {**_vonage_sms(secret, method), "msisdn": "33698765432"}
    assert send(tampered).status_code == 403
    unsigned = {k: v for k, v in _vonage_sms(secret, method).items() if k != "sig"}
    assert send(unsigned).status_code == 403
    assert event_count(http, account) == 0
    assert send(_vonage_sms(secret, method)).status_code == 200
    assert stopped(http, account)


def test_vonage_messages_api_jwt(http, account, db):
    secret = "vonage-" + uuid.uuid4().hex
    InboundEndpoints(db, account.account).require_signatures("vonage", secret)
    path = inbound(account, "vonage")
    body = json.dumps(
        {"from": "33612345678", "to": "33700000000", "text": "STOP", "message_uuid": "m-1"}
    ).encode()

    def bearer(key: str, payload: bytes) -> dict[str, str]:
        claims = {
            "iat": int(datetime.now(UTC).timestamp()),
            "payload_hash": hashlib.sha256(payload).hexdigest(),
        }
        return {
            "Authorization": "Bearer " + jwt.encode(claims, key, algorithm="HS256"),
            "Content-Type": "application/json",
        }

    assert http.post(path, content=body, headers=bearer("other", body)).status_code == 403
    other_body = body.replace(b"STOP", b"HELLO")
    assert http.post(path, content=body, headers=bearer(secret, other_body)).status_code == 403
    assert (
        http.post(path, content=body, headers={"Authorization": "Bearer x.y.z"}).status_code == 403
    )
    assert event_count(http, account) == 0
    assert http.post(path, content=body, headers=bearer(secret, body)).status_code == 200
    assert stopped(http, account)

    # The token covers the body alone: a query string added to a captured
    # request must not name another sender (and undo that one's STOP).
    victim = "+33677777777"
    http.get("/v1/stop-sms/add", params={"apiKey": account.api_key, "phoneNumber": victim})
    start = json.dumps(
        {"from": "33612345678", "to": "33700000000", "text": "START", "message_uuid": "m-2"}
    ).encode()
    replayed = http.post(
        path,
        params={"msisdn": victim.removeprefix("+"), "messageId": "evil-1", "text": "START"},
        content=start,
        headers=bearer(secret, start),
    )
    assert replayed.status_code == 200
    assert not stopped(http, account)  # the signed START is the signed sender's
    answer = http.get(
        "/v1/stop-sms/check", params={"apiKey": account.api_key, "phoneNumber": victim}
    )
    assert answer.json()["stopped"]


def test_generic_standard_webhooks_signatures(http, account, db):
    _settings, secret = InboundEndpoints(db, account.account).require_signatures("generic")
    assert secret.startswith("whsec_")
    path = inbound(account, "generic")
    body = json.dumps({**STOP, "id": uuid.uuid4().hex})

    def signed(key: str, content: str, at: datetime | None = None) -> dict[str, str]:
        message_id = "msg_" + uuid.uuid4().hex
        moment = at or datetime.now(UTC)
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": Webhook(key).sign(message_id, moment, content),
            "Content-Type": "application/json",
        }

    other = "whsec_" + "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="
    assert http.post(path, content=body, headers=signed(other, body)).status_code == 403
    assert http.post(path, content=body, headers=signed(secret, body + " ")).status_code == 403
    stale = signed(secret, body, datetime.now(UTC) - timedelta(hours=1))
    assert http.post(path, content=body, headers=stale).status_code == 403
    assert http.post(path, content=body).status_code == 403
    assert http.post(path, content=body, headers={"webhook-signature": "junk"}).status_code == 403
    assert event_count(http, account) == 0
    assert http.post(path, content=body, headers=signed(secret, body)).status_code == 200
    assert stopped(http, account)


def test_smspartner_cannot_be_required_to_sign(db, account):
    with pytest.raises(ValueError, match="does not sign"):
        InboundEndpoints(db, account.account).require_signatures("smspartner", "x")
    with pytest.raises(ValueError, match="md5hash"):
        InboundEndpoints(db, account.account).require_signatures("vonage", "x", "crc32")
    with pytest.raises(ValueError, match="Standard Webhooks"):
        InboundEndpoints(db, account.account).require_signatures("generic", "whsec_")


def test_cli_switches_endpoints_and_signatures(http, account, database_url):
    name = account.account.name
    cli = ("--database", database_url)
    run_cli_here("inbound", "disable", name, "generic", *cli)
    assert http.post(inbound(account, "generic"), json=STOP).status_code == 404
    made = run_cli_here("inbound", "signing", name, "generic", *cli)
    secret = made.stdout.strip()
    assert secret.startswith("whsec_")
    assert "smspartner, twilio, vonage" in made.stderr  # still unsigned, and said so
    run_cli_here("inbound", "enable", name, "generic", *cli)
    assert http.post(inbound(account, "generic"), json=STOP).status_code == 403
    run_cli_here("inbound", "signing", name, "vonage", "vsecret", "--method", "sha256", *cli)
    status = json.loads(run_cli_here("inbound", "status", name, "--json", *cli).stdout)
    assert status == [
        {"provider": "smspartner", "enabled": True, "signature": None},
        {"provider": "twilio", "enabled": True, "signature": None},
        {"provider": "vonage", "enabled": True, "signature": "sha256"},
        {"provider": "generic", "enabled": True, "signature": "standard-webhooks"},
    ]
    refused = run_cli_here("inbound", "signing", name, "smspartner", "x", *cli, check=False)
    assert refused.returncode != 0 and "does not sign" in refused.stderr
    run_cli_here("inbound", "signing", name, "generic", "--clear", *cli)
    assert http.post(inbound(account, "generic"), json=STOP).status_code == 200
