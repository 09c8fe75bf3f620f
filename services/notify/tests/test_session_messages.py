"""Invitations, changes to sessions and reminders: each participant hears
of their own sessions, the body's contact gets the overview."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import icalendar

from notify import reminders
from services.notify.tests.builders import Body, Training
from services.notify.tests.conftest import delivery_rows


def ics_event(message) -> tuple[icalendar.Calendar, icalendar.Event]:
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = icalendar.Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return calendar, event


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def known_body(notify, participants=2) -> Body:
    body = Body(participants=participants)
    notify.handle(body.roster("confirmed"))
    notify.send_all()
    notify.transport.sent.clear()
    return body


def invited_to_a_day(notify, participants=1) -> tuple[Body, "Training"]:
    """A known body whose people were all invited to a local day (the
    messages sent and cleared)."""
    body = known_body(notify, participants=participants)
    day = Training("in_person")
    notify.handle(day.scheduled())
    notify.handle(body.assignment(day))
    notify.send_all()
    notify.transport.sent.clear()
    return body, day


def test_a_local_day_invites_each_participant_and_gives_the_contact_the_overview(notify):
    body = known_body(notify, participants=3)
    day = Training("in_person")
    notify.handle(day.scheduled())
    invited = body.participants[:2]
    notify.handle(body.assignment(day, invited))
    notify.send_all()
    for person in invited:
        [message] = notify.transport.to(person["email"])
        assert message["Subject"] == "Invito alla giornata formativa CO-AliZIONE di lunedì 10 luglio 2017"
        text = text_of(message)
        assert f"Gentile {person['name']}" in text and "Se non puoi partecipare" in text
        assert "dalle 09:00 alle 17:00" in text and "Sala del Consiglio, Piazza Saffi 8, Forlì" in text
        calendar, event = ics_event(message)
        assert str(calendar["method"]) == "REQUEST"
        assert str(event["uid"]) == f"{day.id}@scheduling.coalizione"
        assert event.decoded("dtstart") == day.starts_at and event.decoded("dtend") == day.ends_at
        assert str(event["location"]) == "Sala del Consiglio, Piazza Saffi 8, Forlì"
        assert str(event["attendee"]) == f"mailto:{person['email']}"
        assert int(event["sequence"]) == 0
    assert notify.transport.to(body.participants[2]["email"]) == []
    [overview] = notify.transport.to(body.contact["email"])
    assert overview["Subject"] == "Giornata formativa per il Comune di Forlì, lunedì 10 luglio 2017"
    calendar, event = ics_event(overview)
    assert str(calendar["method"]) == "PUBLISH" and "attendee" not in event, \
        "the contact organises: the day for information, not an invitation to answer"
    text = text_of(overview)
    assert all(p["name"] in text for p in invited)
    assert f"Per cambiare i partecipanti: {body.manage_url}" in text
    assert body.participants[2]["name"] not in text
    assert len(notify.transport.sent) == 3


def test_a_webinar_invitation_carries_the_join_link(notify):
    body = known_body(notify, participants=1)
    webinar = Training("webinar", datetime(2017, 9, 12, 13, 0, tzinfo=timezone.utc))
    notify.handle(webinar.scheduled())
    notify.handle(body.assignment(webinar))
    notify.send_all()
    [message] = notify.transport.to(body.participants[0]["email"])
    assert message["Subject"] == ("Invito al webinar CO-AliZIONE: Accoglienza integrata e ruolo "
                                  "del Comune, martedì 12 settembre 2017")
    text = text_of(message)
    assert "https://webinar.example.it/j/12345" in text and "dalle 15:00 alle 16:30" in text
    _, event = ics_event(message)
    assert str(event["url"]) == "https://webinar.example.it/j/12345"
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=90)


def test_invitations_wait_until_session_assignment_and_roster_are_all_known(notify):
    body = Body()
    day = Training("in_person")
    notify.handle(body.assignment(day))
    notify.handle(day.scheduled())
    assert delivery_rows(notify) == []
    notify.handle(body.roster("submitted"))
    notify.handle(body.roster("confirmed"))
    templates = sorted(r.template for r in delivery_rows(notify) if r.template.startswith("inv"))
    assert templates == ["invitation_local_day"] * 3
    notify.handle(body.roster("updated"))
    notify.handle(day.scheduled())
    assert len([r for r in delivery_rows(notify) if r.template.startswith("inv")]) == 3


def test_a_rescheduled_session_tells_the_same_people_with_an_updated_invitation(notify):
    body, day = invited_to_a_day(notify)
    notify.handle(day.rescheduled(datetime(2017, 7, 17, 7, 0, tzinfo=timezone.utc)))
    notify.send_all()
    [message] = notify.transport.to(body.participants[0]["email"])
    assert message["Subject"] == ("Cambio di programma: Giornata formativa di Forlì si terrà "
                                  "lunedì 17 luglio 2017")
    text = text_of(message)
    assert "Prima: lunedì 10 luglio 2017, ore 09:00, Sala del Consiglio" in text
    assert "lunedì 17 luglio 2017, dalle 09:00 alle 17:00" in text
    _, event = ics_event(message)
    assert int(event["sequence"]) == 1 and event.decoded("dtstart") == day.starts_at
    assert len(notify.transport.to(body.contact["email"])) == 1


def test_a_cancelled_session_sends_the_cancellation_for_calendars(notify):
    body = known_body(notify, participants=1)
    day = Training("in_person")
    notify.handle(day.scheduled())
    notify.handle(body.assignment(day))
    notify.send_all()
    notify.transport.sent.clear()
    notify.handle(day.cancelled())
    notify.send_all()
    [message] = notify.transport.to(body.participants[0]["email"])
    assert message["Subject"] == "Annullato: Giornata formativa di Forlì, lunedì 10 luglio 2017"
    assert "Motivo: Indisponibilità della sala" in text_of(message)
    calendar, event = ics_event(message)
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == f"{day.id}@scheduling.coalizione"
    assert len(notify.transport.sent) == 2


def test_a_cancelled_assignment_tells_its_participants(notify):
    body = known_body(notify, participants=2)
    day = Training("in_person")
    notify.handle(day.scheduled())
    created = body.assignment(day, body.participants[:1])
    notify.handle(created)
    notify.send_all()
    notify.transport.sent.clear()
    notify.handle(body.assignment(day, body.participants[:1], kind="cancelled"))
    notify.send_all()
    [message] = notify.transport.to(body.participants[0]["email"])
    assert message["Subject"] == ("Partecipazione annullata: Giornata formativa di Forlì, "
                                  "lunedì 10 luglio 2017")
    assert notify.transport.to(body.participants[1]["email"]) == []
    assert len(notify.transport.to(body.contact["email"])) == 1


def test_the_reminder_goes_n_days_before_once_however_often_the_job_runs(notify):
    body = known_body(notify, participants=2)
    now = notify.clock.now().replace(microsecond=0)
    soon = Training("webinar", now + timedelta(days=1, hours=3))
    later = Training("in_person", now + timedelta(days=10))
    for training in (soon, later):
        notify.handle(training.scheduled())
        notify.handle(body.assignment(training))
    notify.send_all()
    notify.transport.sent.clear()
    for _ in range(3):
        reminders.run(notify)
    notify.send_all()
    assert len(notify.transport.sent) == 3
    [message] = notify.transport.to(body.participants[0]["email"])
    assert message["Subject"].startswith("Promemoria: Accoglienza integrata e ruolo del Comune, ")
    assert "https://webinar.example.it/j/12345" in text_of(message)
    assert ics_event(message)[1].decoded("dtstart") == soon.starts_at
    assert {r.template for r in delivery_rows(notify, state="sent")} >= {"session_reminder"}


def test_the_deadline_reminder_reaches_only_bodies_still_unconfirmed(notify):
    waiting, confirmed = Body(), Body("040001", "Bertinoro")
    notify.handle(waiting.roster("submitted"))
    notify.handle(confirmed.roster("submitted"))
    notify.handle(confirmed.adhesion("confirmed"))
    assert reminders.deadline_reminders(notify) == 0, "more than 7 days before 30 June"
    notify.notify = dataclasses.replace(notify.notify, deadline_reminder_days=14)
    assert reminders.deadline_reminders(notify) == 1
    assert reminders.deadline_reminders(notify) == 0
    notify.send_all()
    [_, reminder] = notify.transport.to(waiting.contact["email"])
    assert reminder["Subject"] == ("Promemoria: l'adesione del Comune di Forlì attende la "
                                   "conferma")
    text = text_of(reminder)
    assert "venerdì 30 giugno 2017, ore 23:59" in text and waiting.confirm_url in text
    assert len(notify.transport.to(confirmed.contact["email"])) == 1


def test_a_session_cancelled_with_its_assignments_moved_sends_one_notice_and_the_new_invitation(
        notify):
    """scheduling cancels a session, then its assignments, then assigns the
    bodies to another session: people hear of the cancellation once, then
    get the invitation to the new day."""
    body = known_body(notify, participants=1)
    day, other = Training("in_person"), Training("in_person",
                                                 datetime(2017, 7, 20, 7, 0, tzinfo=timezone.utc))
    for training in (day, other):
        notify.handle(training.scheduled())
    notify.handle(body.assignment(day))
    notify.send_all()
    notify.transport.sent.clear()
    notify.handle(day.cancelled())
    notify.handle(body.assignment(day, kind="cancelled"))
    notify.handle(body.assignment(other))
    notify.send_all()
    subjects = [m["Subject"] for m in notify.transport.to(body.participants[0]["email"])]
    assert subjects == ["Annullato: Giornata formativa di Forlì, lunedì 10 luglio 2017",
                        "Invito alla giornata formativa CO-AliZIONE di giovedì 20 luglio 2017"]
    assert len(notify.transport.to(body.contact["email"])) == 2


def test_a_withdrawn_body_is_neither_invited_nor_reminded(notify):
    body = known_body(notify, participants=1)
    notify.handle(body.roster("withdrawn"))
    notify.send_all()
    notify.transport.sent.clear()
    soon = Training("webinar", notify.clock.now().replace(microsecond=0) + timedelta(days=1))
    notify.handle(soon.scheduled())
    notify.handle(body.assignment(soon))
    reminders.run(notify)
    notify.send_all()
    assert notify.transport.sent == []


def test_when_the_contacts_data_were_erased_the_participants_are_still_invited(notify):
    from services.notify.tests.builders import envelope
    body = known_body(notify, participants=2)
    notify.handle(envelope("roster.erased", {"adhesion_id": body.adhesion_id,
                                             "person_ids": [body.contact["id"]]}))
    day = Training("in_person")
    notify.handle(day.scheduled())
    notify.handle(body.assignment(day))
    notify.send_all()
    for person in body.participants:
        [message] = notify.transport.to(person["email"])
        assert f"Gentile {person['name']}" in text_of(message)
    assert notify.transport.to(body.contact["email"]) == []
    assert len(notify.transport.sent) == 2


def test_a_changed_roster_invites_only_who_was_added_and_tells_who_was_removed(notify):
    """assignment.updated (the body's people changed, the assignment kept):
    no second invitation for those already invited, none of the
    cancellations a cancel-and-recreate would send to everyone."""
    body = known_body(notify, participants=3)
    day = Training("in_person")
    notify.handle(day.scheduled())
    first, second, third = body.participants
    notify.handle(body.assignment(day, [first, second]))
    notify.send_all()
    notify.transport.sent.clear()
    update = body.assignment(day, [first, third], kind="updated")
    update.data["previous_participant_ids"] = [first["id"], second["id"]]
    notify.handle(update)
    notify.send_all()
    assert notify.transport.to(first["email"]) == []
    [invitation] = notify.transport.to(third["email"])
    assert "Invito" in invitation["Subject"]
    [notice] = notify.transport.to(second["email"])
    calendar, _ = ics_event(notice)
    assert str(calendar["method"]) == "CANCEL"
    [overview] = notify.transport.to(body.contact["email"])
    assert second["name"] in text_of(overview) and first["name"] not in text_of(overview)


def test_a_withdrawal_takes_the_day_out_of_the_participants_calendars(notify):
    body, day = invited_to_a_day(notify, participants=2)
    notify.handle(body.roster("withdrawn"))
    notify.handle(body.assignment(day, kind="cancelled"))
    notify.send_all()
    for person in body.participants:
        [notice] = notify.transport.to(person["email"])
        calendar, _ = ics_event(notice)
        assert str(calendar["method"]) == "CANCEL"
    [receipt] = notify.transport.to(body.contact["email"])
    assert "ritir" in receipt["Subject"].lower()
