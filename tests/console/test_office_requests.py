"""The console's GDPR page and dead-letter page, over HTTP on the embedded
platform."""
from __future__ import annotations

import json
import re

from coalizione_common.bus import ConfirmingPublisher
from coalizione_common.envelope import Envelope
from console import audit

from .platform import PASSWORD, wait_until


def _login(platform) -> str:
    platform.client.post("/ops/accesso", data={"username": "ufficio", "password": PASSWORD})
    page = platform.client.get("/ops/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_a_person_is_found_exported_and_erased_on_request(planned):
    platform, body, session_id = planned
    person = body.participants[0]
    csrf = _login(platform)
    assert platform.client.post("/ops/privacy", data={
        "csrf_token": csrf, "email": "non-un-indirizzo"}).status_code == 422

    page = platform.client.post("/ops/privacy", data={
        "csrf_token": csrf, "email": person["email"]}).get_data(as_text=True)
    assert person["name"] in page and body.name in page
    export = platform.client.post("/ops/privacy/esporta", data={
        "csrf_token": csrf, "email": person["email"]})
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    document = export.json
    [held] = document["enrolment"]
    assert held["name"] == person["name"] and held["as"] == "participant"
    assert document["scheduling"][0]["data"]["name"] == person["name"]
    assert document["notify"] and document["notify"][0]["person_id"] == held["person_id"]

    unconfirmed = platform.client.post("/ops/privacy/cancella", data={
        "csrf_token": csrf, "email": person["email"]})
    assert unconfirmed.status_code == 422
    assert "spunta la casella di conferma" in unconfirmed.get_data(as_text=True)
    assert platform.api("GET", f"/api/enrolment/v1/people?email={person['email']}")[0] == 200

    done = platform.client.post("/ops/privacy/cancella", data={
        "csrf_token": csrf, "email": person["email"], "confirm": "si", "reason": "prot. 123"},
        follow_redirects=True).get_data(as_text=True)
    assert "Dati personali cancellati in 1 adesioni" in done
    assert platform.api("GET", f"/api/enrolment/v1/people?email={person['email']}")[0] == 404
    assert wait_until(lambda: platform.api(
        "GET", f"/api/scheduling/v1/people/{held['person_id']}")[1].get("name") is None, 30)
    other = body.participants[1]
    assert platform.api("GET", f"/api/enrolment/v1/people?email={other['email']}")[0] == 200

    rows, _ = audit.entries(platform.system.runtimes["console"])
    mine = [r for r in rows if r["action"] in ("view-person", "export-person", "erase-person")]
    assert {r["action"] for r in mine} == {"view-person", "export-person", "erase-person"}
    views = [r for r in mine if r["action"] == "view-person"]
    assert len(views) == 2, "the search and the refused erasure both showed the person's data"
    assert all(person["email"] not in json.dumps(r, default=str) for r in rows), \
        "the audit log must not keep an erased address"
    assert any(held["person_id"] in r["target"] for r in mine)


def test_dead_letters_are_shown_and_replayed(platform):
    """An entity without a name, published straight to the exchange (the
    registry would never emit it): its consumers dead-letter it."""
    registry = platform.system.runtimes["registry"]
    broken = Envelope.new("registry.entity.upserted", "registry", "IPA-broken",
                          {"code": "IPA-broken"}, registry.clock.now())
    with registry.bus.connection() as conn:
        publisher = ConfirmingPublisher(conn)
        publisher.publish([registry.bus.event_message(broken.to_json(), broken.type, broken.id)])
        publisher.close()

    def dead():
        status, found = platform.api("GET", "/api/enrolment/v1/dead-letters")
        return status == 200 and sum(q["count"] for q in found["queues"])
    assert wait_until(dead, 30, 0.3), "the broken event was never dead-lettered"
    csrf = _login(platform)
    page = platform.client.get("/ops/code-errori").get_data(as_text=True)
    queue = re.search(r'name="queue" value="([^"]*enrolment\.[^"]+)"', page).group(1)
    assert "registry.entity.upserted" in page

    replayed = platform.client.post("/ops/code-errori/enrolment/riprova", data={
        "csrf_token": csrf, "queue": queue}, follow_redirects=True).get_data(as_text=True)
    assert "Messaggi rimessi in coda: 1." in replayed
    rows, _ = audit.entries(platform.system.runtimes["console"], action="replay-dead-letters")
    assert rows and rows[0]["target"] == f"enrolment:{queue}"
