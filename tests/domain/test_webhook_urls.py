"""Which webhook URLs can be registered: syntax, credentials, and internal destinations."""

from __future__ import annotations

import ipaddress

import pytest

from stoplist.api.errors import error_body
from stoplist.domain.webhook_urls import (
    MAX_URL_LENGTH,
    RefusedUrl,
    check_url,
    is_internal_address,
)

ACCEPTED = [
    "https://crm.example.com/hooks/stoplist",
    "http://hooks.example.org:8080/a?b=c@d#e",
    "https://exämple.fr/événements",
    "HTTPS://CRM.EXAMPLE.COM/x",
    "http://8.8.8.8/hook",
    "http://[2606:4700::1111]/hook",
]

SYNTAX = {
    "http://127.0.0.1:18099/x\r\nX-Injected: yes": "characters",
    "https://crm.example.com/x\n": "characters",
    "https://crm.example.com/a b": "characters",
    "https://crm.example.com/\tx": "characters",
    "https://crm.example.com/\x00": "characters",
    "https://crm.example.com/\u200bx": "characters",
    "https://crm.example.com\u00a0/x": "characters",
    "ftp://crm.example.com/x": "scheme",
    "javascript:alert(1)": "scheme",
    "crm.example.com/hook": "scheme",
    "http:/crm.example.com/x": "scheme",
    "https://": "host",
    "http:///x": "host",
    "http://%31%32%37.0.0.1/": "host",
    "http://1.2.3.4.5/": "host",
    "http://0177.0.0.1/": "syntax",  # httpx will not read a leading zero
    "http://user:secret@crm.example.com/x": "credentials",
    "http://token@crm.example.com/x": "credentials",
    "http://crm.example.com\\@127.0.0.1/": "credentials",
    "http://crm.example.com:0/x": "port",
    "http://crm.example.com:99999/x": "port",
    "https://crm.example.com/" + "a" * MAX_URL_LENGTH: "length",
}

INTERNAL = {
    "http://127.0.0.1/": "private_address",
    "http://127.0.0.1:8080/v1/stop-sms/add?apiKey=sl_x": "private_address",
    "http://[::1]/": "private_address",
    "http://0.0.0.0:8080/": "private_address",
    "http://10.0.0.1/": "private_address",
    "http://172.16.5.4/": "private_address",
    "http://192.168.1.1/": "private_address",
    "http://100.64.0.1/": "private_address",
    "http://169.254.169.254/latest/meta-data/": "private_address",
    "http://2130706433/": "private_address",
    "http://0x7f.1/": "private_address",
    "http://127.1/": "private_address",
    "http://[::ffff:127.0.0.1]/": "private_address",
    "http://[::ffff:a9fe:a9fe]/": "private_address",
    "http://[2002:7f00:1::]/": "private_address",
    "http://[64:ff9b::a00:1]/": "private_address",
    "http://[fe80::1]/": "private_address",
    "http://[fd00::1]/": "private_address",
    "http://[fec0::1]/": "private_address",
    "http://[feff:ffff::1]/": "private_address",
    "http://224.0.0.1/": "private_address",
    "http://[ff02::1]/": "private_address",
    "http://240.0.0.1/": "private_address",
    "http://255.255.255.255/": "private_address",
    "http://localhost:8080/": "internal_name",
    "http://LOCALHOST./": "internal_name",
    "http://api.localhost/": "internal_name",
    "http://metadata.google.internal/computeMetadata/v1/": "internal_name",
    "http://instance-data/": "internal_name",
    "http://printer.local/": "internal_name",
    "http://intranet/": "internal_name",
}


@pytest.mark.parametrize("url", ACCEPTED)
def test_public_http_urls_are_accepted(url):
    assert check_url(url) == url


def test_surrounding_spaces_are_dropped():
    assert check_url("  https://crm.example.com/hook ") == "https://crm.example.com/hook"


@pytest.mark.parametrize(("url", "reason"), SYNTAX.items())
def test_malformed_urls_are_refused_even_when_private_addresses_are_allowed(url, reason):
    for allow_private in (False, True):
        with pytest.raises(RefusedUrl) as refused:
            check_url(url, allow_private=allow_private)
        assert refused.value.reason == reason


@pytest.mark.parametrize(("url", "reason"), INTERNAL.items())
def test_internal_destinations_are_refused_unless_allowed(url, reason):
    with pytest.raises(RefusedUrl) as refused:
        check_url(url)
    assert refused.value.reason == reason
    assert check_url(url, allow_private=True) == url


def test_the_refusal_says_why_in_french_and_english():
    with pytest.raises(RefusedUrl) as refused:
        check_url("http://user:pw@crm.example.com/")
    error = refused.value
    status, french = error_body(error, "fr")
    _, english = error_body(error, "en")
    assert (error.code, status) == (91, 400)
    assert french["message"] == (
        "URL de webhook refusée : l'URL ne doit contenir ni nom d'utilisateur ni mot de passe"
    )
    assert english["message"] == (
        "Webhook URL refused: the URL must not contain a user name or password"
    )
    assert french["detail"] == "l'URL ne doit contenir ni nom d'utilisateur ni mot de passe"
    assert english["detail"] == "the URL must not contain a user name or password"
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("address", "internal"),
    [
        ("8.8.8.8", False),
        ("2606:4700::1111", False),
        ("::ffff:8.8.8.8", False),  # judged by the IPv4 address it carries
        ("127.0.0.1", True),
        ("::", True),
        ("::7f00:1", True),  # IPv4-compatible, deprecated
        ("198.18.0.1", True),
        ("192.0.2.1", True),
        ("fec0::1", True),  # site-local, which ipaddress counts as global
    ],
)
def test_address_classes(address, internal):
    assert is_internal_address(ipaddress.ip_address(address)) is internal
