"""The scheduling service through its API and its events: SQLite and the
in-memory bus, real coordinates of Umbria and Molise."""
from __future__ import annotations

import dataclasses
import json
import random
import uuid
from collections import Counter
from datetime import timedelta

import holidays
import pytest
from icalendar import Calendar

from coalizione_common.auth import create_token
from coalizione_common.clock import parse_instant
from scheduling.app import create_app
from scheduling.domain.webinars import ROME
from tests.support.services import build_service

from .builders import confirmed, deliver, entity_upserted, outbox, roster, withdrawn
from .conftest import load_comuni

REGIONS = ("Umbria", "Molise")
TOPICS = ("reti-coalizioni", "accoglienza-integrata", "progetti-fami")
ITALY = holidays.country_holidays("IT", years=[2017, 2018])


@pytest.fixture(scope="module")
def rows():
    return [r for r in load_comuni() if r["regione"] in REGIONS]


def eligible(rows):
    return [r for r in rows if r["popolazione_censimento_2011"]
            and 5000 <= int(r["popolazione_censimento_2011"]) <= 150000]


@pytest.fixture
def service(tmp_path, rows):
    runtime = build_service("scheduling", tmp_path, now="2017-06-20T08:00:00Z")
    runtime.planning = dataclasses.replace(runtime.planning, time_limit=10, webinar_min_bodies=3,
                                           days_target=4, solver_workers=1,
                                           webinar_parallel=2)
    runtime.settings = dataclasses.replace(runtime.settings, operator_token="op-token")
    deliver(runtime, *(entity_upserted(r) for r in rows))
    client = create_app(runtime).test_client()
    client.runtime = runtime
    client.viewer = {"Authorization": f"Bearer {create_token(runtime, 'viewer')}"}
    client.operator = {"Authorization": "Bearer op-token"}
    return client


def enrol(runtime, rows, seed=1, people=None):
    rng = random.Random(seed)
    adhesions = {}
    for row in rows:
        adhesion_id = str(uuid.uuid4())
        count = people or rng.randint(1, 6)
        topics = rng.sample(TOPICS, rng.randint(0, 2))
        deliver(runtime, roster(adhesion_id, row, count, topics, status="pending_confirmation"),
                confirmed(adhesion_id, row["codice_istat"]))
        adhesions[adhesion_id] = row
    return adhesions


def active_assignments(client):
    items = client.get("/api/scheduling/v1/assignments?status=active", headers=client.viewer).json["items"]
    return items


def sessions_by_id(client):
    return {s["id"]: s for s in client.get("/api/scheduling/v1/sessions?status=scheduled",
                                           headers=client.viewer).json["items"]}


def check_plan(client, adhesions):
    """Every confirmed body in exactly one local day of its region, within
    capacity, on working days; no participant in two places at once."""
    by_id = sessions_by_id(client)
    items = active_assignments(client)
    local = Counter(a["adhesion_id"] for a in items if by_id[a["session_id"]]["kind"] == "in_person")
    assert set(local) == set(adhesions) and set(local.values()) == {1}
    load = Counter()
    for a in items:
        load[a["session_id"]] += len(a["participant_ids"])
        session = by_id[a["session_id"]]
        if session["kind"] == "in_person":
            assert session["region"] == adhesions[a["adhesion_id"]]["regione"]
    for session_id, people in load.items():
        assert people <= by_id[session_id]["capacity"]
    dates = Counter()
    for s in by_id.values():
        day = parse_instant(s["starts_at"]).astimezone(ROME).date()
        assert day.weekday() < 5 and day not in ITALY
        if s["kind"] == "in_person":
            dates[(s["region"], day)] += 1
    assert set(dates.values()) <= {1}
    per_person = {}
    for a in items:
        s = by_id[a["session_id"]]
        for pid in a["participant_ids"]:
            per_person.setdefault(pid, []).append(s)
    for mine in per_person.values():
        local_days = {parse_instant(s["starts_at"]).astimezone(ROME).date()
                      for s in mine if s["kind"] == "in_person"}
        webinars = [s for s in mine if s["kind"] == "webinar"]
        for i, w in enumerate(webinars):
            assert parse_instant(w["starts_at"]).astimezone(ROME).date() not in local_days
            for other in webinars[i + 1:]:
                assert w["ends_at"] <= other["starts_at"] or other["ends_at"] <= w["starts_at"]
    return by_id, items


