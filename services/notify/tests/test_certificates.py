"""Certificates of attendance: mailed once with their PDF, rendered again
for the office, and what happens when notify has no address for the holder."""
from __future__ import annotations

import uuid

from services.notify.tests.builders import Body, envelope
from services.notify.tests.conftest import delivery_rows
from tests.support.pdf import pdf_text


def certificate_issued(body: Body, person: dict | None = None, **overrides):
    person = person or body.participants[0]
    code = "AB2C-DEF3-GH45"
    data = {
        "certificate_id": str(uuid.uuid4()), "code": code, "adhesion_id": body.adhesion_id,
        "entity_code": body.entity["code"], "entity_name": "Comune di Forlì",
        "participant_id": person["id"], "role": person["role"],
        "sessions": [
            {"session_id": str(uuid.uuid4()), "kind": "webinar",
             "title": "Accoglienza integrata e ruolo del Comune",
             "starts_at": "2017-09-12T13:00:00Z", "ends_at": "2017-09-12T14:30:00Z"},
            {"session_id": str(uuid.uuid4()), "kind": "in_person",
             "title": "Giornata formativa di Forlì",
             "starts_at": "2017-07-10T07:00:00Z", "ends_at": "2017-07-10T15:00:00Z"},
        ],
        "hours": 9.5, "issued_at": "2017-10-02T08:30:00Z", "verify_path": f"/verifica/{code}"}
    data.update(overrides)
    return envelope("roster.certificate.issued", data, subject=body.adhesion_id,
                    source="scheduling")


def the_pdf(message):
    [part] = [p for p in message.iter_attachments() if p.get_filename().endswith(".pdf")]
    return part


def test_the_holder_receives_the_certificate_with_its_pdf(notify):
    body = Body()
    notify.handle(body.roster("confirmed"))
    issued = certificate_issued(body)
    notify.handle(issued)
    notify.send_all()
    holder = body.participants[0]
    [message] = notify.transport.to(holder["email"])
    assert message["Subject"] == "Attestato di partecipazione – CO-AliZIONE 2017"
    assert message["To"].addresses[0].display_name == "Partecipante 1 Bianchi"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Gentile Partecipante 1 Bianchi" in text and "Funzionario, Comune di Forlì" in text
    assert "lunedì 10 luglio 2017, dalle 09:00 alle 17:00" in text  # Rome's summer time
    assert text.index("Giornata formativa di Forlì") < text.index("Accoglienza integrata")
    assert "Totale: 9,5 ore" in text and "Codice di verifica: AB2C-DEF3-GH45" in text
    assert "http://127.0.0.1:8000/verifica/AB2C-DEF3-GH45" in text
    assert 'href="http://127.0.0.1:8000/verifica/AB2C-DEF3-GH45"' in html
    pdf = the_pdf(message)
    assert pdf.get_filename() == "attestato-AB2C-DEF3-GH45.pdf"
    drawn = pdf_text(pdf.get_content())
    for expected in ("Attestato di partecipazione", "Programma CO-AliZIONE 2017",
                     "ANCI con Fondazione Cittalia", "Partecipante 1 Bianchi",
                     "Funzionario - Comune di Forlì",
                     "martedì 12 settembre 2017, dalle 15:00 alle 16:30",
                     "Totale ore di partecipazione: 9,5", "Rilasciato il lunedì 2 ottobre 2017",
                     "Codice di verifica: AB2C-DEF3-GH45",
                     "http://127.0.0.1:8000/verifica/AB2C-DEF3-GH45"):
        assert expected in drawn, expected
    [row] = delivery_rows(notify, template="certificate")
    assert (row.recipient_id, row.adhesion_id, row.state) == (holder["id"], body.adhesion_id, "sent")


def test_a_certificate_announced_three_times_is_mailed_once(notify):
    body = Body()
    notify.handle(body.roster("confirmed"))
    issued = certificate_issued(body)
    again = envelope(issued.type, issued.data, subject=issued.subject, source="scheduling")
    assert [notify.handle(e) for e in (issued, issued, again)] == [True, False, True]
    notify.send_all()
    assert len(notify.transport.to(body.participants[0]["email"])) == 1
    assert len(delivery_rows(notify, template="certificate")) == 1


