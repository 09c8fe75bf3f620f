"""Use cases of the scheduling service: one function per consumed event
or operator command. Every change and the events announcing it are
written in the caller's transaction (``runtime.emit`` fills the outbox)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from coalizione_common.db import insert_new, is_postgres, upsert
from coalizione_common.envelope import Envelope
from coalizione_common.http import Problem
from coalizione_common.runtime import ServiceRuntime
from coalizione_common.clock import as_utc, format_instant

from .adapters.orm import (adhesions, assignments, attendance, certificates, entities, sessions,
                           venues, waiting_list)
from .domain.dates import is_working_date
from .domain.webinars import ROME
from .planning import Proposal, local_day_title, propose


class NotFound(Problem):
    def __init__(self, what: str, key: str):
        super().__init__(404, "not-found", f"{what} not found", f"No {what.lower()} {key}.")


def record_entity_location(runtime: ServiceRuntime, session: Session, envelope: Envelope) -> None:
    """Keep each body's name, region and coordinates from ``registry.entity.upserted``."""
    entity = envelope.data
    upsert(session, entities, {
        "code": entity["code"], "name": entity["name"], "kind": entity["kind"],
        "province": entity.get("province"), "region": entity.get("region"),
        "lat": entity.get("lat"), "lon": entity.get("lon"), "updated_at": runtime.clock.now(),
    }, key=("code",))


# consumed: adhesion.* and roster.updated ------------------------------------

def record_adhesion(runtime: ServiceRuntime, session: Session, envelope: Envelope) -> None:
    """Keep our view of an adhesion: status, participants (ids, roles,
    names and offices), topics. A withdrawal cancels the body's assignments; a changed roster
    updates its assignments to the new participant ids (``assignment.updated``,
    so that only those added are invited and only those removed told); a
    topic no longer chosen loses its webinar assignment."""
    data = envelope.data
    adhesion_id = data["adhesion_id"]
    row, new = _stored_adhesion(session, adhesion_id)
    values = dict(row) if row else {
        "adhesion_id": adhesion_id, "entity_code": data.get("entity_code") or
        (data.get("entity") or {}).get("code"), "entity_name": None, "region": None,
        "status": "pending_confirmation", "participants": [], "headcount": 0,
        "webinar_topics": []}
    entity = data.get("entity") or {}
    values["entity_name"] = entity.get("name") or values["entity_name"]
    values["region"] = entity.get("region") or values["region"]
    kind = envelope.type
    if kind == "roster.updated":
        values["participants"] = _roster(data.get("participants", []),
                                         row["participants"] if row else [])
        values["headcount"] = len(values["participants"])
        values["webinar_topics"] = list(data.get("webinar_topics") or [])
        values["status"] = _later_status(values["status"], data.get("status"))
    elif kind in ("adhesion.submitted", "adhesion.updated"):
        values["webinar_topics"] = list(data.get("webinar_topics") or values["webinar_topics"])
        if not values["participants"] and data.get("participants_by_role"):
            values["headcount"] = sum(data["participants_by_role"].values())
        if kind == "adhesion.updated":
            values["status"] = _later_status(values["status"], data.get("status"))
    elif kind == "adhesion.confirmed":
        values["status"] = _later_status(values["status"], "confirmed")
    elif kind == "adhesion.withdrawn":
        values["status"] = "withdrawn"
    if not values["entity_code"]:
        raise ValueError(f"{kind} for {adhesion_id} names no entity")
    values["updated_at"] = runtime.clock.now()
    upsert(session, adhesions, values, key=("adhesion_id",))
    session.info.setdefault(_WRITTEN, {})[adhesion_id] = (dict(values), new)
    active = [] if new else _active(session, adhesion_id)
    if values["status"] == "withdrawn":
        for a in active:
            _cancel_assignment(runtime, session, a)
        session.execute(delete(waiting_list).where(waiting_list.c.adhesion_id == adhesion_id))
    elif row:
        topics = set(values["webinar_topics"])
        renamed = _ids(values["participants"]) != _ids(row["participants"])
        for a in active:
            held = get_session(session, a["session_id"])
            if held["kind"] == "webinar" and held["topic"] not in topics:
                _cancel_assignment(runtime, session, a)
            elif renamed:
                _update_assignment(runtime, session, a, values)


