"""Proposing and publishing plans: from our view of the adhesions to local
days and webinar series, first in full, then incrementally.

A proposal never moves a body that already has an active assignment (it
has been told): late bodies go to the days of their region that still
have seats, or to the waiting list when the region is full, unless the
operator asks to open new days for them (``open_days``).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.clock import as_utc

from .adapters.orm import adhesions, assignments, entities, sessions, venues
from .config import PlanningConfig
from .domain.dates import assign_dates
from .domain.localdays import (Body, Day, SolverOptions, Venue, days_per_region, plan_local_days,
                               plan_metrics, solve_region)
from .domain.webinars import ROME, Learner, Webinar, WebinarOptions, plan_webinars


@dataclass
class NewSession:
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    topic: str | None = None
    region: str | None = None
    venue: dict | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Proposal:
    mode: str
    sessions: list[NewSession]
    placements: list[tuple[str, str]]  # (session id, adhesion id), new sessions or existing
    waiting: list[str]
    unplaceable: list[dict]
    metrics: dict
    reseated: list[str] = field(default_factory=list)  # assignments to cancel first
    cancelled_sessions: list[str] = field(default_factory=list)


def _solver(config: PlanningConfig) -> SolverOptions:
    return SolverOptions(time_limit=config.time_limit, k_nearest=config.k_nearest,
                         workers=config.solver_workers)


def _bodies(db: Session) -> tuple[dict[str, Body], dict[str, dict], list[dict]]:
    """Confirmed adhesions as bodies to place; those we cannot place yet
    (no coordinates from the registry) are reported."""
    rows = db.execute(select(adhesions, entities.c.lat, entities.c.lon,
                             entities.c.region.label("entity_region"))
                      .outerjoin(entities, entities.c.code == adhesions.c.entity_code)
                      .where(adhesions.c.status == "confirmed")).mappings().all()
    bodies, info, unplaceable = {}, {}, []
    for row in rows:
        region = row["entity_region"] or row["region"]
        info[row["adhesion_id"]] = dict(row)
        if row["lat"] is None or row["lon"] is None or not region:
            unplaceable.append({"adhesion_id": row["adhesion_id"],
                                "entity_code": row["entity_code"],
                                "reason": "no coordinates or region for this body yet"})
            continue
        bodies[row["adhesion_id"]] = Body(row["adhesion_id"], row["entity_code"], region,
                                          row["lat"], row["lon"], max(1, row["headcount"]))
    return bodies, info, unplaceable


def _candidate_venues(db: Session, bodies: list[Body], capacity: int) -> dict[str, list[Venue]]:
    """Configured venues where a region has any; else every participating body."""
    configured: dict[str, list[Venue]] = {}
    for row in db.execute(select(venues, entities.c.lat, entities.c.lon)
                          .join(entities, entities.c.code == venues.c.entity_code)).mappings():
        if row["lat"] is not None and row["region"]:
            configured.setdefault(row["region"], []).append(Venue(
                row["entity_code"], row["region"], row["lat"], row["lon"], row["capacity"],
                max_days=row["max_days"], name=row["name"]))
    result: dict[str, list[Venue]] = {}
    for body in bodies:
        if body.region in configured:
            result[body.region] = configured[body.region]
        else:
            result.setdefault(body.region, []).append(
                Venue(body.code, body.region, body.lat, body.lon, capacity))
    return result


def _venue_doc(db: Session, venue: Venue) -> dict:
    row = db.execute(select(venues).where(venues.c.entity_code == venue.code)).mappings().first()
    if row:
        return {"entity_code": venue.code, "name": row["name"], "address": row["address"]}
    name = db.execute(select(entities.c.name).where(entities.c.code == venue.code)).scalar()
    return {"entity_code": venue.code, "name": f"Comune di {name or venue.code}",
            "address": name or venue.code}


def _local_times(day: date, config: PlanningConfig) -> tuple[datetime, datetime]:
    start = datetime.combine(day, config.day_starts, tzinfo=ROME).astimezone(timezone.utc)
    end = datetime.combine(day, config.day_ends, tzinfo=ROME).astimezone(timezone.utc)
    return start, end


def propose(db: Session, config: PlanningConfig, today: date, open_days: bool = False,
            move_told: bool = False) -> Proposal:
    """What publishing now would do; nothing is written.

    ``move_told``: re-plan the local days of every region from scratch,
    keeping only pinned bodies where they are; existing days are reused
    where the new plan keeps their venue, the others are cancelled, and
    only bodies whose day changes get new assignments."""
    bodies, info, unplaceable = _bodies(db)
    start = max(config.edition_start, today + timedelta(days=1))
    active = db.execute(select(assignments.c.id, assignments.c.adhesion_id,
                               assignments.c.session_id, assignments.c.headcount,
                               assignments.c.pinned, sessions.c.kind, sessions.c.starts_at)
                        .join(sessions, sessions.c.id == assignments.c.session_id)
                        .where(assignments.c.status == "active",
                               sessions.c.status == "scheduled")).mappings().all()
    existing_days = {d["id"]: dict(d) for d in db.execute(
        select(sessions).where(sessions.c.kind == "in_person", sessions.c.status == "scheduled")
        .order_by(sessions.c.starts_at, sessions.c.id)).mappings()}
    in_person = {a["adhesion_id"]: a for a in active if a["kind"] == "in_person"}
    replan = move_told and bool(existing_days)
    mode = "replan" if replan else "incremental" if existing_days else "full"
    # A body whose day has come (or gone) stays on it, re-plan or not.
    fixed = {k: a for k, a in in_person.items()
             if a["pinned"] or not replan or _rome_date(a["starts_at"]) < start}
    todo = [b for k, b in sorted(bodies.items()) if k not in fixed]
    load: dict[str, int] = {}
    for a in fixed.values():
        load[a["session_id"]] = load.get(a["session_id"], 0) + a["headcount"]
    local_day = {k: _rome_date(a["starts_at"]) for k, a in fixed.items()}
    placements: list[tuple[str, str]] = []
    waiting: list[Body] = []
    fresh: list[Body] = []
    results = []
    kept: set[str] = set()
    days: list[Day] = []
    regions_with_days = {d["region"] for d in existing_days.values()}
    fill = max(1, int(config.day_capacity * config.day_fill))
    for region in sorted({b.region for b in todo} | (regions_with_days if replan else set())):
        mine = [b for b in todo if b.region == region]
        if region not in regions_with_days:
            fresh += mine
            continue
        slots = [Venue(d["venue_code"] or d["id"], region, d["venue_lat"], d["venue_lon"],
                       0 if _rome_date(d["starts_at"]) < start  # held: nobody joins it now
                       else max(0, d["capacity"] - load.get(d["id"], 0)), max_days=1,
                       min_days=1 if load.get(d["id"]) or not replan else 0, ref=d["id"])
                 for d in existing_days.values()
                 if d["region"] == region and d["venue_lat"] is not None]
        n_days = None
        if replan:
            taken_codes = {v.code for v in slots}
            slots += [v for v in _candidate_venues(db, mine, config.day_capacity).get(region, [])
                      if v.code not in taken_codes]
            n_days = max(len([d for d in existing_days.values() if d["region"] == region]),
                         days_per_region(mine, 0, fill).get(region, 0))
        result = solve_region(region, mine, slots, n_days, _solver(config))
        results.append(result)
        for day in result.days:
            if day.venue.ref is None:
                continue
            kept.add(day.venue.ref)
            for body in day.bodies:
                current = in_person.get(body.key)
                if current is None or current["session_id"] != day.venue.ref:
                    placements.append((day.venue.ref, body.key))
                local_day[body.key] = _rome_date(existing_days[day.venue.ref]["starts_at"])
        days += [d for d in result.days if d.venue.ref is None]
        if open_days and not replan:
            fresh += result.waiting
        else:
            waiting += result.waiting
    if fresh:
        needed = days_per_region(fresh, config.days_target if mode == "full" else 0, fill)
        plan = plan_local_days(fresh, _candidate_venues(db, fresh, config.day_capacity), needed,
                               _solver(config))
        results += plan.regions
        days += plan.days
        waiting += plan.waiting
    dropped_days = [k for k, d in existing_days.items() if replan and k not in kept
                    and not load.get(k)]
    remaining = [d for k, d in existing_days.items() if k not in dropped_days]
    new_sessions = _date_new_days(db, config, days, remaining, start, placements, local_day)
    target = {aid: sid for sid, aid in placements}
    moved = [a["id"] for k, a in in_person.items()
             if k not in fixed and k in target and target[k] != a["session_id"]]
    moved += [a["id"] for k, a in in_person.items() if k in {b.key for b in waiting}]
    webinar_sessions, webinar_placements, dropped = _webinars(db, config, bodies, info, local_day,
                                                              start)
    bound = sum(r.bound for r in results)
    objective = sum(r.objective for r in results)
    metrics = plan_metrics([d for r in results for d in r.days], waiting) | {
        "mode": mode, "regions_solved": len(results),
        "gap": round(max(0.0, (objective - bound) / objective), 6) if objective > 0 else 0.0,
        "lower_bound_km": round(bound, 3), "solver_status": {r.region: r.status for r in results},
        "new_days": len(new_sessions), "cancelled_days": len(dropped_days),
        "moved_bodies": len(moved), "webinars": len(webinar_sessions),
        "webinar_seats": len(webinar_placements)}
    return Proposal(mode, new_sessions + webinar_sessions, placements + webinar_placements,
                    sorted(b.key for b in waiting), unplaceable, metrics, dropped + moved,
                    dropped_days)


def _date_new_days(db, config, days: list[Day], existing: list[dict], start: date,
                   placements: list, local_day: dict) -> list[NewSession]:
    """Sessions for the new days: dates that no region uses twice, at most
    ``days_per_date`` a date counting the existing days."""
    taken: dict[str, set[date]] = {}
    per_date: dict[date, int] = {}
    for d in existing:
        when = _rome_date(d["starts_at"])
        taken.setdefault(d["region"], set()).add(when)
        per_date[when] = per_date.get(when, 0) + 1
    by_region: dict[str, list[Day]] = {}
    for day in days:
        by_region.setdefault(day.region, []).append(day)
    dates = assign_dates({r: len(v) for r, v in by_region.items()}, start, config.days_per_date,
                         taken, per_date)
    created = []
    for region, region_days in sorted(by_region.items()):
        region_days.sort(key=lambda d: (d.venue.code, [b.key for b in d.bodies]))
        for day, when in zip(region_days, dates[region]):
            venue = _venue_doc(db, day.venue)
            starts_at, ends_at = _local_times(when, config)
            session = NewSession("in_person", local_day_title(venue["address"]),
                                 starts_at, ends_at, day.venue.capacity, region=region,
                                 venue=venue | {"lat": day.venue.lat, "lon": day.venue.lon})
            created.append(session)
            for body in day.bodies:
                placements.append((session.id, body.key))
                local_day[body.key] = when
    return created


def local_day_title(address: str) -> str:
    """A local day is named after its place (a new venue renames it)."""
    return f"Giornata formativa locale - {address}"


def _rome_date(instant: datetime) -> date:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(ROME).date()


def _webinars(db, config, bodies, info, local_day, start):
    options = WebinarOptions(min_bodies=config.webinar_min_bodies, seats=config.webinar_seats,
                             minutes=config.webinar_minutes, slot_times=config.webinar_times,
                             parallel=config.webinar_parallel)
    learners = {k: Learner(k, max(1, info[k]["headcount"]), tuple(info[k]["webinar_topics"] or ()),
                           local_day.get(k)) for k in sorted(bodies)}
    rows = db.execute(select(sessions).where(sessions.c.kind == "webinar",
                                             sessions.c.status == "scheduled")).mappings().all()
    existing = {r["id"]: Webinar(r["topic"], as_utc(r["starts_at"]).astimezone(ROME),
                                 as_utc(r["ends_at"]).astimezone(ROME), r["capacity"], ref=r["id"])
                for r in rows}
    dropped = []
    if existing:
        for a in db.execute(select(assignments).where(
                assignments.c.status == "active",
                assignments.c.session_id.in_(list(existing)))).mappings():
            learner = (learners.get(a["adhesion_id"])
                       or Learner(a["adhesion_id"], a["headcount"], ()))
            webinar = existing[a["session_id"]]
            if learner.local_day == webinar.starts_at.date():
                # the body's (new) local day fell on this webinar: seat it again
                dropped.append(a["id"])
                continue
            webinar.learners.append(Learner(learner.key, a["headcount"], learner.topics,
                                            learner.local_day))
    for webinar in existing.values():
        if webinar.starts_at.date() < start:  # held: nobody joins it now
            webinar.seats = webinar.taken
    before = {ref: len(w.learners) for ref, w in existing.items()}
    planned = plan_webinars(list(learners.values()), start, options, list(existing.values()))
    new_sessions, placements = [], []
    for webinar in planned:
        if webinar.ref is None:
            session = NewSession("webinar", f"Webinar - {config.topic_title(webinar.topic)}",
                                 webinar.starts_at.astimezone(timezone.utc),
                                 webinar.ends_at.astimezone(timezone.utc), webinar.seats,
                                 topic=webinar.topic)
            webinar.ref = session.id
            new_sessions.append(session)
            fresh = webinar.learners
        else:
            fresh = webinar.learners[before[webinar.ref]:]
        placements += [(webinar.ref, l.key) for l in fresh]
    return new_sessions, placements, dropped
