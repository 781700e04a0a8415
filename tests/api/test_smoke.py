def test_healthz(http):
    assert http.get("/healthz").json() == {"status": "ok"}


def test_add_then_list(http, account):
    added = http.post(
        "/v1/stop-sms/add", json={"apiKey": account.api_key, "phoneNumber": "0612345678"}
    )
    assert added.json()["success"] is True
    listed = http.get("/v1/stop-sms/list", params={"apiKey": account.api_key}).json()
    assert [e["phoneNumber"] for e in listed["data"]] == ["+33612345678"]