# The adhesions record_adhesion wrote in a transaction (a consumer batch
# often brings adhesion.submitted and roster.updated of one submission).
_WRITTEN = "scheduling.adhesions_written"


def _stored_adhesion(session: Session, adhesion_id: str) -> tuple[dict | None, bool]:
    """Our view of an adhesion (None if unknown), and whether it is new in
    this transaction: then it has no assignments, since every way of
    assigning a body reads its stored adhesion first. One written earlier
    in the transaction is taken as written, not read again."""
    written = session.info.get(_WRITTEN, {})
    if adhesion_id in written:
        values, new = written[adhesion_id]
        return dict(values), new
    row = session.execute(select(adhesions).where(adhesions.c.adhesion_id == adhesion_id)
                          ).mappings().first()
    return (dict(row) if row else None), row is None


def _roster(incoming: list[dict], known: list[dict]) -> list[dict]:
    """The participants as we keep them; people already erased stay erased."""
    erased = {p["id"] for p in known if p.get("erased")}
    return [{"id": p["id"], "role": p.get("role"),
             "name": None if p["id"] in erased else p.get("name"),
             "office": None if p["id"] in erased else p.get("office"),
             "erased": p["id"] in erased} for p in incoming]


def erase_people(runtime: ServiceRuntime, session: Session, envelope: Envelope) -> None:
    """``roster.erased``: forget these people's names and offices, in the
    adhesion and on their certificates; ids and roles stay (assignments,
    attendance and the indicators do not change) and certificates stay valid."""
    adhesion_id = envelope.data["adhesion_id"]
    erased = set(envelope.data.get("person_ids") or [])
    row = session.execute(select(adhesions).where(adhesions.c.adhesion_id == adhesion_id)
                          ).mappings().first()
    if row is not None:
        people = [p | {"name": None, "office": None, "erased": True} if p["id"] in erased else p
                  for p in row["participants"]]
        session.execute(update(adhesions).where(adhesions.c.adhesion_id == adhesion_id)
                        .values(participants=people, updated_at=runtime.clock.now()))
    session.info.get(_WRITTEN, {}).pop(adhesion_id, None)
    if erased:
        session.execute(update(certificates).where(certificates.c.participant_id.in_(erased))
                        .values(holder_name=None, erased=True))


def _ids(people: list[dict]) -> list[str]:
    return [p["id"] for p in people]


_ORDER = {"pending_confirmation": 0, "confirmation_requested": 0, "submitted": 0,
          "confirmed": 1, "withdrawn": 2}


def _later_status(current: str, incoming: str | None) -> str:
    """Statuses only move forward, whatever order the events arrive in."""
    if not incoming:
        return current
    return incoming if _ORDER.get(incoming, 1) >= _ORDER.get(current, 0) else current


# assignments --------------------------------------------------------------

def _active(session: Session, adhesion_id: str) -> list[dict]:
    return [dict(r) for r in session.execute(select(assignments).where(
        assignments.c.adhesion_id == adhesion_id, assignments.c.status == "active")).mappings()]


def _create_assignment(runtime, session: Session, session_id: str, adhesion: dict,
                       pinned: bool = False) -> dict:
    return _create_assignments(runtime, session, [(session_id, adhesion)], pinned)[0]


def _create_assignments(runtime, session: Session, pairs: list[tuple[str, dict]],
                        pinned: bool = False) -> list[dict]:
    """Assign each (session id, adhesion) pair, in one multi-row insert."""
    now = runtime.clock.now()
    rows = [{"id": str(uuid.uuid4()), "session_id": session_id,
             "adhesion_id": adhesion["adhesion_id"], "entity_code": adhesion["entity_code"],
             "participant_ids": _ids(adhesion["participants"]),
             "headcount": max(1, adhesion["headcount"]), "status": "active", "pinned": pinned,
             "created_at": now, "cancelled_at": None} for session_id, adhesion in pairs]
    if rows:
        session.execute(insert(assignments), rows)
    for row in rows:
        runtime.emit(session, "assignment.created", row["adhesion_id"], _assignment_event(row))
    return rows


