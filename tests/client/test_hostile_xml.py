"""XML answers come from the network: entity tricks are refused, never expanded or fetched.

A server (or anything between it and the client) may answer with a DTD that
declares entities: exponentially nested ones ("billion laughs") or external
ones that would read a local file. The client refuses the document with its
own error, ``ServerError``, and tries nothing else. Served by an
``httpx.MockTransport`` standing in for a hostile server.
"""

from __future__ import annotations

import httpx
import pytest

from stoplist.client import AsyncClient, Client, ServerError
from tests.client.blocking import Blocking

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE result [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<result><entry>true</entry><entry>200</entry><entry>&lol3;</entry>
<entry>false</entry></result>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE result [<!ENTITY secret SYSTEM "file:///etc/hostname">]>
<result><entry>true</entry><entry>200</entry><entry>&secret;</entry>
<entry>false</entry></result>
"""

PLAIN = b"""<?xml version="1.0"?>
<result><entry>true</entry><entry>200</entry><entry><![CDATA[+33612345678]]></entry>
<entry>false</entry></result>
"""


def _client(body: bytes, mode: str, seen: list[httpx.Request]) -> Client | Blocking:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, content=body, headers={"Content-Type": "application/xml"})

    options = {"api_key": "key", "format": "xml", "retries": 2, "backoff": 0}
    if mode == "sync":
        return Client("http://hostile.test/v1", transport=httpx.MockTransport(answer), **options)
    return Blocking(
        AsyncClient("http://hostile.test/v1", transport=httpx.MockTransport(answer), **options)
    )


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize("body", [LAUGHS, EXTERNAL], ids=["billion-laughs", "external-entity"])
def test_an_entity_document_is_refused_with_the_clients_error(body, mode):
    seen: list[httpx.Request] = []
    client = _client(body, mode, seen)
    try:
        with pytest.raises(ServerError) as caught:
            client.check("0612345678")
    finally:
        client.close()
    assert "refused XML" in caught.value.message
    assert caught.value.status_code == 200
    assert len(seen) == 1  # a 200 that cannot be read is not retried


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_the_same_answer_without_entities_is_read(mode):
    seen: list[httpx.Request] = []
    client = _client(PLAIN, mode, seen)
    try:
        result = client.check("0612345678")
    finally:
        client.close()
    assert (result.phone_number, result.stopped) == ("+33612345678", False)
