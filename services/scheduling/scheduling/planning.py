"""Proposing and publishing plans: from our view of the adhesions to local
days and webinar series, first in full, then incrementally.

A proposal never moves a body that already has an active assignment (it
has been told): late bodies go to the days of their region that still
have seats, or to the waiting list when the region is full, unless the
operator asks to open new days for them (``open_days``).
"""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from .adapters.orm import adhesions, assignments, entities, sessions, venues, waiting_list
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
    reseated: list[str] = field(default_factory=list)  # webinar assignments to cancel first


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
            unplaceable.append({"adhesion_id": row["adhesion_id"], "entity_code": row["entity_code"],
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


def propose(db: Session, config: PlanningConfig, today: date, open_days: bool = False) -> Proposal:
    """What publishing now would do; nothing is written."""
    bodies, info, unplaceable = _bodies(db)
    start = max(config.edition_start, today + timedelta(days=1))
    active = db.execute(select(assignments.c.adhesion_id, assignments.c.session_id,
                               assignments.c.headcount, sessions.c.kind, sessions.c.topic,
                               sessions.c.starts_at)
                        .join(sessions, sessions.c.id == assignments.c.session_id)
                        .where(assignments.c.status == "active",
                               sessions.c.status == "scheduled")).mappings().all()
    existing_days = db.execute(select(sessions).where(sessions.c.kind == "in_person",
                                                      sessions.c.status == "scheduled")
                               ).mappings().all()
    placed = {a["adhesion_id"] for a in active if a["kind"] == "in_person"}
    todo = [b for k, b in sorted(bodies.items()) if k not in placed]
    new_sessions: list[NewSession] = []
    placements: list[tuple[str, str]] = []
    waiting: list[Body] = []
    local_day: dict[str, date] = {a["adhesion_id"]: _rome_date(a["starts_at"])
                                  for a in active if a["kind"] == "in_person"}
    mode = "incremental" if existing_days else "full"
    fresh: list[Body] = []
    regions_with_days = {d["region"] for d in existing_days}
    load: dict[str, int] = {}
    for a in active:
        load[a["session_id"]] = load.get(a["session_id"], 0) + a["headcount"]
    results = []
    for region in sorted({b.region for b in todo}):
        mine = [b for b in todo if b.region == region]
        if region not in regions_with_days:
            fresh += mine
            continue
        slots = [Venue(d["venue_code"] or d["id"], region, d["venue_lat"], d["venue_lon"],
                       max(0, d["capacity"] - load.get(d["id"], 0)), max_days=1, min_days=1,
                       ref=d["id"])
                 for d in existing_days if d["region"] == region and d["venue_lat"] is not None]
        result = solve_region(region, mine, slots, None, _solver(config))
        results.append(result)
        for day in result.days:
            for body in day.bodies:
                placements.append((day.venue.ref, body.key))
                local_day[body.key] = _rome_date(next(
                    d["starts_at"] for d in existing_days if d["id"] == day.venue.ref))
        if open_days:
            fresh += result.waiting
        else:
            waiting += result.waiting
    days: list[Day] = []
    if fresh:
        capacity = config.day_capacity
        needed = days_per_region(fresh, config.days_target if mode == "full" else 0,
                                 max(1, int(capacity * config.day_fill)))
        plan = plan_local_days(fresh, _candidate_venues(db, fresh, capacity), needed,
                               _solver(config))
        results += plan.regions
        days, waiting = plan.days, waiting + plan.waiting
        taken: dict[str, set[date]] = {}
        per_date: dict[date, int] = {}
        for d in existing_days:
            taken.setdefault(d["region"], set()).add(_rome_date(d["starts_at"]))
            per_date[_rome_date(d["starts_at"])] = per_date.get(_rome_date(d["starts_at"]), 0) + 1
        counts: dict[str, int] = {}
        for day in days:
            counts[day.region] = counts.get(day.region, 0) + 1
        dates = assign_dates(counts, start, config.days_per_date, taken, per_date)
        by_region: dict[str, list[Day]] = {}
        for day in days:
            by_region.setdefault(day.region, []).append(day)
        for region, region_days in by_region.items():
            region_days.sort(key=lambda d: (d.venue.code, [b.key for b in d.bodies]))
            for day, when in zip(region_days, dates[region]):
                venue = _venue_doc(db, day.venue)
                starts_at, ends_at = _local_times(when, config)
                session = NewSession("in_person", f"Giornata formativa locale - {venue['address']}",
                                     starts_at, ends_at, day.venue.capacity, region=region,
                                     venue=venue | {"lat": day.venue.lat, "lon": day.venue.lon})
                new_sessions.append(session)
                for body in day.bodies:
                    placements.append((session.id, body.key))
                    local_day[body.key] = when
    webinar_sessions, webinar_placements, dropped = _webinars(db, config, bodies, info, local_day,
                                                              start)
    new_sessions += webinar_sessions
    placements += webinar_placements
    bound = sum(r.bound for r in results)
    objective = sum(r.objective for r in results)
    metrics = plan_metrics(days, waiting) | {
        "mode": mode, "regions_solved": len(results),
        "gap": round(max(0.0, (objective - bound) / objective), 6) if objective > 0 else 0.0,
        "lower_bound_km": round(bound, 3), "solver_status": {r.region: r.status for r in results},
        "webinars": len(webinar_sessions), "webinar_seats": len(webinar_placements)}
    return Proposal(mode, new_sessions, placements, sorted(b.key for b in waiting), unplaceable,
                    metrics, dropped)


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
    existing = {r["id"]: Webinar(r["topic"], _aware(r["starts_at"]).astimezone(ROME),
                                 _aware(r["ends_at"]).astimezone(ROME), r["capacity"], ref=r["id"])
                for r in rows}
    dropped = []
    if existing:
        for a in db.execute(select(assignments).where(
                assignments.c.status == "active",
                assignments.c.session_id.in_(list(existing)))).mappings():
            learner = learners.get(a["adhesion_id"]) or Learner(a["adhesion_id"], a["headcount"], ())
            webinar = existing[a["session_id"]]
            if learner.local_day == webinar.starts_at.date():
                # the body's (new) local day fell on this webinar: seat it again
                dropped.append(a["id"])
                continue
            webinar.learners.append(Learner(learner.key, a["headcount"], learner.topics,
                                            learner.local_day))
    before = {ref: len(w.learners) for ref, w in existing.items()}
    planned = plan_webinars(list(learners.values()), start, options, list(existing.values()))
    new_sessions, placements = [], []
    for webinar in planned:
        if webinar.ref is None:
            session = NewSession("webinar", f"Webinar - {webinar.topic}",
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


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)
