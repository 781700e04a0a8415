"""The compatible API through a real ``stoplist serve``, as real clients call it."""

import json
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from stoplist.domain.clock import to_us
from stoplist.domain.stops import StopList
from stoplist.records.events import EventKind, NewEvent, Source
from tests.conftest import SEED_FIXTURES

ADD = "/v1/stop-sms/add"
LIST = "/v1/stop-sms/list"
DELETE = "/v1/stop-sms/delete"


def entries(element: ET.Element) -> list:
    """An XML answer as nested lists of stripped texts (whitespace carries no meaning)."""
    children = list(element)
    if not children:
        return (element.text or "").strip()
    return [entries(child) for child in children]


def listed_numbers(http, api_key):
    return [e["phoneNumber"] for e in http.get(LIST, params={"apiKey": api_key}).json()["data"]]


# --- the ways real clients send parameters -------------------------------------------------


def test_json_body_with_json_content_type(http, account):
    answer = http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "0611111111"})
    assert answer.status_code == 200
    assert list(answer.json()) == ["success", "code", "stopId"]
    assert answer.json()["success"] is True and answer.json()["code"] == 200


def test_json_body_sent_as_form_content_type_like_php_curl(http, account):
    body = json.dumps({"apiKey": account.api_key, "phoneNumber": "06 11 11 11 12"})
    answer = http.post(
        ADD, content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.json()["success"] is True
    assert listed_numbers(http, account.api_key) == ["+33611111112"]


def test_json_body_without_content_type_like_python_requests(http, account):
    body = json.dumps({"apiKey": account.api_key, "phoneNumber": "+33611111113"}).encode()
    request = http.build_request("POST", ADD, content=body)
    assert "content-type" not in request.headers
    assert http.send(request).json()["success"] is True


def test_form_body(http, account):
    answer = http.post(ADD, data={"apiKey": account.api_key, "phoneNumber": "0033611111114"})
    assert answer.json()["success"] is True


def test_multipart_form_body(http, account):
    answer = http.post(
        ADD, files={"apiKey": (None, account.api_key), "phoneNumber": (None, "0611111118")}
    )
    assert answer.json()["success"] is True


def test_query_string_on_get_and_on_post(http, account):
    got = http.get(ADD, params={"apiKey": account.api_key, "phoneNumber": "0611111115"})
    posted = http.post(ADD, params={"apiKey": account.api_key, "phoneNumber": "0611111116"})
    assert got.json()["success"] and posted.json()["success"]
    assert listed_numbers(http, account.api_key) == ["+33611111115", "+33611111116"]


def test_body_overrides_query(http, account):
    http.post(
        ADD,
        params={"apiKey": account.api_key, "phoneNumber": "0600000000"},
        json={"phoneNumber": "0611111117"},
    )
    assert listed_numbers(http, account.api_key) == ["+33611111117"]


def test_key_in_bearer_and_x_api_key_headers(http, account):
    bearer = {"Authorization": f"Bearer {account.api_key}"}
    assert http.post(ADD, json={"phoneNumber": "0622222221"}, headers=bearer).json()["success"]
    header = {"X-Api-Key": account.api_key}
    assert http.get(LIST, headers=header).json()["nbData"] == 1


def test_phone_numbers_alias(http, account):
    one = http.post(ADD, json={"apiKey": account.api_key, "phoneNumbers": "0622222222"})
    listed = http.post(ADD, json={"apiKey": account.api_key, "phoneNumbers": ["0622222223"]})
    assert one.json()["success"] and listed.json()["success"]


def test_a_repeated_number_name_is_refused_by_add_and_check_not_cut_to_its_last(http, account):
    """``requests.post(url, data={"phoneNumber": [a, b]})`` repeats the name in the form."""
    key = account.api_key
    numbers = [("phoneNumber", "0622222224"), ("phoneNumber", "0622222225")]
    sent = [
        http.post(ADD, data={"apiKey": key}, params=numbers),
        http.post(ADD, params=[("apiKey", key), *numbers]),
        http.post(ADD, content=f"apiKey={key}&phoneNumber=0622222224&phoneNumber=0622222225",
                  headers={"Content-Type": "application/x-www-form-urlencoded"}),
        http.post("/v1/stop-sms/check", params=[("apiKey", key), *numbers],
                  headers={"Accept-Language": "en"}),
    ]  # fmt: skip
    for answer in sent:
        assert answer.status_code == 400, answer.text
        assert (answer.json()["code"], answer.json()["reason"]) == (9, "several_numbers")
    assert (
        sent[0].json()["detail"]
        == "un seul numéro à la fois (filter et import en prennent plusieurs)"
    )
    assert sent[3].json()["detail"] == "one number at a time (filter and import take several)"
    assert listed_numbers(http, key) == []


def test_phone_number_and_its_alias_with_two_numbers_are_refused_not_one_kept(http, account):
    key = account.api_key
    both = {"phoneNumber": "0622222226", "phoneNumbers": "0622222227"}
    sent = [
        http.post(ADD, params={"apiKey": key, **both}),
        http.post(ADD, json={"apiKey": key, **both}),
        http.get("/v1/stop-sms/check", params={"apiKey": key, **both}),
        http.get("/v1/stop-sms/history", params={"apiKey": key, **both}),
    ]
    for answer in sent:
        assert answer.status_code == 400, answer.text
        assert (answer.json()["code"], answer.json()["reason"]) == (9, "several_numbers")
    assert listed_numbers(http, key) == []
    # The same number under both names, and one key sent twice, are that number and key.
    same = http.post(ADD, params=[("apiKey", key), ("apiKey", key), ("phoneNumber", "0622222226"),
                                  ("phoneNumbers", "0622222226")])  # fmt: skip
    assert same.json()["success"] is True, same.text
    assert listed_numbers(http, key) == ["+33622222226"]


def test_spellings_of_one_number_under_both_names_or_in_a_list_are_that_number(http, account):
    key = account.api_key
    both = {"phoneNumber": "0622222230", "phoneNumbers": "+33622222230"}
    added = http.post(ADD, json={"apiKey": key, **both})
    assert added.status_code == 200 and added.json()["success"] is True, added.text
    assert list(added.json()) == ["success", "code", "stopId"]
    listed = {"apiKey": key, "phoneNumbers": ["06 22 22 22 31", "0033622222231", "0622222231"]}
    assert http.post(ADD, json=listed).json()["success"] is True
    repeated = [("apiKey", key), ("phoneNumber", "0622222232"), ("phoneNumber", "+33622222232")]
    assert http.post(ADD, params=repeated).json()["success"] is True
    assert listed_numbers(http, key) == ["+33622222230", "+33622222231", "+33622222232"]
    again = http.post(ADD, params={"apiKey": key, **both})
    assert (again.status_code, again.json()["code"]) == (409, 3)
    checked = http.get("/v1/stop-sms/check", params={"apiKey": key, **both}).json()
    assert (checked["phoneNumber"], checked["stopped"]) == ("+33622222230", True)
    # A number beside another, or beside what is not a number, is still several.
    for other in ("0622222233", "not a number", ""):
        sent = {"apiKey": key, "phoneNumbers": ["0622222234", other]}
        refused = http.post(ADD, json=sent)
        assert refused.status_code == 400, refused.text
        assert (refused.json()["code"], refused.json()["reason"]) == (9, "several_numbers")
    assert len(listed_numbers(http, key)) == 3


# --- list, add, delete -----------------------------------------------------------------------


def test_list_matches_the_seed_json(http, db, account):
    stops = StopList(db, account.account)
    sent = to_us(datetime(2015, 7, 20, 8, 19, 45, tzinfo=UTC))
    stops.record(NewEvent("+33612345678", EventKind.OPT_OUT, Source.SMS, event_at=sent))
    seed = json.loads((SEED_FIXTURES / "list.json").read_text())
    answer = http.get(LIST, params={"apiKey": account.api_key}).json()
    seed["data"][0]["id"] = answer["data"][0]["id"]
    assert answer == seed
    assert list(answer) == list(seed) and list(answer["data"][0]) == list(seed["data"][0])


def test_list_matches_the_seed_xml(http, db, account):
    stops = StopList(db, account.account)
    sent = to_us(datetime(2015, 7, 20, 8, 19, 45, tzinfo=UTC))
    stops.record(NewEvent("+33612345678", EventKind.OPT_OUT, Source.SMS, event_at=sent))
    answer = http.get(LIST, params={"apiKey": account.api_key, "_format": "xml"})
    assert answer.headers["content-type"] == "application/xml; charset=UTF-8"
    assert answer.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    got = entries(ET.fromstring(answer.content))
    seed = entries(ET.parse(SEED_FIXTURES / "list.xml").getroot())
    seed[3][0][0] = got[3][0][0]  # the id is the server's own
    assert got == seed


def test_empty_list(http, account):
    answer = http.get(LIST, params={"apiKey": account.api_key})
    assert answer.json() == {"success": True, "code": 200, "nbData": 0, "data": []}
    xml = http.get(LIST, params={"apiKey": account.api_key, "_format": "xml"})
    assert entries(ET.fromstring(xml.content)) == ["true", "200", "0", ""]


def test_list_is_ordered_by_id_with_a_matching_count(http, account):
    ids = [
        http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": f"06333333{i:02d}"}).json()[
            "stopId"
        ]
        for i in range(12)
    ]
    answer = http.get(LIST, params={"apiKey": account.api_key}).json()
    assert [entry["id"] for entry in answer["data"]] == sorted(ids)
    assert answer["nbData"] == 12