def _cancel_assignment(runtime, session: Session, row: dict) -> None:
    session.execute(update(assignments).where(assignments.c.id == row["id"])
                    .values(status="cancelled", cancelled_at=runtime.clock.now()))
    runtime.emit(session, "assignment.cancelled", row["adhesion_id"], _assignment_event(row))


def _update_assignment(runtime, session: Session, row: dict, adhesion: dict) -> None:
    """The body's people changed: the assignment keeps its id and names
    the new ones; ``assignment.updated`` carries the previous ids too."""
    ids = _ids(adhesion["participants"])
    session.execute(update(assignments).where(assignments.c.id == row["id"]).values(
        participant_ids=ids, headcount=max(1, adhesion["headcount"])))
    runtime.emit(session, "assignment.updated", row["adhesion_id"],
                 _assignment_event(dict(row, participant_ids=ids))
                 | {"previous_participant_ids": list(row["participant_ids"])})


def _assignment_event(row: dict) -> dict:
    return {"assignment_id": row["id"], "session_id": row["session_id"],
            "adhesion_id": row["adhesion_id"], "entity_code": row["entity_code"],
            "participant_ids": list(row["participant_ids"])}


def _load(session: Session, session_id: str) -> int:
    return sum(session.execute(select(assignments.c.headcount).where(
        assignments.c.session_id == session_id, assignments.c.status == "active")).scalars())


# sessions -----------------------------------------------------------------



def session_event(row: dict) -> dict:
    data = {"session_id": row["id"], "kind": row["kind"], "topic": row["topic"],
            "title": row["title"], "starts_at": format_instant(row["starts_at"]),
            "ends_at": format_instant(row["ends_at"]), "capacity": row["capacity"]}
    if row["kind"] == "in_person":
        data["venue"] = _venue(row)
    else:
        data["join_url"] = row["join_url"]
    return data


def _venue(row: dict) -> dict:
    return {"name": row["venue_name"], "entity_code": row["venue_code"],
            "address": row["venue_address"]}


def get_session(session: Session, session_id: str) -> dict:
    row = session.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
    if row is None:
        raise NotFound("Session", session_id)
    return dict(row)


def publish(runtime, session: Session, config, open_days: bool = False,
            move_told: bool = False) -> Proposal:
    """Write the proposal: assignments it replaces are cancelled
    (``assignment.cancelled``), days a re-plan drops are cancelled
    (``session.cancelled``), new sessions (``session.scheduled``) and
    assignments (``assignment.created``) are written, and the waiting list."""
    if is_postgres(session.get_bind()):
        # one publish at a time: two would both see the same bodies unplaced
        session.execute(text("SELECT pg_advisory_xact_lock(74201701)"))
    proposal = propose(session, config, runtime.clock.now().astimezone(ROME).date(), open_days,
                       move_told)
    now = runtime.clock.now()
    for assignment_id in proposal.reseated:
        row = session.execute(select(assignments).where(assignments.c.id == assignment_id)
                              ).mappings().one()
        _cancel_assignment(runtime, session, dict(row))
    for session_id in proposal.cancelled_sessions:
        row = get_session(session, session_id)
        for a in session.execute(select(assignments).where(
                assignments.c.session_id == session_id,
                assignments.c.status == "active")).mappings():
            _cancel_assignment(runtime, session, dict(a))
        reason = "Giornata non più necessaria dopo la ripianificazione"
        session.execute(update(sessions).where(sessions.c.id == session_id).values(
            status="cancelled", cancel_reason=reason, updated_at=now, sequence=row["sequence"] + 1))
        row.update(status="cancelled", sequence=row["sequence"] + 1)
        runtime.emit(session, "session.cancelled", session_id,
                     session_event(row) | {"reason": reason})
    for s in proposal.sessions:
        venue = s.venue or {}
        row = {"id": s.id, "kind": s.kind, "status": "scheduled", "topic": s.topic,
               "title": s.title, "region": s.region, "venue_code": venue.get("entity_code"),
               "venue_name": venue.get("name"), "venue_address": venue.get("address"),
               "venue_lat": venue.get("lat"), "venue_lon": venue.get("lon"),
               "join_url": f"{config.join_url_base}{s.id}" if s.kind == "webinar" else None,
               "starts_at": s.starts_at, "ends_at": s.ends_at, "capacity": s.capacity,
               "sequence": 0, "cancel_reason": None, "created_at": now, "updated_at": now}
        session.execute(insert(sessions).values(**row))
        runtime.emit(session, "session.scheduled", s.id, session_event(row))
    rows = {r["adhesion_id"]: dict(r) for r in session.execute(select(adhesions).where(
        adhesions.c.adhesion_id.in_({a for _, a in proposal.placements}))).mappings()}
    _create_assignments(runtime, session, [(session_id, rows[adhesion_id])
                                           for session_id, adhesion_id in proposal.placements])
    placed = {a for _, a in proposal.placements}
    session.execute(delete(waiting_list).where(waiting_list.c.adhesion_id.in_(placed)))
    regions = {r["adhesion_id"]: r["region"] for r in rows.values()}
    for adhesion_id in proposal.waiting:  # who waits longest keeps their place
        insert_new(session, waiting_list, {"adhesion_id": adhesion_id,
                                           "region": regions.get(adhesion_id), "since": now})
    return proposal


