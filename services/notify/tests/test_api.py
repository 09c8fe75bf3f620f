"""The operations API on the delivery log."""
from __future__ import annotations

from services.notify.tests.builders import Body
from services.notify.tests.conftest import delivery_rows


def test_reading_the_log_needs_a_token(api):
    r = api.get("/api/notify/v1/deliveries")
    assert r.status_code == 401 and r.mimetype == "application/problem+json"


def test_deliveries_by_adhesion_and_by_recipient_with_state_and_reason(api, notify):
    one, other = Body(), Body("040001", "Bertinoro")
    notify.transport.script = ["550 5.1.1 <maria> mailbox unknown"]
    notify.handle(one.roster("submitted"))
    notify.send_all()
    notify.handle(other.roster("submitted"))
    r = api.get(f"/api/notify/v1/deliveries?adhesion_id={one.adhesion_id}", headers=api.viewer)
    assert r.status_code == 200
    [item] = r.json["items"]
    assert item["template"] == "confirmation_request" and item["state"] == "failed"
    assert item["reason"] == "550 5.1.1 <maria> mailbox unknown"
    assert item["recipient_id"] == one.contact["id"] and r.json["next"] is None
    assert "recipient_address" not in item and "message" not in item
    r = api.get(f"/api/notify/v1/deliveries?recipient_id={other.contact['id']}&state=queued",
                headers=api.viewer)
    assert [i["adhesion_id"] for i in r.json["items"]] == [other.adhesion_id]
    assert api.get(f"/api/notify/v1/deliveries/{item['id']}", headers=api.viewer).json == item


def test_pages_follow_the_cursor(api, notify):
    for _ in range(5):
        notify.handle(Body().roster("submitted"))
    seen, cursor = [], None
    while True:
        url = "/api/notify/v1/deliveries?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(url, headers=api.viewer).json
        seen += [i["id"] for i in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(r.id for r in delivery_rows(notify)) and len(seen) == 5


def test_bad_queries_are_problems(api):
    r = api.get("/api/notify/v1/deliveries?state=lost&limit=0&colour=red", headers=api.viewer)
    assert r.status_code == 422 and r.json["type"].endswith("/validation")
    assert {e["field"] for e in r.json["errors"]} == {"state", "limit", "colour"}
    assert api.get("/api/notify/v1/deliveries?cursor=@@", headers=api.viewer).status_code == 422
    assert api.get("/api/notify/v1/deliveries/nope", headers=api.viewer).status_code == 404


def test_an_operator_resends_a_failed_message_to_the_current_address(api, notify):
    body = Body()
    notify.transport.script = ["550 mailbox unknown"]
    notify.handle(body.roster("submitted"))
    notify.send_all()
    [failed] = delivery_rows(notify)
    assert api.post(f"/api/notify/v1/deliveries/{failed.id}/resend",
                    headers=api.viewer).status_code == 403
    body.contact["email"] = "maria.rossi@nuovo.example.it"
    notify.handle(body.roster("confirmation_requested"))
    r = api.post(f"/api/notify/v1/deliveries/{failed.id}/resend", headers=api.operator)
    assert r.status_code == 202, r.json
    assert r.json["resend_of"] == failed.id and r.json["state"] == "queued"
    assert r.headers["Location"] == f"/api/notify/v1/deliveries/{r.json['id']}"
    assert r.json["message_id"] != failed.message_id
    notify.send_all()
    resent = [m for m in notify.transport.to("maria.rossi@nuovo.example.it")
              if m["Message-ID"] == r.json["message_id"]]
    assert len(resent) == 1 and resent[0]["Subject"].startswith("Conferma l'adesione")
    again = api.post(f"/api/notify/v1/deliveries/{r.json['id']}/resend", headers=api.operator)
    assert again.status_code == 202


def test_a_message_on_its_way_cannot_be_resent(api, notify):
    notify.handle(Body().roster("submitted"))
    [queued] = delivery_rows(notify)
    r = api.post(f"/api/notify/v1/deliveries/{queued.id}/resend", headers=api.operator)
    assert r.status_code == 409 and r.json["type"].endswith("/not-resendable")


def test_the_openapi_document_describes_the_log(api):
    doc = api.get("/api/notify/v1/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    assert {"/deliveries", "/deliveries/{id}", "/deliveries/{id}/resend"} <= set(doc["paths"])
    assert "failed" in doc["components"]["schemas"]["Delivery"]["properties"]["state"]["enum"]


def test_links_in_e_mails_follow_port_when_no_public_base_url_is_set(notify):
    from notify.config import NotifyConfig
    settings = notify.settings
    assert NotifyConfig.from_env(settings, {"PORT": "9000"}).public_base_url == \
        "http://127.0.0.1:9000"
    assert NotifyConfig.from_env(settings, {"PORT": "9000", "PUBLIC_BASE_URL":
                                            "https://x.example/"}).public_base_url == \
        "https://x.example"