def test_add_answers_code_3_with_the_existing_id(http, account):
    first = http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "0644444444"}).json()
    again = http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "+33644444444"})
    assert again.status_code == 409
    assert again.json() == {
        "success": False,
        "code": 3,
        "message": "Le numéro est déjà présent dans la liste",
        "stopId": first["stopId"],
    }


def test_delete_then_add_again(http, account):
    stop_id = http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "0655555555"}).json()[
        "stopId"
    ]
    deleted = http.post(DELETE, json={"apiKey": account.api_key, "id": stop_id})
    assert deleted.json() == {"success": True, "code": 200}
    assert listed_numbers(http, account.api_key) == []
    again = http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "0655555555"}).json()
    assert again["stopId"] > stop_id


def test_delete_accepts_stop_id_and_a_string_id(http, account):
    stop_id = http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "0655555556"}).json()[
        "stopId"
    ]
    answer = http.get(DELETE, params={"apiKey": account.api_key, "stopId": str(stop_id)})
    assert answer.json()["success"] is True


def test_xml_add_and_delete_answers(http, account):
    key = account.api_key
    added = http.post(ADD, data={"apiKey": key, "phoneNumber": "0656565656", "_format": "xml"})
    tree = entries(ET.fromstring(added.content))
    assert tree[:2] == ["true", "200"] and tree[2].isdigit()
    deleted = http.post(DELETE, data={"apiKey": key, "id": tree[2], "_format": "xml"})
    assert entries(ET.fromstring(deleted.content)) == ["true", "200"]


