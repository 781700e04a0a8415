"""The dashboard's CSV export is the API's, byte for byte, whatever the list's length."""

from __future__ import annotations

from tests.web.conftest import dashboard_client

NUMBERS = [f"+3368{i:07d}" for i in range(12_000)]  # more than two batches of entries


def test_the_dashboard_export_is_the_api_export(http, server, account):
    imported = http.post(
        "/v1/stop-sms/import",
        params={"apiKey": account.api_key},
        content="\n".join(NUMBERS).encode(),
        timeout=120,
    )
    assert imported.json()["added"] == len(NUMBERS)
    from_api = http.get(
        "/v1/stop-sms/export", params={"apiKey": account.api_key, "format": "csv"}, timeout=120
    )
    with dashboard_client(server, account.api_key) as (client, _):
        from_dashboard = client.get("/dashboard/export.csv", timeout=120)
    assert from_dashboard.status_code == 200
    assert from_dashboard.content == from_api.content
    lines = from_dashboard.text.splitlines()
    assert lines[0] == "id,phoneNumber,createdAt,source"
    assert sorted(line.split(",")[1] for line in lines[1:]) == NUMBERS
