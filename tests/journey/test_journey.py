"""The whole journey in a real browser on the deployed topology (the stack
of ``make stack``), e-mail caught by a real SMTP server (aiosmtpd):

a contact enrols a body with three participants through the Scheda; opens
the confirmation link from the captured e-mail; an operator proposes and
publishes the plan; the participants receive invitations with .ics; the
operator reschedules the day; the new notice arrives; attendance is marked.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

pytest.importorskip("psutil")

from tests.chaos.harness import SERVICES, TOKEN, SmtpSink, Stack, call, unique_tag, wait_until
from tests.chaos.load import wait_for_replica
from tests.support.browser import chromium_page

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@pytest.fixture
def journey_stack(infrastructure, postgres_database, broker, tmp_path):
    bus = broker.settings()
    databases = {service: postgres_database(service) for service in SERVICES}
    with SmtpSink() as sink:
        stack = Stack(infrastructure.amqp_url, databases, bus.exchange, bus.dead_exchange,
                      bus.queue_prefix, tmp_path, extra_env={
                          "SMTP_URL": sink.url, "SCHEDULING_TIME_LIMIT": "5"})
        try:
            stack.start()
            yield stack, sink
        finally:
            stack.stop()
            broker.track(*stack.queues())


@pytest.fixture
def page():
    with chromium_page() as page:
        yield page


def _mails_to(sink, address: str) -> list:
    return [message for _, rcpts, message in sink.snapshot() if address in rcpts]


def _text(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def _calendars(message) -> list[str]:
    found = []
    for part in message.walk():
        if part.get_content_type() == "text/calendar" or (part.get_filename() or "").endswith(
                ".ics"):
            content = part.get_content()
            found.append(content.decode() if isinstance(content, bytes) else content)
    return found


def test_a_body_enrols_confirms_is_planned_rescheduled_and_attends(journey_stack, page):
    from playwright.sync_api import expect
    stack, sink = journey_stack
    port, tag = stack.port, unique_tag()[:6]
    base = f"http://127.0.0.1:{port}"
    code, name = f"IPA-j{tag}", f"Unione Valle Prova {tag}"
    status, entity, _ = call(port, "PUT", f"/api/registry/v1/ops/entities/{code}", {
        "name": name, "kind": "unione_di_comuni", "region": "Emilia-Romagna", "province": "FC",
        "lat": 44.14, "lon": 12.24}, token=TOKEN)
    assert status == 201 and entity["eligible"], entity
    assert wait_for_replica(port, code)

    # the contact fills in the Scheda
    contact = f"referente.{tag}@unione.example.it"
    people = [(f"Partecipante {n} {tag}", role, f"p{n}.{tag}@unione.example.it")
              for n, role in enumerate(("funzionario", "dirigente", "amministratore"))]
    page.goto(base + "/")
    page.locator("#ente").press_sequentially(f"valle prova {tag}", delay=30)
    option = page.get_by_role("option", name=re.compile(re.escape(name)))
    expect(option).to_be_visible(timeout=15000)
    option.click()
    expect(page.locator("#entity_code")).to_have_value(code)
    page.locator("#contact_name").fill("Maria Rossi")
    page.locator("#contact_role").select_option("dirigente")
    page.locator("#contact_email").fill(contact)
    page.locator("#contact_phone").fill("0547 356111")
    for n, (person, role, address) in enumerate(people):
        if n:
            page.get_by_role("button", name="Aggiungi partecipante").click()
        page.locator(f"#p-{n}-name").fill(person)
        page.locator(f"#p-{n}-role").select_option(role)
        page.locator(f"#p-{n}-email").fill(address)
        page.locator(f"#p-{n}-office").fill("Servizi sociali")
    page.get_by_label("Dichiaro di aver letto l'informativa").check()
    page.get_by_role("button", name="Continua: rivedi i dati").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Riepilogo della scheda di adesione")
    page.get_by_role("button", name="Invia l'adesione").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Adesione inviata")

    # the confirmation e-mail, its link, the confirmation
    assert wait_until(lambda: _mails_to(sink, contact), 60), "no confirmation e-mail"
    link = re.search(r"https?://\S+/conferma\?token=[^\s\"<>]+", _text(_mails_to(sink, contact)[0]))
    assert link, _text(_mails_to(sink, contact)[0])
    adhesion_id = re.search(r"/adesione/([^/]+)/conferma", link.group(0)).group(1)
    page.goto(link.group(0))
    page.get_by_role("button", name="Conferma l'adesione").click()
    assert wait_until(lambda: call(port, "GET", f"/api/enrolment/v1/adhesions/{adhesion_id}",
                                   token=TOKEN)[1].get("status") == "confirmed", 30)
    expect(page.locator("main")).to_contain_text("conferm")

    # the operator proposes and publishes the plan
    def proposed():
        status, plan, _ = call(port, "POST", "/api/scheduling/v1/plans/propose", {},
                               token=TOKEN, timeout=120)
        return status == 200 and any(a["adhesion_id"] == adhesion_id
                                     for a in plan.get("assignments", []))
    assert wait_until(proposed, 90, 2.0), "scheduling never placed the body"
    status, plan, _ = call(port, "POST", "/api/scheduling/v1/plans/publish", {}, token=TOKEN,
                           timeout=120)
    assert status == 201, plan
    session_id = next(a["session_id"] for a in plan["assignments"]
                      if a["adhesion_id"] == adhesion_id)

    # the participants' invitations, with the calendar
    addresses = [address for _, _, address in people]
    assert wait_until(lambda: all(any(_calendars(m) for m in _mails_to(sink, a))
                                  for a in addresses), 90), "invitations missing"
    for address in addresses:
        [invitation] = [m for m in _mails_to(sink, address) if _calendars(m)]
        ics = _calendars(invitation)[0]
        assert "METHOD:REQUEST" in ics and "BEGIN:VEVENT" in ics, ics

    # the operator moves the day a week later: a new notice with the new date
    status, session, _ = call(port, "GET", f"/api/scheduling/v1/sessions/{session_id}",
                              token=TOKEN)
    assert status == 200, session
    starts = datetime.fromisoformat(session["starts_at"].replace("Z", "+00:00")) + timedelta(7)
    ends = datetime.fromisoformat(session["ends_at"].replace("Z", "+00:00")) + timedelta(7)
    status, moved, _ = call(port, "POST", f"/api/scheduling/v1/sessions/{session_id}/reschedule",
                            {"starts_at": starts.isoformat(), "ends_at": ends.isoformat()},
                            token=TOKEN)
    assert status == 200, moved
    assert wait_until(lambda: all(len([m for m in _mails_to(sink, a) if _calendars(m)]) >= 2
                                  for a in addresses), 90), "no notice of the new date"
    for address in addresses:
        notice = [m for m in _mails_to(sink, address) if _calendars(m)][-1]
        ics = _calendars(notice)[0]
        assert "SEQUENCE:1" in ics, ics
        assert starts.astimezone().strftime("%Y%m%d") in ics.replace("-", ""), ics

    # attendance
    status, assignments, _ = call(port, "GET", f"/api/scheduling/v1/assignments?session_id="
                                               f"{session_id}", token=TOKEN)
    assert status == 200, assignments
    ours = [a for a in assignments["items"] if a["adhesion_id"] == adhesion_id and a["status"] == "active"]
    participant_ids = ours[0]["participant_ids"]
    assert len(participant_ids) == 3
    status, register, _ = call(port, "PUT", f"/api/scheduling/v1/sessions/{session_id}/attendance",
                               {"records": [{"participant_id": p, "present": True}
                                            for p in participant_ids]}, token=TOKEN)
    assert status == 200, register
    status, register, _ = call(port, "GET", f"/api/scheduling/v1/sessions/{session_id}/attendance",
                               token=TOKEN)
    assert status == 200, register
    assert register["present"] == 3 and register["absent"] == 0, register
    assert sorted(i["participant_id"] for i in register["items"]) == sorted(participant_ids)