# --- errors, code by code --------------------------------------------------------------------


def assert_error(answer: httpx.Response, status: int, code: int, message: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["success"] is False
    assert answer.json()["code"] == code
    assert answer.json()["message"] == message


def test_code_1_without_key(http):
    assert_error(http.get(LIST), 401, 1, "La clé API est requise")


def test_code_10_with_an_unknown_key_matches_the_seed(http):
    answer = http.get(LIST, params={"apiKey": "sl_not-a-key"})
    assert answer.status_code == 401
    assert answer.json() == json.loads((SEED_FIXTURES / "error.json").read_text())
    xml = http.get(LIST, params={"apiKey": "sl_not-a-key", "_format": "xml"})
    assert entries(ET.fromstring(xml.content)) == entries(
        ET.parse(SEED_FIXTURES / "error.xml").getroot()
    )


def test_code_10_with_a_revoked_key(http, db, account):
    from stoplist.domain.accounts import Accounts

    accounts = Accounts(db)
    _key, secret = accounts.create_key(account.account, "temporary")
    assert http.get(LIST, params={"apiKey": secret}).status_code == 200
    accounts.revoke_key(account.account, secret)
    assert_error(http.get(LIST, params={"apiKey": secret}), 401, 10, "Clé API incorrecte")


def test_code_2_without_number(http, account):
    for body in ({"apiKey": account.api_key}, {"apiKey": account.api_key, "phoneNumber": ""}):
        assert_error(http.post(ADD, json=body), 400, 2, "Le numéro de téléphone est requis")


def test_code_9_with_an_invalid_number(http, account):
    for number in ("12", "not a number", "+33612", ["0611111111", "0622222222"]):
        answer = http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": number})
        assert_error(answer, 400, 9, "Le numéro de téléphone est invalide")
    assert listed_numbers(http, account.api_key) == []


def test_code_3_when_delete_has_no_id(http, account):
    assert_error(
        http.post(DELETE, json={"apiKey": account.api_key}), 400, 3, "L'ID du numéro est requis"
    )


def test_code_4_for_unknown_and_non_integer_ids(http, account):
    for stop_id in (999999999, "abc", -5, "1; DROP TABLE stops", 2**70, 1.5):
        answer = http.post(DELETE, json={"apiKey": account.api_key, "id": stop_id})
        assert_error(answer, 404, 4, "L'ID du numéro est introuvable")


def test_code_90_for_malformed_bodies(http, account):
    for body in (b'{"apiKey": "x", ', b"[1, 2]", b"\xff\xfe\x00garbage", b"no-equals-sign&&"):
        answer = http.post(ADD, content=body, params={"apiKey": account.api_key})
        assert_error(answer, 400, 90, "Le JSON est malformé")


def test_english_messages_on_request(http):
    answer = http.get(LIST, headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    assert_error(answer, 401, 1, "The API key is required")
    french = http.get(LIST, headers={"Accept-Language": "fr-FR,en;q=0.5"})
    assert french.json()["message"] == "La clé API est requise"


def test_xml_errors(http, account):
    answer = http.post(ADD, data={"apiKey": account.api_key, "phoneNumber": "1", "_format": "xml"})
    assert answer.status_code == 400
    # The contract's three entries first; the reason (an extension) follows them.
    assert entries(ET.fromstring(answer.content))[:4] == [
        "false",
        "9",
        "Le numéro de téléphone est invalide",
        "not_a_number",
    ]


def test_unknown_format_falls_back_to_json(http, account):
    answer = http.get(LIST, params={"apiKey": account.api_key, "_format": "yaml"})
    assert answer.headers["content-type"].startswith("application/json")


# --- robustness ------------------------------------------------------------------------------


def test_unknown_route_and_wrong_method_answer_json(http):
    assert_error(http.get("/v1/stop-sms/nope"), 404, 404, "Ressource introuvable")
    assert_error(http.put(LIST), 405, 405, "Méthode non autorisée")
    assert_error(http.delete(DELETE), 405, 405, "Méthode non autorisée")


def test_huge_bodies_are_refused_with_413_and_nothing_written(http, account):
    padding = "x" * (2 * 1024 * 1024)
    body = json.dumps({"apiKey": account.api_key, "phoneNumber": "0677777777", "pad": padding})
    answer = http.post(ADD, content=body)
    assert answer.status_code == 413
    assert answer.json()["code"] == 413
    assert listed_numbers(http, account.api_key) == []


def test_fifty_simultaneous_adds_give_one_entry(http, account):
    def add(_: int) -> httpx.Response:
        return http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "0688888888"})

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(add, range(50)))
    codes = sorted(answer.json()["code"] for answer in answers)
    assert codes == [3] * 49 + [200]
    winner = next(a.json()["stopId"] for a in answers if a.json()["code"] == 200)
    assert {a.json()["stopId"] for a in answers} == {winner}
    assert listed_numbers(http, account.api_key) == ["+33688888888"]