def assign_body(runtime, session: Session, session_id: str, adhesion_id: str,
                pinned: bool) -> dict:
    """Put a body in a session (pin or move): its other assignment of the
    same kind (same topic for webinars) is cancelled."""
    target = get_session(session, session_id)
    if target["status"] != "scheduled":
        raise Problem(409, "session-cancelled", "Session cancelled",
                      f"Session {session_id} is {target['status']}.")
    adhesion = session.execute(select(adhesions).where(adhesions.c.adhesion_id == adhesion_id)
                               ).mappings().first()
    if adhesion is None or adhesion["status"] != "confirmed":
        raise Problem(422, "not-confirmed", "Adhesion not confirmed",
                      f"Adhesion {adhesion_id} is unknown or not confirmed.")
    region = session.execute(select(entities.c.region).where(
        entities.c.code == adhesion["entity_code"])).scalar() or adhesion["region"]
    if target["kind"] == "in_person" and region != target["region"]:
        raise Problem(422, "wrong-region", "Local day of another region",
                      f"The body is in {region}; this local day is in {target['region']}.")
    current = [a for a in _active(session, adhesion_id)
               if _same_family(session, a["session_id"], target)]
    if any(a["session_id"] == session_id for a in current):
        row = next(a for a in current if a["session_id"] == session_id)
        session.execute(update(assignments).where(assignments.c.id == row["id"])
                        .values(pinned=pinned or row["pinned"]))
        return row | {"pinned": pinned or row["pinned"]}
    others = [get_session(session, a["session_id"]) for a in _active(session, adhesion_id)
              if a not in current]
    if any(_conflict(target, o) for o in others if o["status"] == "scheduled"):
        raise Problem(409, "clash", "Clash with another session",
                      "The body has another session at that time or on that local day.")
    if _load(session, session_id) + max(1, adhesion["headcount"]) > target["capacity"]:
        raise Problem(409, "session-full", "Session full",
                      f"Session {session_id} has no room for {adhesion['headcount']} more.")
    for a in current:
        _cancel_assignment(runtime, session, a)
    session.execute(delete(waiting_list).where(waiting_list.c.adhesion_id == adhesion_id))
    return _create_assignment(runtime, session, session_id, dict(adhesion), pinned)


def _same_family(session: Session, session_id: str, target: dict) -> bool:
    other = get_session(session, session_id)
    if other["kind"] != target["kind"]:
        return False
    return other["kind"] == "in_person" or other["topic"] == target["topic"]


