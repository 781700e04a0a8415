"""What may reach a log line: masked numbers, no keys, no tokens, no texts."""

from __future__ import annotations

from urllib.parse import unquote_plus

from stoplist.api.access_log import redact_path, redact_query
from stoplist.observability.context import request_id_from
from stoplist.observability.redaction import mask_number, scrub


def test_numbers_are_masked_like_keys_keeping_only_their_ends():
    assert mask_number("+33612345678") == "+336****5678"
    assert mask_number("06 12 34 56 78") == "06****78"
    assert mask_number("33612345678") == "33****78"
    assert mask_number("123") == "****"


def test_every_number_carrying_parameter_is_masked_and_secrets_and_texts_removed():
    query = (
        "apiKey=sl_secret123456&phoneNumber=%2B33612345678&phoneNumbers=0611111111"
        "&msisdn=33622222222&From=%2B33633333333&to=0644444444&text=STOP+Zorglub&q=0655555555"
        "&number=0666666666&limit=10"
    )
    redacted = unquote_plus(redact_query(query))
    for secret in ("sl_secret123456", "Zorglub", "612345678", "611111111", "622222222"):
        assert secret not in redacted
    for digits in ("633333333", "644444444", "655555555", "666666666"):
        assert digits not in redacted
    assert "phoneNumber=+336****5678" in redact_query(query)
    assert "limit=10" in redacted


def test_dates_in_dashboard_filters_stay_readable():
    assert redact_query("from=2026-01-01&to=2026-02-01") == "from=2026-01-01&to=2026-02-01"


def test_a_number_inside_another_parameter_is_masked_too():
    redacted = unquote_plus(redact_query("next=%2Fdashboard%2Fsearch%3Fnumber%3D0612345678"))
    assert "0612345678" not in redacted and "/dashboard/search" in redacted


def test_inbound_tokens_never_appear():
    assert redact_path("/inbound/tok_abc/twilio") == "/inbound/[redacted]/twilio"
    assert "tok_abc" not in scrub("POST /inbound/tok_abc/twilio failed")


def test_scrub_masks_numbers_keys_and_secrets_in_free_text():
    text = (
        "Key (account_id, phone_number)=(1, +33612345678) already exists; "
        "key sl_AbCdEf123456 secret whsec_QUJDREVGR0g= national 06 12 34 56 78, 0612345678"
    )
    scrubbed = scrub(text)
    for secret in ("612345678", "AbCdEf123456", "QUJDREVGR0g", "06 12 34 56 78"):
        assert secret not in scrubbed
    assert "already exists" in scrubbed


def test_scrub_leaves_dates_addresses_and_durations_alone():
    text = "2026-12-01 07:42:10 127.0.0.1 took 12.5ms on port 8080, 3 rows"
    assert scrub(text) == text


def test_a_sane_request_id_is_kept_and_anything_else_replaced():
    assert request_id_from("req-42.a_b:c") == "req-42.a_b:c"
    for insane in (None, "", "has spaces", "x" * 65, 'quote"', "new\nline", "é"):
        generated = request_id_from(insane)
        assert generated != insane and len(generated) == 32 and generated.isalnum()