# --- isolation and secrets -------------------------------------------------------------------


def test_accounts_never_see_each_others_lists(http, account, other_account):
    mine = http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "0699999999"}).json()
    assert listed_numbers(http, other_account.api_key) == []
    theirs = http.post(DELETE, json={"apiKey": other_account.api_key, "id": mine["stopId"]})
    assert_error(theirs, 404, 4, "L'ID du numéro est introuvable")
    again = http.post(ADD, json={"apiKey": other_account.api_key, "phoneNumber": "0699999999"})
    assert again.json()["success"] is True and again.json()["stopId"] != mine["stopId"]
    assert listed_numbers(http, account.api_key) == ["+33699999999"]


def test_api_keys_never_reach_the_logs(http, server, account):
    http.get(LIST, params={"apiKey": account.api_key})
    http.post(ADD, json={"apiKey": account.api_key, "phoneNumber": "0612121212"})
    http.get(LIST, headers={"Authorization": f"Bearer {account.api_key}"})
    checked = {"apiKey": account.api_key, "phoneNumber": "+33612121212"}
    assert http.get("/v1/stop-sms/check", params=checked).json()["stopped"] is True
    logged_check = '"GET /v1/stop-sms/check?apiKey=[redacted]&phoneNumber='
    logs = server.logs(containing=logged_check)
    assert logged_check in logs
    assert "apiKey=[redacted]" in logs
    assert account.api_key not in logs


def test_no_traceback_reaches_clients(http, account):
    answer = http.post(ADD, content=b'{"apiKey": {"nested": true}}')
    assert answer.status_code in (400, 401)
    assert "Traceback" not in answer.text


def test_openapi_and_docs(http):
    spec = http.get("/openapi.json").json()
    assert {"/v1/stop-sms/list", "/v1/stop-sms/add", "/v1/stop-sms/delete"} <= set(spec["paths"])
    page = http.get("/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert http.get("/docs/static/swagger-ui-bundle.js").status_code == 200


def test_an_invalid_number_says_why_in_the_answers_language(http, account):
    params = {"apiKey": account.api_key, "phoneNumber": "06 12 34"}
    french = http.get("/v1/stop-sms/add", params=params)
    assert french.status_code == 400
    assert french.json() == {
        "success": False,
        "code": 9,
        "message": "Le numéro de téléphone est invalide",
        "reason": "too_short",
        "detail": "trop court",
    }
    english = http.get(
        "/v1/stop-sms/check",
        params={**params, "phoneNumber": "0712345678"},
        headers={"Accept-Language": "en"},
    ).json()
    assert (english["message"], english["reason"], english["detail"]) == (
        "The phone number is invalid",
        "unknown_prefix",
        "unknown prefix for the region",
    )