def reschedule(runtime, session: Session, session_id: str, starts_at: datetime,
               ends_at: datetime | None, venue: dict | None) -> dict:
    """Move a session in time (or place); ``session.rescheduled`` carries
    the previous values. Assignments stay; bodies whose sessions now
    overlap are returned as ``clashes`` for the operator to move."""
    row = get_session(session, session_id)
    if row["status"] != "scheduled":
        raise Problem(409, "session-cancelled", "Session cancelled",
                      f"Session {session_id} is cancelled.")
    if starts_at <= runtime.clock.now():
        raise Problem(422, "validation", "Invalid times", "A session cannot move into the past.",
                      errors=[{"field": "starts_at", "message": "must be in the future"}])
    ends_at = ends_at or starts_at + (row["ends_at"] - row["starts_at"])
    if ends_at <= starts_at:
        raise Problem(422, "validation", "Invalid times", "ends_at must follow starts_at.",
                      errors=[{"field": "ends_at", "message": "must follow starts_at"}])
    local = starts_at.astimezone(ROME).date()
    if not is_working_date(local):
        raise Problem(422, "not-a-working-day", "Not a working day",
                      f"{local.isoformat()} is a weekend day or an Italian public holiday.")
    if row["kind"] == "in_person":
        for other in session.execute(select(sessions).where(
                sessions.c.kind == "in_person", sessions.c.status == "scheduled",
                sessions.c.region == row["region"], sessions.c.id != session_id)).mappings():
            if as_utc(other["starts_at"]).astimezone(ROME).date() == local:
                raise Problem(409, "region-date-taken", "Date taken in the region",
                              f"{row['region']} already has a local day on {local.isoformat()}.")
    previous = {"starts_at": format_instant(row["starts_at"]), "ends_at": format_instant(row["ends_at"])}
    if row["kind"] == "in_person":
        previous["venue"] = _venue(row)
    else:
        previous["join_url"] = row["join_url"]
    changes = {"starts_at": starts_at, "ends_at": ends_at, "sequence": row["sequence"] + 1,
               "updated_at": runtime.clock.now()}
    if venue and row["kind"] == "in_person":
        changes.update(venue_code=venue.get("entity_code") or row["venue_code"],
                       venue_name=venue.get("name") or row["venue_name"],
                       venue_address=venue.get("address") or row["venue_address"])
        # The title names the place, and the coordinates serve later
        # plans: both follow the venue (a title an operator chose stays).
        if row["title"] == local_day_title(row["venue_address"]):
            changes["title"] = local_day_title(changes["venue_address"])
        if changes["venue_code"] != row["venue_code"]:
            place = session.execute(select(entities.c.lat, entities.c.lon).where(
                entities.c.code == changes["venue_code"])).first()
            changes.update(venue_lat=place.lat if place else None,
                           venue_lon=place.lon if place else None)
    session.execute(update(sessions).where(sessions.c.id == session_id).values(**changes))
    row.update(changes)
    runtime.emit(session, "session.rescheduled", session_id,
                 session_event(row) | {"previous": previous})
    return row | {"clashes": clashes_of(session, session_id)}


def clashes_of(session: Session, session_id: str) -> list[str]:
    """Adhesions in this session with another session at an overlapping
    time, or a webinar on the date of their local day."""
    row = get_session(session, session_id)
    members = [a["adhesion_id"] for a in session.execute(select(assignments.c.adhesion_id).where(
        assignments.c.session_id == session_id, assignments.c.status == "active")).mappings()]
    found = []
    for adhesion_id in members:
        for a in _active(session, adhesion_id):
            if a["session_id"] == session_id:
                continue
            other = get_session(session, a["session_id"])
            if other["status"] == "scheduled" and _conflict(row, other):
                found.append(adhesion_id)
                break
    return found


def _conflict(a: dict, b: dict) -> bool:
    if (as_utc(a["starts_at"]) < as_utc(b["ends_at"])
            and as_utc(b["starts_at"]) < as_utc(a["ends_at"])):
        return True
    if "in_person" in (a["kind"], b["kind"]) and a["kind"] != b["kind"]:
        return as_utc(a["starts_at"]).astimezone(ROME).date() == \
            as_utc(b["starts_at"]).astimezone(ROME).date()
    return False