def test_operations_need_tokens_and_roles(service):
    assert service.post("/api/scheduling/v1/plans/propose").status_code == 401
    denied = service.post("/api/scheduling/v1/plans/publish", headers=service.viewer)
    assert denied.status_code == 403 and denied.mimetype == "application/problem+json"
    spec = service.get("/api/scheduling/v1/openapi.json").json
    assert "/api/scheduling/v1/plans/publish" in spec["paths"]


def test_propose_is_a_dry_run_and_publish_announces_sessions_and_assignments(service, rows):
    runtime = service.runtime
    adhesions = enrol(runtime, eligible(rows))
    proposal = service.post("/api/scheduling/v1/plans/propose", headers=service.viewer, json={})
    assert proposal.status_code == 200
    metrics = proposal.json["metrics"]
    assert metrics["bodies"] == len(adhesions) and metrics["waiting"] == 0
    assert metrics["total_km"] > 0 and metrics["max_km"] > 0 and 0 <= metrics["gap"] < 0.05
    assert outbox(runtime) == [] and sessions_by_id(service) == {}

    published = service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    assert published.status_code == 201
    by_id, items = check_plan(service, adhesions)
    scheduled = outbox(runtime, "session.scheduled")
    created = outbox(runtime, "assignment.created")
    assert {e["data"]["session_id"] for e in scheduled} == set(by_id)
    assert sorted(e["data"]["assignment_id"] for e in created) == sorted(a["id"] for a in items)
    local = [e["data"] for e in scheduled if e["data"]["kind"] == "in_person"]
    assert all(d["venue"]["entity_code"] and d["topic"] is None for d in local)
    assert {d["topic"] for d in (e["data"] for e in scheduled) if d["kind"] == "webinar"} <= set(TOPICS)
    first = {a["id"] for a in items}

    # a late adhesion: placed without moving anyone already told
    late_row = next(r for r in rows if r["regione"] == "Umbria" and r not in adhesions.values())
    adhesions |= enrol(runtime, [late_row], seed=9, people=2)
    again = service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    assert again.status_code == 201 and again.json["mode"] == "incremental"
    by_id, items = check_plan(service, adhesions)
    assert first <= {a["id"] for a in items}
    assert len(outbox(runtime, "assignment.cancelled")) == 0


def test_a_full_region_fills_the_waiting_list_until_a_new_day_opens(service, rows):
    runtime = service.runtime
    runtime.planning = dataclasses.replace(runtime.planning, days_target=1)
    molise = [r for r in eligible(rows) if r["regione"] == "Molise"]
    adhesions = enrol(runtime, molise, people=4)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    [day] = [s for s in sessions_by_id(service).values() if s["region"] == "Molise"]
    spare = day["capacity"] - day["participants"]
    extra = next(r for r in rows if r["regione"] == "Molise" and r not in molise)
    late = enrol(runtime, [extra], people=spare + 1)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    waiting = service.get("/api/scheduling/v1/waiting-list", headers=service.viewer).json["items"]
    assert [w["adhesion_id"] for w in waiting] == list(late)
    from coalizione_common.clock import Clock
    runtime.settings = dataclasses.replace(runtime.settings, clock=Clock(
        runtime.clock.now() + timedelta(hours=3)))
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    again = service.get("/api/scheduling/v1/waiting-list", headers=service.viewer).json["items"]
    assert [w["since"] for w in again] == [w["since"] for w in waiting], "the place in line stays"
    opened = service.post("/api/scheduling/v1/plans/publish", headers=service.operator,
                          json={"open_days": True})
    assert opened.json["metrics"]["new_days"] == 1
    assert service.get("/api/scheduling/v1/waiting-list", headers=service.viewer).json["items"] == []
    check_plan(service, adhesions | late)


def one_molise_day(service, rows, bodies: int):
    """``bodies`` bodies of Molise (one person each) on the one local day of
    a published plan: (their adhesions, the Molise rows used, the day)."""
    service.runtime.planning = dataclasses.replace(service.runtime.planning, days_target=1)
    molise = [r for r in eligible(rows) if r["regione"] == "Molise"][:bodies]
    adhesions = enrol(service.runtime, molise, people=1)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    [day] = [s for s in sessions_by_id(service).values() if s["region"] == "Molise"]
    return adhesions, molise, day


