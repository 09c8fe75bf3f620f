"""notify end to end on the real backbone: CloudEvents published to
RabbitMQ, the worker's threads (or process) on PostgreSQL, a real SMTP
server (aiosmtpd) on a loopback port."""
from __future__ import annotations

import collections
import dataclasses
import signal
from datetime import datetime, timedelta, timezone

import icalendar
import pytest
from sqlalchemy import select

from coalizione_common.clock import parse_instant
from notify.adapters.orm import deliveries
from notify.app import create_app
from services.notify.tests.builders import NOW, Body, Training
from tests.support.pdf import pdf_text
from services.notify.tests.live import Live, fast_config, worker_process
from services.notify.tests.smtp_server import SmtpServer
from tests.support.backbone import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def live(broker, postgres_database, smtp):
    running = Live(broker, postgres_database("notify"), fast_config(smtp.url)).start()
    yield running
    running.close()


def rows(live, **where):
    query = select(deliveries).order_by(deliveries.c.created_at)
    for column, value in where.items():
        query = query.where(deliveries.c[column] == value)
    with live.runtime.engine.connect() as conn:
        return conn.execute(query).all()


def calendar_of(message):
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return calendar, event


def only(messages, subject_start: str):
    found = [m for m in messages if m["Subject"].startswith(subject_start)]
    assert len(found) == 1, [m["Subject"] for m in messages]
    return found[0]


