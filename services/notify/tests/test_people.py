"""A person's messages (data subject access) and what erasing a person
leaves of them in the delivery log."""
from __future__ import annotations

from notify.deliveries import message_text
from services.notify.tests.builders import Body, Training, envelope
from services.notify.tests.conftest import delivery_rows, outbox_events


def erase(notify, body: Body, *people: dict) -> None:
    notify.handle(envelope("roster.erased", {"adhesion_id": body.adhesion_id,
                                             "person_ids": [p["id"] for p in people]}))


def test_an_operator_reads_what_was_sent_to_a_person(api, notify):
    body = Body()
    notify.handle(body.roster("submitted"))
    notify.handle(body.roster("confirmed"))
    notify.send_all()
    url = f"/api/notify/v1/people/{body.contact['id']}"
    assert api.get(url, headers=api.viewer).status_code == 403
    r = api.get(url, headers=api.operator)
    assert r.status_code == 200
    assert r.json["erased"] is False
    assert [(i["template"], i["status"]) for i in r.json["items"]] == [
        ("confirmation_request", "sent"), ("adhesion_confirmed", "sent")]
    first = r.json["items"][0]
    assert first["subject"] == "Conferma l'adesione del Comune di Forlì al programma CO-AliZIONE"
    assert first["recipient_address"] == body.contact["email"] and first["sent_at"]
    missing = api.get("/api/notify/v1/people/nobody", headers=api.operator)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"


def test_after_erasure_the_log_keeps_no_address_and_no_message(api, notify):
    body = Body()
    notify.handle(body.roster("confirmed"))
    notify.send_all()
    erase(notify, body, body.contact)
    r = api.get(f"/api/notify/v1/people/{body.contact['id']}", headers=api.operator)
    assert r.json["erased"] is True
    [item] = r.json["items"]
    assert item["recipient_address"] is None and item["status"] == "sent"
    assert item["subject"].startswith("Adesione confermata")  # it names no person
    [row] = delivery_rows(notify)
    assert row.message is None and row.recipient_address is None


def test_erasing_a_participant_forgets_the_contacts_messages_that_name_them(notify):
    body = Body(participants=2)
    leaving, staying = body.participants
    training = Training()
    notify.handle(body.roster("confirmed"))
    notify.handle(training.scheduled())
    notify.handle(body.assignment(training, participants=[staying]))
    notify.send_all()  # the receipt (its scheda lists both) and the invitations
    notify.handle(body.roster("updated"))  # queued, not sent: it names both too
    erase(notify, body, leaving)
    rows = {(r.template, r.recipient_id): r for r in delivery_rows(notify)}
    receipt = rows[("adhesion_confirmed", body.contact["id"])]
    assert receipt.message is None and receipt.state == "sent"
    update = rows[("adhesion_updated", body.contact["id"])]
    assert update.message is None and update.state == "failed"
    assert "names a person whose personal data were erased" in update.reason
    overview = rows[("invitation_local_day", body.contact["id"])]
    invitation = rows[("invitation_local_day", staying["id"])]
    assert overview.message is not None and invitation.message is not None  # name only the other
    assert not any(leaving["name"] in message_text(r.message) or leaving["email"] in r.message
                   for r in delivery_rows(notify) if r.message is not None)
    failed = [e for e in outbox_events(notify) if e["type"] == "notification.failed"]
    assert [e["data"]["template"] for e in failed] == ["adhesion_updated"]
    assert notify.send_all() == 0