def test_a_day_already_held_takes_no_late_body_and_nothing_moves_into_the_past(service, rows):
    from coalizione_common.clock import Clock
    runtime = service.runtime
    adhesions, molise, day = one_molise_day(service, rows, 3)
    assert day["capacity"] > day["participants"] + 1
    after = parse_instant(day["ends_at"]) + timedelta(days=1)
    runtime.settings = dataclasses.replace(runtime.settings, clock=Clock(after))
    extra = next(r for r in rows if r["regione"] == "Molise" and r not in molise)
    late = enrol(runtime, [extra], people=1)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    [held] = [s for s in sessions_by_id(service).values() if s["id"] == day["id"]]
    assert held["participants"] == day["participants"]
    mine = [a for a in active_assignments(service) if a["adhesion_id"] in late]
    assert all(a["session_id"] != day["id"] for a in mine)
    replanned = service.post("/api/scheduling/v1/plans/publish", headers=service.operator,
                             json={"move_told": True, "open_days": True})
    assert replanned.status_code in (200, 201), replanned.json
    kept = [a for a in active_assignments(service) if a["adhesion_id"] in adhesions]
    assert {a["session_id"] for a in kept} == {day["id"]}, "who attended stays on the held day"
    back = service.post(f"/api/scheduling/v1/sessions/{day['id']}/reschedule",
                        headers=service.operator, json={"starts_at": day["starts_at"]})
    assert back.status_code == 422 and back.json["errors"][0]["field"] == "starts_at"


def test_operations_refuse_values_of_the_wrong_type_without_a_500(service, rows):
    _, molise, day = one_molise_day(service, rows, 2)
    api = "/api/scheduling/v1"
    for record in ({"participant_id": [1], "present": True}, {"participant_id": {}, "present": 1}):
        r = service.put(f"{api}/sessions/{day['id']}/attendance", headers=service.operator,
                        json={"records": [record]})
        assert r.status_code == 422, r.get_data(as_text=True)
    code = molise[0]["codice_istat"]
    for body in ({"name": ["x"]}, {"address": {}}, {"capacity": True}, {"capacity": 10 ** 20},
                 {"max_days": 0}):
        r = service.put(f"{api}/venues/{code}", headers=service.operator, json=body)
        assert r.status_code == 422, (body, r.get_data(as_text=True))
    far = service.post(f"{api}/sessions/{day['id']}/reschedule", headers=service.operator,
                       json={"starts_at": "9999-12-31T23:30:00-02:00"})
    assert far.status_code == 422


def test_a_new_venue_on_reschedule_renames_the_day_and_moves_its_coordinates(service, rows):
    runtime = service.runtime
    _, _, day = one_molise_day(service, rows, 2)
    other = next(r for r in rows if r["regione"] == "Molise"
                 and r["codice_istat"] != day["venue"]["entity_code"])
    moved = service.post(f"/api/scheduling/v1/sessions/{day['id']}/reschedule",
                         headers=service.operator, json={
                             "starts_at": day["starts_at"], "venue": {
                                 "entity_code": other["codice_istat"], "name": "Sala consiliare",
                                 "address": f"Piazza del Municipio 1, {other['denominazione']}"}})
    assert moved.status_code == 200, moved.json
    assert moved.json["title"] == ("Giornata formativa locale - Piazza del Municipio 1, "
                                   f"{other['denominazione']}")
    [event] = outbox(runtime, "session.rescheduled")
    assert other["denominazione"] in event["data"]["title"]
    from sqlalchemy import select
    from scheduling.adapters.orm import sessions
    with runtime.engine.connect() as conn:
        lat = conn.execute(select(sessions.c.venue_lat).where(sessions.c.id == day["id"])).scalar()
    assert lat == pytest.approx(float(other["lat"]), abs=1e-6)