def test_a_certificate_before_its_holders_roster_waits_and_is_then_mailed_once(notify):
    """The certificate may come before the roster (another queue): it is
    kept, and the roster that names the holder sends it, once."""
    body = Body()
    notify.handle(body.roster("confirmed"))
    stranger = {"id": str(uuid.uuid4()), "name": "Nuova Persona", "role": "dirigente",
                "email": "nuova.persona@comune.example.it", "office": "Anagrafe"}
    assert notify.handle(certificate_issued(body, stranger))
    assert delivery_rows(notify, template="certificate") == []
    body.participants.append(stranger)
    notify.handle(body.roster("updated"))
    notify.handle(body.roster("updated"))
    [row] = delivery_rows(notify, template="certificate")
    assert row.recipient_id == stranger["id"] and row.state == "queued"
    notify.send_all()
    [mail] = [m for m in notify.transport.to(stranger["email"]) if "Attestato" in m["Subject"]]
    assert "Nuova Persona" in pdf_text(the_pdf(mail).get_content())



def certificate_revoked(issued) -> object:
    data = issued.data
    return envelope("roster.certificate.revoked", {
        "certificate_id": data["certificate_id"], "code": data["code"],
        "adhesion_id": data["adhesion_id"], "entity_code": data["entity_code"],
        "participant_id": data["participant_id"], "session_id": data["sessions"][0]["session_id"],
        "reason": "attendance-corrected", "revoked_at": "2017-10-02T09:00:00Z"},
        subject=data["adhesion_id"], source="scheduling")


def test_a_certificate_revoked_before_its_mail_went_out_is_not_sent(notify):
    body = Body()
    notify.handle(body.roster("confirmed"))
    issued = certificate_issued(body)
    notify.handle(issued)
    assert notify.handle(certificate_revoked(issued))
    notify.send_all()
    [row] = delivery_rows(notify, template="certificate")
    assert row.state == "failed" and "revoked" in row.reason
    holder = body.participants[0]
    assert [m for m in notify.transport.to(holder["email"]) if "Attestato" in m["Subject"]] == []

    waiting = {"id": str(uuid.uuid4()), "name": "Nuova Persona", "role": "dirigente",
               "email": "nuova.persona@comune.example.it", "office": "Anagrafe"}
    early = certificate_issued(body, waiting, code="ZZ2C-DEF3-GH45")
    notify.handle(early)
    notify.handle(certificate_revoked(early))
    body.participants.append(waiting)
    notify.handle(body.roster("updated"))
    notify.send_all()
    assert [r for r in delivery_rows(notify, template="certificate")
            if r.recipient_id == waiting["id"]] == [], "a revoked certificate is never mailed"


def test_a_revocation_after_the_mail_went_out_changes_no_delivery(notify):
    body = Body()
    notify.handle(body.roster("confirmed"))
    issued = certificate_issued(body)
    notify.handle(issued)
    notify.send_all()
    assert notify.handle(certificate_revoked(issued))
    [row] = delivery_rows(notify, template="certificate")
    assert row.state == "sent"

def test_an_erased_holder_is_a_failed_delivery_with_that_reason(notify):
    body = Body()
    notify.handle(body.roster("confirmed"))
    holder = body.participants[0]
    notify.handle(envelope("roster.erased", {"adhesion_id": body.adhesion_id,
                                             "person_ids": [holder["id"]]}))
    notify.handle(certificate_issued(body))
    [row] = delivery_rows(notify, template="certificate")
    assert row.state == "failed" and "erased" in row.reason


def test_the_office_has_the_same_pdf_again(api, notify):
    body = Body()
    notify.handle(body.roster("confirmed"))
    issued = certificate_issued(body)
    notify.handle(issued)
    notify.send_all()
    mailed = the_pdf(notify.transport.to(body.participants[0]["email"])[0]).get_content()
    url = f"/api/notify/v1/certificates/{issued.data['certificate_id']}.pdf"
    assert api.get(url, headers=api.viewer).status_code == 403
    r = api.get(url, headers=api.operator)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert "attestato-AB2C-DEF3-GH45.pdf" in r.headers["Content-Disposition"]
    assert r.data == mailed, "the same facts give the same document, byte for byte"

    missing = api.get(f"/api/notify/v1/certificates/{uuid.uuid4()}.pdf", headers=api.operator)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"

    notify.handle(envelope("roster.erased", {"adhesion_id": body.adhesion_id,
                                             "person_ids": [body.participants[0]["id"]]}))
    gone = api.get(url, headers=api.operator)
    assert gone.status_code == 410 and gone.json["type"].endswith("/erased")


def test_the_pdf_keeps_the_name_after_the_holder_left_the_roster(api, notify):
    body = Body(participants=2)
    notify.handle(body.roster("confirmed"))
    issued = certificate_issued(body)
    notify.handle(issued)
    body.participants = body.participants[1:]
    notify.handle(body.roster("updated"))
    r = api.get(f"/api/notify/v1/certificates/{issued.data['certificate_id']}.pdf",
                headers=api.operator)
    assert r.status_code == 200 and "Partecipante 1 Bianchi" in pdf_text(r.data)
