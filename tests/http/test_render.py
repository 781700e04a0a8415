"""The seed's XML shape and the choice of language."""

import xml.etree.ElementTree as ET

from stoplist.http.negotiation import language, response_format
from stoplist.http.render import cdata, xml_document


def test_cdata_splits_its_terminator():
    text = "a]]>b"
    document = xml_document({"value": text})
    assert ET.fromstring(document)[0].text == text
    assert cdata("x]]>y") == "<![CDATA[x]]]]><![CDATA[>y]]>"


def test_xml_keeps_order_and_nests():
    document = xml_document({"ok": True, "n": 2, "items": [{"a": "x", "b": False}], "none": None})
    root = ET.fromstring(document)
    assert [child.tag for child in root] == ["entry"] * 4
    assert root[0].text == "true" and root[1].text == "2"
    assert [e.text for e in root[2][0]] == ["x", "false"]


def test_control_characters_cannot_break_the_document():
    root = ET.fromstring(xml_document({"text": "stop\x00\x1b now"}))
    assert root[0].text == "stop\ufffd\ufffd now"


def test_language_follows_accept_language():
    assert language(None) == "fr"
    assert language("en") == "en"
    assert language("en-US,en;q=0.9") == "en"
    assert language("fr-FR,fr;q=0.9,en;q=0.8") == "fr"
    assert language("de-DE,en;q=0.5") == "en"
    assert language("de-DE") == "fr"
    assert language("fr;q=0.2,en;q=0.7") == "en"
    assert language("en;q=oops,fr") == "fr"


def test_format_is_json_unless_xml():
    assert response_format("xml") == "xml"
    assert response_format("XML") == "xml"
    assert response_format("json") == "json"
    assert response_format(None) == "json"
    assert response_format(["xml"]) == "json"