def test_withdrawal_cancels_the_assignments(service, rows):
    runtime = service.runtime
    adhesions = enrol(runtime, eligible(rows)[:12], people=3)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    adhesion_id, row = next(iter(adhesions.items()))
    mine = service.get(f"/api/scheduling/v1/assignments?adhesion_id={adhesion_id}&status=active",
                       headers=service.viewer).json["items"]
    deliver(runtime, withdrawn(adhesion_id, row["codice_istat"]))
    cancelled = {e["data"]["assignment_id"] for e in outbox(runtime, "assignment.cancelled")}
    assert cancelled == {a["id"] for a in mine} and cancelled
    assert service.get(f"/api/scheduling/v1/assignments?adhesion_id={adhesion_id}&status=active",
                       headers=service.viewer).json["items"] == []


def test_pin_move_reschedule_cancel_and_attendance(service, rows):
    runtime = service.runtime
    umbria = [r for r in eligible(rows) if r["regione"] == "Umbria"]
    adhesions = enrol(runtime, umbria, people=2)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    days = sorted((s for s in sessions_by_id(service).values() if s["kind"] == "in_person"),
                  key=lambda s: s["starts_at"])
    assert len(days) >= 2
    first, second = days[0], days[1]
    members = service.get(f"/api/scheduling/v1/sessions/{first['id']}",
                          headers=service.viewer).json["assignments"]
    member = next(m for m in members if len(service.get(
        f"/api/scheduling/v1/assignments?adhesion_id={m['adhesion_id']}&status=active",
        headers=service.viewer).json["items"]) == 1)
    busy = next(m for m in members if m is not member and len(service.get(
        f"/api/scheduling/v1/assignments?adhesion_id={m['adhesion_id']}&status=active",
        headers=service.viewer).json["items"]) > 1)

    moved = service.post(f"/api/scheduling/v1/assignments/{member['id']}/move",
                         headers=service.operator, json={"session_id": second["id"]})
    assert moved.status_code == 201 and moved.json["session_id"] == second["id"]
    webinar = next(a for a in service.get(
        f"/api/scheduling/v1/assignments?adhesion_id={busy['adhesion_id']}&status=active",
        headers=service.viewer).json["items"] if a["session_id"] != first["id"])
    clash = next((s for s in days if s["starts_at"][:10] ==
                  sessions_by_id(service)[webinar["session_id"]]["starts_at"][:10]), None)
    if clash is not None and clash["id"] != first["id"]:
        refused = service.post(f"/api/scheduling/v1/sessions/{clash['id']}/assignments",
                               headers=service.operator, json={"adhesion_id": busy["adhesion_id"]})
        assert refused.status_code == 409 and refused.json["type"].endswith("/clash")
    pinned = service.post(f"/api/scheduling/v1/sessions/{first['id']}/assignments",
                          headers=service.operator, json={"adhesion_id": member["adhesion_id"]})
    assert pinned.status_code == 201 and pinned.json["pinned"] is True
    other_region = service.post(f"/api/scheduling/v1/sessions/{first['id']}/assignments",
                                headers=service.operator, json={"adhesion_id": str(uuid.uuid4())})
    assert other_region.status_code == 422

    ics = Calendar.from_ical(service.get(f"/api/scheduling/v1/sessions/{first['id']}/calendar.ics").data)
    [event] = ics.walk("VEVENT")
    assert ics["METHOD"] == "PUBLISH" and event["SEQUENCE"] == 0
    uid = str(event["UID"])

    start = parse_instant(first["starts_at"])
    saturday = start + timedelta(days=(5 - start.astimezone(ROME).weekday()) % 7)
    refused = service.post(f"/api/scheduling/v1/sessions/{first['id']}/reschedule",
                           headers=service.operator, json={"starts_at": saturday.isoformat()})
    assert refused.status_code == 422 and refused.json["type"].endswith("/not-a-working-day")
    same_day = service.post(f"/api/scheduling/v1/sessions/{first['id']}/reschedule",
                            headers=service.operator, json={"starts_at": second["starts_at"]})
    assert same_day.status_code == 409
    for venue in ("Sala consiliare", ["x"], {"name": 3}):
        odd = service.post(f"/api/scheduling/v1/sessions/{first['id']}/reschedule",
                           headers=service.operator,
                           json={"starts_at": second["starts_at"], "venue": venue})
        assert odd.status_code == 422 and odd.json["errors"][0]["field"] == "venue", venue
    later = start + timedelta(days=28)
    while later.astimezone(ROME).weekday() >= 5 or later.astimezone(ROME).date() in ITALY:
        later += timedelta(days=1)
    moved_day = service.post(f"/api/scheduling/v1/sessions/{first['id']}/reschedule",
                             headers=service.operator, json={"starts_at": later.isoformat()})
    assert moved_day.status_code == 200 and moved_day.json["sequence"] == 1
    [event] = Calendar.from_ical(service.get(
        f"/api/scheduling/v1/sessions/{first['id']}/calendar.ics").data).walk("VEVENT")
    assert str(event["UID"]) == uid and event["SEQUENCE"] == 1
    assert event["DTSTART"].dt == later
    [rescheduled] = outbox(runtime, "session.rescheduled")
    assert rescheduled["data"]["previous"]["starts_at"] == first["starts_at"]

    entity_code = adhesions[member["adhesion_id"]]["codice_istat"]
    entity_cal = Calendar.from_ical(service.get(
        f"/api/scheduling/v1/entities/{entity_code}/calendar.ics").data)
    uids = {str(e["UID"]): e for e in entity_cal.walk("VEVENT")}
    assert uid in uids and uids[uid]["STATUS"] == "CONFIRMED"

    participants = pinned.json["participant_ids"]
    marked = service.put(f"/api/scheduling/v1/sessions/{first['id']}/attendance",
                         headers=service.operator, json={"records": [
                             {"participant_id": participants[0], "present": True},
                             {"participant_id": participants[1], "present": False}]})
    assert marked.status_code == 200 and (marked.json["present"], marked.json["absent"]) == (1, 1)
    stranger = service.put(f"/api/scheduling/v1/sessions/{first['id']}/attendance",
                           headers=service.operator, json={"records": [
                               {"participant_id": str(uuid.uuid4()), "present": True}]})
    assert stranger.status_code == 422 and stranger.json["errors"][0]["field"] == "records[0].participant_id"

    before = service.get(f"/api/scheduling/v1/sessions/{first['id']}", headers=service.viewer).json
    for move_to in (5, ["x"], {"id": "x"}):
        odd = service.post(f"/api/scheduling/v1/sessions/{first['id']}/cancel",
                           headers=service.operator, json={"reason": "Sala", "move_to": move_to})
        assert odd.status_code == 422 and odd.json["errors"][0]["field"] == "move_to", move_to
    cancelled = service.post(f"/api/scheduling/v1/sessions/{first['id']}/cancel",
                             headers=service.operator, json={"reason": "Sala non disponibile"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    [event] = outbox(runtime, "session.cancelled")
    assert event["data"]["reason"] == "Sala non disponibile"
    gone = {e["data"]["assignment_id"] for e in outbox(runtime, "assignment.cancelled")}
    assert {a["id"] for a in before["assignments"]} <= gone
    waiting = {w["adhesion_id"] for w in service.get("/api/scheduling/v1/waiting-list",
                                                     headers=service.viewer).json["items"]}
    assert waiting == {a["adhesion_id"] for a in before["assignments"]}
    entity_cal = Calendar.from_ical(service.get(
        f"/api/scheduling/v1/entities/{entity_code}/calendar.ics").data)
    gone_event = {str(e["UID"]): e for e in entity_cal.walk("VEVENT")}[uid]
    assert gone_event["STATUS"] == "CANCELLED" and gone_event["SEQUENCE"] == 2
    replan = service.post("/api/scheduling/v1/plans/publish", headers=service.operator,
                          json={"open_days": True})
    assert replan.status_code == 201
    check_plan(service, adhesions)


def test_a_replan_when_asked_moves_bodies_but_never_the_pinned_ones(service, rows):
    runtime = service.runtime
    umbria = [r for r in eligible(rows) if r["regione"] == "Umbria"]
    adhesions = enrol(runtime, umbria[:20], people=3)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    by_id = sessions_by_id(service)
    day = next(s for s in by_id.values() if s["kind"] == "in_person")
    pinned_member = service.get(f"/api/scheduling/v1/sessions/{day['id']}",
                                headers=service.viewer).json["assignments"][0]
    pinned = service.post(f"/api/scheduling/v1/sessions/{day['id']}/assignments",
                          headers=service.operator, json={"adhesion_id": pinned_member["adhesion_id"]})
    assert pinned.status_code == 201
    adhesions |= enrol(runtime, umbria[20:], seed=5, people=3)
    incremental = service.post("/api/scheduling/v1/plans/propose", headers=service.viewer, json={})
    assert incremental.json["mode"] == "incremental"
    assert incremental.json["metrics"]["moved_bodies"] == 0

    replan = service.post("/api/scheduling/v1/plans/publish", headers=service.operator,
                          json={"move_told": True, "open_days": True})
    assert replan.status_code == 201 and replan.json["mode"] == "replan"
    by_id, items = check_plan(service, adhesions)
    assert any(a["id"] == pinned.json["id"] for a in items)
    cancelled = {e["data"]["assignment_id"] for e in outbox(runtime, "assignment.cancelled")}
    assert pinned.json["id"] not in cancelled
    assert set(replan.json["cancelled_assignments"]) <= cancelled
    for session_id in replan.json["cancelled_sessions"]:
        assert session_id not in by_id



def test_the_command_line_proposes_and_publishes(service, rows, capsys):
    from coalizione_common.cli import main
    from scheduling.cli import commands
    runtime = service.runtime
    adhesions = enrol(runtime, eligible(rows)[:10], people=2)
    assert main("scheduling", lambda: runtime, ["plan"], extra=commands) == 0
    proposed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert proposed["bodies"] == 10 and proposed["published"] is False
    assert sessions_by_id(service) == {}
    assert main("scheduling", lambda: runtime, ["plan", "--publish"], extra=commands) == 0
    published = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert published["published"] is True and published["total_km"] == proposed["total_km"]
    check_plan(service, adhesions)


def test_clashes_are_reported_on_reschedule_and_refused_on_pin(service, rows):
    runtime = service.runtime
    adhesions = enrol(runtime, eligible(rows), seed=4, people=2)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    by_id = sessions_by_id(service)
    items = active_assignments(service)
    mine = {}
    for a in items:
        mine.setdefault(a["adhesion_id"], []).append(by_id[a["session_id"]])
    body, sessions_of_body = next((k, v) for k, v in mine.items()
                                  if {s["kind"] for s in v} == {"in_person", "webinar"})
    local = next(s for s in sessions_of_body if s["kind"] == "in_person")
    webinar = next(s for s in sessions_of_body if s["kind"] == "webinar")
    day = parse_instant(local["starts_at"]).astimezone(ROME).date()
    at = parse_instant(webinar["starts_at"]).astimezone(ROME)
    onto_local_day = at.replace(year=day.year, month=day.month, day=day.day)
    moved = service.post(f"/api/scheduling/v1/sessions/{webinar['id']}/reschedule",
                         headers=service.operator, json={"starts_at": onto_local_day.isoformat()})
    assert moved.status_code == 200 and body in moved.json["clashes"]

    stranger = next(k for k, v in mine.items() if webinar["id"] not in {s["id"] for s in v}
                    and any(s["kind"] == "in_person" and s["id"] != local["id"] for s in v))
    their_day = next(s for s in mine[stranger] if s["kind"] == "in_person")
    their_date = parse_instant(their_day["starts_at"]).astimezone(ROME).date()
    service.post(f"/api/scheduling/v1/sessions/{webinar['id']}/reschedule", headers=service.operator,
                 json={"starts_at": at.replace(year=their_date.year, month=their_date.month,
                                               day=their_date.day).isoformat()})
    refused = service.post(f"/api/scheduling/v1/sessions/{webinar['id']}/assignments",
                           headers=service.operator, json={"adhesion_id": stranger})
    assert refused.status_code == 409 and refused.json["type"].endswith("/clash")
    again = service.post(f"/api/scheduling/v1/sessions/{webinar['id']}/assignments",
                         headers=service.operator, json={"adhesion_id": body})
    assert again.status_code == 201 and again.json["pinned"] is True  # already there: now pinned


def test_roster_changes_update_assignments_and_dropped_topics_lose_their_webinar(service, rows):
    runtime = service.runtime
    adhesions = enrol(runtime, eligible(rows)[:12], seed=8, people=2)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    by_id = sessions_by_id(service)
    items = active_assignments(service)
    adhesion_id = next(a["adhesion_id"] for a in items if by_id[a["session_id"]]["kind"] == "webinar")
    row = adhesions[adhesion_id]
    before = [a for a in items if a["adhesion_id"] == adhesion_id]
    new_people = [str(uuid.uuid4()) for _ in range(3)]
    deliver(runtime, roster(adhesion_id, row, 3, [], participant_ids=new_people))
    after = [a for a in active_assignments(service) if a["adhesion_id"] == adhesion_id]
    assert [by_id[a["session_id"]]["kind"] for a in after] == ["in_person"]
    assert after[0]["participant_ids"] == new_people
    local = next(a for a in before if by_id[a["session_id"]]["kind"] == "in_person")
    assert after[0]["session_id"] == local["session_id"]
    assert after[0]["id"] == local["id"], "the local day's assignment keeps its id"
    [updated] = [e["data"] for e in outbox(runtime, "assignment.updated")]
    assert updated["assignment_id"] == local["id"] and updated["participant_ids"] == new_people
    assert updated["previous_participant_ids"] == local["participant_ids"]
    cancelled = {e["data"]["assignment_id"] for e in outbox(runtime, "assignment.cancelled")}
    assert cancelled == {a["id"] for a in before if a["id"] != local["id"]}, \
        "only the webinar of the dropped topic is cancelled"


def test_a_withdrawal_frees_seats_for_the_waiting_list_at_the_next_publish(service, rows):
    runtime = service.runtime
    runtime.planning = dataclasses.replace(runtime.planning, days_target=1)
    molise = [r for r in eligible(rows) if r["regione"] == "Molise"]
    adhesions = enrol(runtime, molise, people=4)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    [day] = [s for s in sessions_by_id(service).values() if s["region"] == "Molise"]
    extra = next(r for r in rows if r["regione"] == "Molise" and r not in molise)
    late = enrol(runtime, [extra], people=day["capacity"] - day["participants"] + 1)
    service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    assert [w["adhesion_id"] for w in service.get(
        "/api/scheduling/v1/waiting-list", headers=service.viewer).json["items"]] == list(late)
    gone, row = next(iter(adhesions.items()))
    deliver(runtime, withdrawn(gone, row["codice_istat"]))
    again = service.post("/api/scheduling/v1/plans/publish", headers=service.operator, json={})
    assert again.json["metrics"]["new_days"] == 0 and again.json["waiting_list"] == []
    del adhesions[gone]
    by_id, items = check_plan(service, adhesions | late)
    assert next(a for a in items if a["adhesion_id"] in late)["session_id"] == day["id"]


def test_malformed_requests_are_problems_not_errors(service):
    bad_code = service.get("/api/scheduling/v1/entities/a%0Db/calendar.ics")
    assert bad_code.status_code == 404 and bad_code.mimetype == "application/problem+json"
    session = "/api/scheduling/v1/sessions/00000000-0000-0000-0000-000000000000"
    bad_instant = service.post(f"{session}/reschedule", headers=service.operator,
                               json={"starts_at": 5})
    assert bad_instant.status_code == 422
    not_an_object = service.post("/api/scheduling/v1/plans/propose", headers=service.viewer,
                                 data="false", content_type="application/json")
    assert not_an_object.status_code == 400
    spec = service.get("/api/scheduling/v1/openapi.json").json
    assert "400" in spec["paths"]["/api/scheduling/v1/plans/propose"]["post"]["responses"]


def test_an_empty_view_of_the_bodies_asks_the_registry_for_a_resync(tmp_path, rows):
    runtime = build_service("scheduling", tmp_path, now="2017-06-20T08:00:00Z")
    job = next(j for j in runtime.periodic if j.name == "resync")
    job.run()
    job.run()
    assert [e["data"] for e in outbox(runtime, "registry.resync.requested")] == [
        {"requested_by": "scheduling"}]
    runtime.planning = dataclasses.replace(runtime.planning, resync_interval=0)
    deliver(runtime, entity_upserted(rows[0]))
    job.run()
    assert len(outbox(runtime, "registry.resync.requested")) == 1

