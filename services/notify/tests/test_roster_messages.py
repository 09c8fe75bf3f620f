"""Messages about an adhesion: the confirmation request, the receipts."""
from __future__ import annotations

from services.notify.tests.builders import Body
from services.notify.tests.conftest import delivery_rows, outbox_events
from tests.support.pdf import pdf_text


def attachments(message):
    return {part.get_filename(): part for part in message.iter_attachments()}


def test_a_submitted_adhesion_sends_the_contact_its_confirmation_link(notify):
    body = Body()
    notify.handle(body.roster("submitted"))
    [row] = delivery_rows(notify)
    assert (row.template, row.recipient_id, row.state) == ("confirmation_request",
                                                          body.contact["id"], "queued")
    assert notify.send_all() == 1
    [message] = notify.transport.to(body.contact["email"])
    assert message["Subject"] == "Conferma l'adesione del Comune di Forlì al programma CO-AliZIONE"
    assert message["To"].addresses[0].addr_spec == body.contact["email"]
    assert message["To"].addresses[0].display_name == "Maria Rossi"
    assert message["Message-ID"] == f"<{row.id}@coalizione.example>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert body.confirm_url in text and f'href="{body.confirm_url}"' in html
    assert "Gentile Maria Rossi" in text and "una sola volta" in text
    assert "martedì 27 giugno 2017, ore 10:01" in text  # expiry, in Rome's time
    assert "Partecipante 1 Bianchi" in text and "Reti coalizioni locali" in text
    [sent] = delivery_rows(notify)
    assert sent.state == "sent" and sent.attempts == 1 and sent.sent_at is not None


def test_the_outcome_is_announced_without_any_address(notify):
    body = Body()
    notify.handle(body.roster("submitted"))
    notify.send_all()
    [event] = outbox_events(notify)
    [row] = delivery_rows(notify)
    assert event["type"] == "notification.sent" and event["subject"] == body.adhesion_id
    assert event["data"] == {"notification_id": row.id, "template": "confirmation_request",
                             "recipient_id": body.contact["id"], "subject_id": body.adhesion_id,
                             "adhesion_id": body.adhesion_id, "attempts": 1}
    assert "@" not in str(event["data"])


def test_the_same_event_three_times_gives_one_message(notify):
    body = Body()
    event = body.roster("submitted")
    assert [notify.handle(event) for _ in range(3)] == [True, False, False]
    notify.send_all()
    assert len(notify.transport.sent) == 1
    assert len(delivery_rows(notify)) == 1


def test_a_message_is_recorded_once_even_if_the_inbox_forgot_the_event(notify):
    """The delivery id comes from (event, template, recipient): a second
    handling of the event (another consumer, a replay) adds nothing."""
    from sqlalchemy import delete
    body = Body()
    event = body.roster("submitted")
    notify.handle(event)
    with notify.engine.begin() as conn:
        conn.execute(delete(notify.inbox))
    assert notify.handle(event) is True
    notify.send_all()
    assert len(notify.transport.sent) == 1