def cancel(runtime, session: Session, session_id: str, reason: str,
           move_to: str | None = None) -> dict:
    """Cancel a session (``session.cancelled``). Its assignments are
    cancelled (``assignment.cancelled``); with ``move_to`` each body is
    assigned to that session instead, otherwise bodies of a local day go
    to the waiting list for the next re-plan."""
    row = get_session(session, session_id)
    if row["status"] != "scheduled":
        raise Problem(409, "session-cancelled", "Already cancelled",
                      f"Session {session_id} is cancelled.")
    if move_to:
        target = get_session(session, move_to)
        if (target["kind"] != row["kind"] or target["status"] != "scheduled"
                or move_to == session_id or target["region"] != row["region"]
                or target["topic"] != row["topic"]
                or as_utc(target["starts_at"]) <= runtime.clock.now()):
            raise Problem(422, "validation", "Invalid target session",
                          "move_to must be another scheduled, future session of the same kind "
                          "(a local day of the same region, a webinar on the same topic).",
                          errors=[{"field": "move_to", "message": "not a suitable session"}])
    members = [dict(a) for a in session.execute(select(assignments).where(
        assignments.c.session_id == session_id, assignments.c.status == "active")).mappings()]
    moving = sum(a["headcount"] for a in members)
    if move_to and _load(session, move_to) + moving > target["capacity"]:
        raise Problem(409, "session-full", "Target session full",
                      f"Session {move_to} cannot take the {len(members)} bodies of this one.")
    now = runtime.clock.now()
    session.execute(update(sessions).where(sessions.c.id == session_id).values(
        status="cancelled", cancel_reason=reason, updated_at=now, sequence=row["sequence"] + 1))
    row.update(status="cancelled", cancel_reason=reason, sequence=row["sequence"] + 1)
    runtime.emit(session, "session.cancelled", session_id, session_event(row) | {"reason": reason})
    for a in members:
        _cancel_assignment(runtime, session, a)
        adhesion = session.execute(select(adhesions).where(
            adhesions.c.adhesion_id == a["adhesion_id"])).mappings().first()
        if move_to:
            _create_assignment(runtime, session, move_to, dict(adhesion), a["pinned"])
        elif row["kind"] == "in_person":
            insert_new(session, waiting_list, {"adhesion_id": a["adhesion_id"],
                                               "region": row["region"], "since": now})
    return row


def configure_venue(runtime, session: Session, code: str, doc: dict, capacity: int) -> dict:
    entity = session.execute(select(entities).where(entities.c.code == code)).mappings().first()
    if entity is None or entity["lat"] is None:
        raise Problem(422, "unknown-entity", "Unknown venue",
                      f"No body {code} with coordinates is known to scheduling.")
    bad = [{"field": name, "message": "a text"} for name in ("name", "address")
           if doc.get(name) is not None and not isinstance(doc[name], str)]
    if bad:
        raise Problem(422, "validation", "Invalid venue", "name and address are texts.",
                      errors=bad)
    row = {"entity_code": code, "name": doc.get("name") or f"Comune di {entity['name']}",
           "address": doc.get("address") or entity["name"], "region": entity["region"],
           "capacity": int(doc.get("capacity") or capacity),
           "max_days": int(doc.get("max_days") or 1), "updated_at": runtime.clock.now()}
    upsert(session, venues, row, key=("entity_code",))
    return row


def mark_attendance(runtime, session: Session, session_id: str, records: list[dict]) -> list[dict]:
    """Mark participants present or absent; each must be assigned to the
    session, which must not be cancelled (a mark decides a certificate)."""
    if get_session(session, session_id)["status"] == "cancelled":
        raise Problem(409, "session-cancelled", "Session cancelled",
                      "Attendance cannot be marked for a cancelled session.")
    assigned = {}
    for a in session.execute(select(assignments).where(
            assignments.c.session_id == session_id, assignments.c.status == "active")).mappings():
        for pid in a["participant_ids"]:
            assigned[pid] = a["adhesion_id"]
    errors = [{"field": f"records[{i}].participant_id", "message": "not assigned to this session"}
              for i, r in enumerate(records)
              if not isinstance(r.get("participant_id"), str) or r["participant_id"] not in assigned]
    errors += [{"field": f"records[{i}].present", "message": "must be true or false"}
               for i, r in enumerate(records) if not isinstance(r.get("present"), bool)]
    if errors:
        raise Problem(422, "validation", "Invalid attendance", "Some records are invalid.",
                      errors=errors)
    now = runtime.clock.now()
    for r in records:
        upsert(session, attendance, {
            "session_id": session_id, "participant_id": r["participant_id"],
            "adhesion_id": assigned[r["participant_id"]], "present": r["present"],
            "marked_at": now}, key=("session_id", "participant_id"))
    return records