def test_every_template_reaches_its_recipient_whole(live, smtp):
    mail = smtp.mailbox
    body, waiting, leaving = Body(participants=2), Body("040001", "Bertinoro", 1), \
        Body("040003", "Bagno di Romagna", 1)
    now = parse_instant(NOW)
    day = Training("in_person", datetime(2017, 7, 10, 7, 0, tzinfo=timezone.utc))
    webinar = Training("webinar", now + timedelta(days=1, hours=5))
    live.publish(body.roster("submitted"), body.adhesion("submitted"), body.roster("confirmed"),
                 body.adhesion("confirmed"), waiting.roster("submitted"),
                 leaving.roster("submitted"), leaving.roster("confirmed"))
    body.participants[1]["office"] = "Ufficio immigrazione"
    live.publish(body.roster("updated"), leaving.roster("withdrawn"))
    # scheduling plans confirmed bodies: its events come once enrolment's are known
    assert wait_for(lambda: len(rows(live, template="confirmation_request")) == 3
                    and rows(live, template="adhesion_withdrawn"), timeout=30)
    # deadline reminders from 14 days before 30 June: NOW (20 June) is inside,
    # and only Bertinoro is still unconfirmed
    live.runtime.notify = dataclasses.replace(live.runtime.notify, deadline_reminder_days=14.0)
    live.publish(day.scheduled(), webinar.scheduled())
    live.publish(body.assignment(day), body.assignment(webinar, body.participants[:1]))
    # the reminder job (every 0.2 s) reminds of the webinar before it is cancelled
    assert wait_for(lambda: len(rows(live, template="session_reminder")) == 2, timeout=30)
    live.publish(day.rescheduled(datetime(2017, 7, 11, 7, 0, tzinfo=timezone.utc)))
    live.publish(webinar.cancelled("Relatore indisponibile"))
    live.publish(body.assignment(day, body.participants[1:], kind="cancelled"))

    expected = {  # template: how many messages
        "confirmation_request": 3, "adhesion_confirmed": 2, "adhesion_updated": 1,
        "adhesion_withdrawn": 1, "invitation_local_day": 3, "invitation_webinar": 2,
        "session_reminder": 2, "session_rescheduled": 3, "session_cancelled": 2,
        "assignment_cancelled": 2, "deadline_reminder": 1}
    total = sum(expected.values())
    assert wait_for(lambda: len(rows(live, state="sent")) >= total, timeout=30), \
        collections.Counter((r.template, r.state) for r in rows(live))
    wait_for(lambda: False, timeout=0.5)
    sent = rows(live)
    assert {t: sum(r.template == t for r in sent) for t in expected} == expected
    assert all(r.state == "sent" for r in sent) and mail.count() == total

    contact = mail.to(body.contact["email"])
    by_id = {r.message_id: r for r in sent}
    for received in mail.received:
        message = received.message
        row = by_id[message["Message-ID"]]
        assert received.rcpt_tos == [row.recipient_address]
        assert message["To"].addresses[0].addr_spec == row.recipient_address
        assert message["From"].addresses[0].addr_spec == "coalizione@coalizione.example"
        assert message["X-Coalizione-Template"] == row.template
        assert message.get_body(("plain",)).get_content().startswith("Gentile ")
        assert message.get_body(("html",)).get_content().lstrip().startswith("<!DOCTYPE html>")

    request = only(contact, "Conferma l'adesione del Comune di Forlì")
    assert body.confirm_url in request.get_body(("plain",)).get_content()
    assert f'href="{body.confirm_url}"' in request.get_body(("html",)).get_content()

    receipt = only(contact, "Adesione confermata: il Comune di Forlì")
    [pdf] = [p for p in receipt.iter_attachments() if p.get_filename() == "scheda-di-adesione.pdf"]
    drawn = pdf_text(pdf.get_content())
    assert "Comune di Forlì" in drawn and all(p["name"] in drawn for p in body.participants)

    changed = only(contact, "Adesione del Comune di Forlì modificata")
    [pdf] = [p for p in changed.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert "Ufficio immigrazione" in pdf_text(pdf.get_content())

    withdrawn = only(mail.to(leaving.contact["email"]), "Adesione del Comune di Bagno di Romagna ritirata")
    assert "ritirata" in withdrawn.get_body(("plain",)).get_content()

    first, second = body.participants
    local = only(mail.to(first["email"]), "Invito alla giornata formativa")
    calendar, event = calendar_of(local)
    assert str(calendar["method"]) == "REQUEST" and str(event["uid"]) == f"{day.id}@scheduling.coalizione"
    assert str(event["attendee"]) == f"mailto:{first['email']}"
    overview = only(contact, "Giornata formativa per il Comune di Forlì")
    assert all(p["name"] in overview.get_body(("plain",)).get_content() for p in body.participants)

    invited = only(mail.to(first["email"]), "Invito al webinar CO-AliZIONE")
    assert "https://webinar.example.it/j/12345" in invited.get_body(("plain",)).get_content()
    assert str(calendar_of(invited)[1]["url"]) == "https://webinar.example.it/j/12345"
    assert not [m for m in mail.to(second["email"]) if "webinar" in m["Subject"].lower()]

    reminder = only(mail.to(first["email"]), "Promemoria: Accoglienza integrata")
    assert calendar_of(reminder)[1].decoded("dtstart") == webinar.starts_at

    moved = only(mail.to(second["email"]), "Cambio di programma")
    _, event = calendar_of(moved)
    assert int(event["sequence"]) == 1 and event.decoded("dtstart") == day.starts_at
    assert "martedì 11 luglio 2017" in moved["Subject"]

    cancelled = only(mail.to(first["email"]), "Annullato: Accoglienza integrata")
    calendar, event = calendar_of(cancelled)
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert "Relatore indisponibile" in cancelled.get_body(("plain",)).get_content()

    dropped = only(mail.to(second["email"]), "Partecipazione annullata")
    assert str(calendar_of(dropped)[0]["method"]) == "CANCEL"
    assert not [m for m in mail.to(first["email"]) if m["Subject"].startswith("Partecipazione")]

    nudge = only(mail.to(waiting.contact["email"]), "Promemoria: l'adesione del Comune di Bertinoro")
    assert waiting.confirm_url in nudge.get_body(("plain",)).get_content()
    assert not [m for m in contact if m["Subject"].startswith("Promemoria: l'adesione")]

    announced = live.tap.wait(lambda events: len(events) >= total)
    assert sorted(e["data"]["notification_id"] for e in announced) == sorted(r.id for r in sent)
    assert {e["type"] for e in announced} == {"notification.sent"}
    assert not any("@" in str(e["data"]) for e in announced)


def test_the_same_event_delivered_three_times_sends_one_email(live, smtp):
    body, marker = Body(), Body("040001", "Bertinoro")
    event = body.roster("submitted")
    for _ in range(3):
        live.publish(event)
    live.publish(marker.roster("submitted"))
    assert wait_for(lambda: smtp.mailbox.to(marker.contact["email"]), timeout=20)
    wait_for(lambda: False, timeout=0.5)
    assert len(smtp.mailbox.to(body.contact["email"])) == 1
    assert len(rows(live, adhesion_id=body.adhesion_id)) == 1


def test_three_4xx_refusals_then_acceptance_give_one_email_after_backoff(live, smtp):
    smtp.mailbox.replies = ["451 4.3.0 Temporary failure, try again"] * 3
    body = Body()
    live.publish(body.roster("submitted"))
    assert wait_for(lambda: smtp.mailbox.count() == 1, timeout=20)
    wait_for(lambda: False, timeout=0.5)
    [message] = smtp.mailbox.to(body.contact["email"])
    [row] = rows(live)
    assert (row.state, row.attempts, row.reason) == ("sent", 4, None)
    assert message["Message-ID"] == row.message_id
    times = [t for t, _, _ in smtp.mailbox.attempts]
    assert [reply[:3] for _, _, reply in smtp.mailbox.attempts] == ["451", "451", "451", "250"]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(gap >= 0.3 for gap in gaps), gaps  # NOTIFY_RETRY_BACKOFF=0.3
    announced = live.tap.wait(lambda events: events)
    assert [(e["type"], e["data"]["attempts"]) for e in announced] == [("notification.sent", 4)]


def test_a_permanent_550_fails_with_the_reason_shown_in_the_api_and_on_the_bus(live, smtp):
    """The server's reply is kept, but not the address it quotes: the event
    is one partners may read."""
    body = Body()
    smtp.mailbox.replies = [f"550 5.1.1 <{body.contact['email']}>: Recipient address rejected"]
    live.publish(body.roster("submitted"))
    assert wait_for(lambda: rows(live, state="failed"), timeout=20)
    [row] = rows(live)
    assert row.reason == "550 5.1.1 <[address]>: Recipient address rejected"
    assert smtp.mailbox.count() == 0
    announced = live.tap.wait(lambda events: events)
    [event] = announced
    assert event["type"] == "notification.failed" and event["source"] == "/coalizione/notify"
    assert event["data"] == {"notification_id": row.id, "template": "confirmation_request",
                             "recipient_id": body.contact["id"], "subject_id": body.adhesion_id,
                             "adhesion_id": body.adhesion_id, "attempts": 1,
                             "reason": "550 5.1.1 <[address]>: Recipient address rejected"}
    live.runtime.settings = dataclasses.replace(live.runtime.settings, operator_token="ops")
    client = create_app(live.runtime).test_client()
    r = client.get(f"/api/notify/v1/deliveries?adhesion_id={body.adhesion_id}",
                   headers={"Authorization": "Bearer ops"})
    [item] = r.json["items"]
    assert (item["state"], item["reason"]) == ("failed", row.reason)
    wait_for(lambda: False, timeout=0.5)
    assert rows(live)[0].attempts == 1 and smtp.mailbox.count() == 0, "not retried"


# crashes: the worker runs as a process and is killed at a chosen point ----------
@pytest.fixture
def parked(broker, postgres_database, smtp):
    """Database migrated and queues declared, but no worker running: the
    test starts worker processes itself."""
    setup = Live(broker, postgres_database("notify"), fast_config(smtp.url))
    yield setup
    setup.close()


def run_until_killed(env, tmp_path, timeout=30):
    process = worker_process(env, tmp_path / "worker.log")
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
    return process.returncode


def test_a_worker_killed_between_sending_and_acking_the_event_sends_one_email(parked, smtp,
                                                                              tmp_path):
    body, marker = Body(), Body("040001", "Bertinoro")
    parked.publish(body.roster("submitted"))
    code = run_until_killed(parked.environ(smtp.url, NOTIFY_FAULT="kill-after-commit"), tmp_path)
    assert code == -signal.SIGKILL, (tmp_path / "worker.log").read_text()[-3000:]
    assert smtp.mailbox.count() == 1, "sent and marked sent before dying"
    [row] = rows(parked)
    assert row.state == "sent"
    roster_queue = next(q for q in parked.queues if q.endswith(".enrolment"))
    assert wait_for(lambda: parked.ready_messages(roster_queue) == 1, timeout=10), \
        "the event was never acked: the broker holds it for redelivery"

    process = worker_process(parked.environ(smtp.url), tmp_path / "worker.log")
    try:
        parked.publish(marker.roster("submitted"))
        assert wait_for(lambda: smtp.mailbox.to(marker.contact["email"]), timeout=20)
        assert wait_for(lambda: parked.ready_messages(roster_queue) == 0, timeout=10)
        wait_for(lambda: False, timeout=0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    [message] = smtp.mailbox.to(body.contact["email"])
    assert message["Message-ID"] == row.message_id
    assert smtp.mailbox.count() == 2
    sent = parked.tap.wait(lambda events: len(events) >= 2)
    # The relay of the killed worker may have published its event without
    # marking it: the same CloudEvents id then comes twice (consumers'
    # inboxes take it once). One event per delivery, whatever the copies:
    announced = {e["id"]: e["data"]["notification_id"] for e in sent}
    assert sorted(announced.values()) == sorted(r.id for r in rows(parked))


def test_a_worker_killed_after_smtp_accepted_resends_the_same_message_id_once(parked, smtp,
                                                                              tmp_path):
    """The window that remains (see the README): the server accepted, the
    worker died before marking the row sent. After the lease the message
    goes again, byte for byte, with the same Message-ID, and is marked sent
    once; receivers that deduplicate by Message-ID show it once."""
    body = Body()
    parked.publish(body.roster("submitted"))
    code = run_until_killed(parked.environ(smtp.url, NOTIFY_FAULT="kill-after-smtp",
                                           NOTIFY_SENDING_LEASE="1"), tmp_path)
    assert code == -signal.SIGKILL, (tmp_path / "worker.log").read_text()[-3000:]
    [row] = rows(parked)
    assert (row.state, row.attempts, smtp.mailbox.count()) == ("sending", 1, 1)

    process = worker_process(parked.environ(smtp.url, NOTIFY_SENDING_LEASE="1"),
                             tmp_path / "worker.log")
    try:
        assert wait_for(lambda: rows(parked, state="sent"), timeout=20)
        wait_for(lambda: False, timeout=0.5)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    [row] = rows(parked)
    assert (row.state, row.attempts) == ("sent", 2)
    first, second = smtp.mailbox.received
    assert first.raw == second.raw
    assert {r.message["Message-ID"] for r in (first, second)} == {row.message_id}
    sent = parked.tap.wait(lambda events: events)
    assert {(e["id"], e["type"], e["data"]["notification_id"]) for e in sent} == {
        (sent[0]["id"], "notification.sent", row.id)}