def test_confirmation_sends_the_receipt_with_the_scheda_as_pdf(notify):
    body = Body(participants=3)
    notify.handle(body.roster("submitted"))
    notify.handle(body.roster("confirmed"))
    notify.send_all()
    first, receipt = notify.transport.to(body.contact["email"])
    assert receipt["Subject"] == "Adesione confermata: il Comune di Forlì partecipa al programma CO-AliZIONE"
    text = receipt.get_body(("plain",)).get_content()
    assert "è confermata" in text and body.manage_url in text
    assert all(p["name"] in text for p in body.participants)
    pdf = attachments(receipt)["scheda-di-adesione.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    content = pdf.get_content()
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    drawn = pdf_text(content)
    assert "Scheda di adesione" in drawn and "Comune di Forlì" in drawn
    assert "Confermata" in drawn and body.contact["email"] in drawn
    assert all(p["name"] in drawn and p["email"] in drawn for p in body.participants)
    assert body.confirm_url not in text


def test_changes_and_withdrawal_have_their_receipts(notify):
    body = Body()
    notify.handle(body.roster("confirmed"))
    body.participants.append({"id": "p-new", "name": "Nuovo Verdi", "role": "funzionario",
                              "email": "nuovo@comune.example.it", "office": None})
    notify.handle(body.roster("updated"))
    notify.handle(body.roster("withdrawn"))
    notify.send_all()
    subjects = [m["Subject"] for m in notify.transport.to(body.contact["email"])]
    assert subjects == ["Adesione confermata: il Comune di Forlì partecipa al programma CO-AliZIONE",
                        "Adesione del Comune di Forlì modificata",
                        "Adesione del Comune di Forlì ritirata"]
    updated = notify.transport.to(body.contact["email"])[1]
    assert "Nuovo Verdi" in updated.get_body(("plain",)).get_content()
    withdrawn = notify.transport.to(body.contact["email"])[2].get_body(("plain",)).get_content()
    assert f"{notify.notify.public_base_url}/" in withdrawn and "30 giugno 2017" in withdrawn
    assert "scheda-di-adesione.pdf" in attachments(updated)
    assert notify.transport.to("nuovo@comune.example.it") == []



def test_messages_give_the_programme_office_contact_where_they_send_the_reader_to_it(notify):
    import dataclasses
    body = Body()
    notify.handle(body.roster("confirmed"))
    notify.notify = dataclasses.replace(notify.notify,
                                        office_contact="segreteria@coalizione.example, 06 1234567")
    body.participants.pop()
    notify.handle(body.roster("updated"))
    notify.send_all()
    confirmed, updated = notify.transport.to(body.contact["email"])
    for part in ("plain", "html"):
        text = updated.get_body((part,)).get_content()
        assert ("scrivi subito alla segreteria del programma "
                "(segreteria@coalizione.example, 06 1234567).") in text
        assert "Per domande scrivi alla segreteria del programma: segreteria@" in text
    plain = confirmed.get_body(("plain",)).get_content()
    assert "Per domande" not in plain and "()" not in plain
    assert plain.rstrip().endswith("non rispondere a questo indirizzo.")

def test_adhesion_events_without_personal_data_send_nothing(notify):
    body = Body()
    notify.handle(body.adhesion("submitted"))
    notify.handle(body.adhesion("confirmed"))
    assert delivery_rows(notify) == []


def test_erasure_forgets_addresses_and_cancels_what_was_not_sent(notify):
    from services.notify.tests.builders import envelope
    body = Body()
    notify.handle(body.roster("submitted"))
    notify.handle(envelope("roster.erased", {"adhesion_id": body.adhesion_id,
                                             "person_ids": [body.contact["id"]]}))
    [row] = delivery_rows(notify)
    assert row.state == "failed" and row.message is None and row.recipient_address is None
    assert notify.send_all() == 0
    [event] = outbox_events(notify)
    assert event["type"] == "notification.failed" and "erased" in event["data"]["reason"]


def test_erasure_fails_a_message_being_sent_so_a_dead_sender_leaves_nothing_stuck(notify):
    """A sender claimed the message and died before its outcome: the
    erasure fails it (its message is gone, so no sender could take it over
    after the lease), and the sender's late outcome, if it was alive,
    changes nothing."""
    from notify.deliveries import SENT, Sender
    from services.notify.tests.builders import envelope
    body = Body()
    notify.handle(body.roster("submitted"))
    sender = Sender(notify)
    claimed = sender.claim()
    assert claimed is not None and delivery_rows(notify)[0].state == "sending"
    notify.handle(envelope("roster.erased", {"adhesion_id": body.adhesion_id,
                                             "person_ids": [body.contact["id"]]}))
    [row] = delivery_rows(notify)
    assert row.state == "failed" and row.message is None and "erased" in row.reason
    [event] = outbox_events(notify)
    assert event["type"] == "notification.failed"
    sender.record(claimed, SENT, None)
    assert delivery_rows(notify)[0].state == "failed" and len(outbox_events(notify)) == 1
    assert notify.send_all() == 0


def test_topic_titles_are_shown_when_the_event_carries_them(notify):
    body = Body()
    notify.handle(body.roster("confirmed", webinar_topic_titles={
        "reti_coalizioni_locali": "Reti e coalizioni locali per l'integrazione"}))
    notify.send_all()
    [receipt] = notify.transport.to(body.contact["email"])
    text = receipt.get_body(("plain",)).get_content()
    assert ("Webinar di interesse: Reti e coalizioni locali per l'integrazione; "
            "Accoglienza integrata") in text


def test_the_pdf_folds_what_its_fonts_cannot_draw(notify):
    body = Body(participants=1)
    body.participants[0]["name"] = "Łukasz Dvořák"
    body.participants[0]["office"] = "Servizi sociali — ufficio “stranieri”"
    notify.handle(body.roster("confirmed"))
    notify.send_all()
    [receipt] = notify.transport.to(body.contact["email"])
    assert "Łukasz Dvořák" in receipt.get_body(("plain",)).get_content()
    pdf = attachments(receipt)["scheda-di-adesione.pdf"]
    drawn = pdf_text(pdf.get_content())
    assert 'Lukasz Dvorák - Funzionario, Servizi sociali - ufficio "stranieri"' in drawn


def test_a_confirmation_request_arriving_after_the_confirmation_is_not_sent(notify):
    body = Body()
    request = body.roster("submitted")
    notify.handle(body.roster("confirmed"))
    notify.handle(request)
    notify.send_all()
    assert [m["Subject"][:20] for m in notify.transport.to(body.contact["email"])] == [
        "Adesione confermata:"]
