"""Operations API under /api/scheduling/v1: plans, sessions, assignments,
venues, waiting list and attendance. Reads need a viewer token, changes
an operator token."""
from __future__ import annotations


from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coalizione_common.auth import require_role
from coalizione_common.http import Problem
from coalizione_common.clock import format_instant, parse_instant

from .. import certificates, handlers
from ..adapters.orm import adhesions, assignments, attendance, sessions, venues, waiting_list
from ..domain.webinars import ROME
from ..planning import propose
from .openapi import SPEC

PREFIX = "/api/scheduling/v1"
operations = Blueprint("scheduling_operations", __name__, url_prefix=PREFIX)


def _runtime():
    return current_app.extensions["runtime"]


def _body() -> dict:
    doc = request.get_json(silent=True)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise Problem(400, "bad-request", "Invalid body", "The body must be a JSON object.")
    return doc


def _required_text(doc: dict, field: str, title: str, detail: str,
                   allow_blank: bool = True) -> str:
    """The string ``doc[field]``, or a 422 naming the field."""
    value = doc.get(field)
    if not isinstance(value, str) or (not allow_blank and not value.strip()):
        raise Problem(422, "validation", title, detail,
                      errors=[{"field": field, "message": "required"}])
    return value




def session_view(row: dict, load: int | None = None) -> dict:
    view = {"id": row["id"], "kind": row["kind"], "status": row["status"], "topic": row["topic"],
            "title": row["title"], "region": row["region"], "starts_at": format_instant(row["starts_at"]),
            "ends_at": format_instant(row["ends_at"]), "capacity": row["capacity"],
            "sequence": row["sequence"]}
    if row["kind"] == "in_person":
        view["venue"] = {"name": row["venue_name"], "entity_code": row["venue_code"],
                         "address": row["venue_address"]}
    else:
        view["join_url"] = row["join_url"]
    if row.get("cancel_reason"):
        view["cancel_reason"] = row["cancel_reason"]
    if load is not None:
        view["participants"] = load
    return view


def assignment_view(row: dict) -> dict:
    return {"id": row["id"], "session_id": row["session_id"], "adhesion_id": row["adhesion_id"],
            "entity_code": row["entity_code"], "participant_ids": list(row["participant_ids"]),
            "status": row["status"], "pinned": row["pinned"],
            "created_at": format_instant(row["created_at"]),
            "cancelled_at": format_instant(row["cancelled_at"])}


def proposal_view(proposal, published: bool) -> dict:
    counts: dict[str, int] = {}
    index = {s.id: i for i, s in enumerate(proposal.sessions)}
    for session_id, _ in proposal.placements:
        counts[session_id] = counts.get(session_id, 0) + 1
    return {"mode": proposal.mode, "published": published, "metrics": proposal.metrics,
            "sessions": [{"id": s.id if published else None, "kind": s.kind, "title": s.title,
                          "topic": s.topic, "region": s.region,
                          "venue": {k: v for k, v in (s.venue or {}).items() if k in
                                    ("name", "entity_code", "address")} or None,
                          "starts_at": format_instant(s.starts_at), "ends_at": format_instant(s.ends_at),
                          "capacity": s.capacity, "bodies": counts.get(s.id, 0)}
                         for s in proposal.sessions],
            "assignments": [{"session_id": sid if published or sid not in index else None,
                             "proposed_session": None if published else index.get(sid),
                             "adhesion_id": aid} for sid, aid in proposal.placements],
            "waiting_list": proposal.waiting, "unplaceable": proposal.unplaceable,
            "cancelled_sessions": proposal.cancelled_sessions,
            "cancelled_assignments": proposal.reseated}


@operations.get("/openapi.json")
def openapi():
    return jsonify(SPEC)


# plans --------------------------------------------------------------------

@operations.post("/plans/propose")
@require_role("viewer")
def propose_plan():
    runtime = _runtime()
    doc = _body()
    with Session(runtime.engine) as db:
        proposal = propose(db, runtime.planning, runtime.clock.now().astimezone(ROME).date(),
                           bool(doc.get("open_days")), bool(doc.get("move_told")))
    return jsonify(proposal_view(proposal, published=False))


@operations.post("/plans/publish")
@require_role("operator")
def publish_plan():
    runtime = _runtime()
    doc = _body()
    with Session(runtime.engine) as db, db.begin():
        proposal = handlers.publish(runtime, db, runtime.planning, bool(doc.get("open_days")),
                                    bool(doc.get("move_told")))
    return jsonify(proposal_view(proposal, published=True)), 201


# sessions -----------------------------------------------------------------

def _loads(db: Session) -> dict[str, int]:
    return dict(db.execute(select(assignments.c.session_id, func.sum(assignments.c.headcount))
                           .where(assignments.c.status == "active")
                           .group_by(assignments.c.session_id)).all())


@operations.get("/sessions")
@require_role("viewer")
def list_sessions():
    query = select(sessions).order_by(sessions.c.starts_at, sessions.c.id)
    for name in ("kind", "region", "status", "topic"):
        if request.args.get(name):
            query = query.where(getattr(sessions.c, name) == request.args[name])
    with Session(_runtime().engine) as db:
        loads = _loads(db)
        items = [session_view(dict(r), loads.get(r["id"], 0)) for r in db.execute(query).mappings()]
    return {"items": items}


@operations.get("/sessions/<session_id>")
@require_role("viewer")
def get_session(session_id):
    with Session(_runtime().engine) as db:
        row = handlers.get_session(db, session_id)
        members = [assignment_view(dict(a)) for a in db.execute(select(assignments).where(
            assignments.c.session_id == session_id, assignments.c.status == "active")
            .order_by(assignments.c.entity_code)).mappings()]
    return session_view(row, sum(len(a["participant_ids"]) or 0 for a in members)) | {
        "assignments": members}


@operations.post("/sessions/<session_id>/reschedule")
@require_role("operator")
def reschedule_session(session_id):
    doc = _body()
    try:
        if not isinstance(doc.get("starts_at"), str) or not isinstance(doc.get("ends_at", ""),
                                                                         (str, type(None))):
            raise TypeError("instants are strings")
        starts_at = parse_instant(doc["starts_at"])
        ends_at = parse_instant(doc["ends_at"]) if doc.get("ends_at") else None
    except (KeyError, TypeError, ValueError, OverflowError):
        raise Problem(422, "validation", "Invalid times", "starts_at must be an ISO 8601 instant.",
                      errors=[{"field": "starts_at", "message": "required ISO 8601 instant"}])
    venue = doc.get("venue")
    if venue is not None and not (isinstance(venue, dict) and all(
            isinstance(venue.get(k), (str, type(None))) for k in ("entity_code", "name", "address"))):
        raise Problem(422, "validation", "Invalid venue",
                      "venue is an object with entity_code, name and address as strings.",
                      errors=[{"field": "venue", "message": "an object of strings"}])
    runtime = _runtime()
    with Session(runtime.engine) as db, db.begin():
        row = handlers.reschedule(runtime, db, session_id, starts_at, ends_at, venue)
    return session_view(row) | {"clashes": row["clashes"]}


@operations.post("/sessions/<session_id>/cancel")
@require_role("operator")
def cancel_session(session_id):
    doc = _body()
    reason = _required_text(doc, "reason", "Reason required", "Say why the session is cancelled.",
                            allow_blank=False)
    move_to = doc.get("move_to")
    if move_to is not None and not isinstance(move_to, str):
        raise Problem(422, "validation", "Invalid move_to",
                      "move_to is the id of another scheduled session.",
                      errors=[{"field": "move_to", "message": "a session id (string)"}])
    runtime = _runtime()
    with Session(runtime.engine) as db, db.begin():
        row = handlers.cancel(runtime, db, session_id, reason.strip(), move_to)
    return session_view(row)


@operations.post("/sessions/<session_id>/assignments")
@require_role("operator")
def pin_body(session_id):
    """Pin a body to this session: later re-plans never move it."""
    doc = _body()
    _required_text(doc, "adhesion_id", "adhesion_id required", "Name the adhesion to place.")
    runtime = _runtime()
    with Session(runtime.engine) as db, db.begin():
        row = handlers.assign_body(runtime, db, session_id, doc["adhesion_id"],
                                   pinned=doc.get("pinned", True) is not False)
    return assignment_view(row), 201


@operations.post("/assignments/<assignment_id>/move")
@require_role("operator")
def move_assignment(assignment_id):
    doc = _body()
    _required_text(doc, "session_id", "session_id required", "Name the target session.")
    runtime = _runtime()
    with Session(runtime.engine) as db, db.begin():
        current = db.execute(select(assignments).where(assignments.c.id == assignment_id,
                                                       assignments.c.status == "active")
                             ).mappings().first()
        if current is None:
            raise handlers.NotFound("Active assignment", assignment_id)
        row = handlers.assign_body(runtime, db, doc["session_id"], current["adhesion_id"],
                                   pinned=bool(doc.get("pinned", False)))
    return assignment_view(row), 201


@operations.get("/assignments")
@require_role("viewer")
def list_assignments():
    query = select(assignments).order_by(assignments.c.created_at, assignments.c.id)
    for name in ("adhesion_id", "entity_code", "session_id", "status"):
        if request.args.get(name):
            query = query.where(getattr(assignments.c, name) == request.args[name])
    with Session(_runtime().engine) as db:
        return {"items": [assignment_view(dict(r)) for r in db.execute(query).mappings()]}


@operations.get("/waiting-list")
@require_role("viewer")
def list_waiting():
    with Session(_runtime().engine) as db:
        rows = db.execute(select(waiting_list, adhesions.c.entity_code, adhesions.c.headcount)
                          .join(adhesions, adhesions.c.adhesion_id == waiting_list.c.adhesion_id)
                          .order_by(waiting_list.c.since, waiting_list.c.adhesion_id)).mappings()
        return {"items": [{"adhesion_id": r["adhesion_id"], "entity_code": r["entity_code"],
                           "region": r["region"], "participants": r["headcount"],
                           "since": format_instant(r["since"])} for r in rows]}


# venues -------------------------------------------------------------------

@operations.get("/venues")
@require_role("viewer")
def list_venues():
    with Session(_runtime().engine) as db:
        rows = db.execute(select(venues).order_by(venues.c.entity_code)).mappings()
        return {"items": [dict(r) | {"updated_at": format_instant(r["updated_at"])} for r in rows]}


@operations.put("/venues/<code>")
@require_role("operator")
def put_venue(code):
    doc = _body()
    for name in ("capacity", "max_days"):
        if name in doc and (not isinstance(doc[name], int) or isinstance(doc[name], bool)
                            or not 1 <= doc[name] <= 100_000):
            raise Problem(422, "validation", "Invalid venue",
                          f"{name} must be a whole number from 1 to 100000.",
                          errors=[{"field": name, "message": "whole number from 1 to 100000"}])
    runtime = _runtime()
    with Session(runtime.engine) as db, db.begin():
        row = handlers.configure_venue(runtime, db, code, doc, runtime.planning.day_capacity)
    return row | {"updated_at": format_instant(row["updated_at"])}


# attendance ---------------------------------------------------------------

@operations.put("/sessions/<session_id>/attendance")
@require_role("operator")
def put_attendance(session_id):
    doc = _body()
    records = doc.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise Problem(422, "validation", "records required",
                      'Send {"records": [{"participant_id": ..., "present": true|false}]}.',
                      errors=[{"field": "records", "message": "a list of objects"}])
    runtime = _runtime()
    with Session(runtime.engine) as db, db.begin():
        handlers.mark_attendance(runtime, db, session_id, records)
        certificates.revoke_for_absences(runtime, db, session_id,
                                         [r["participant_id"] for r in records if not r["present"]])
    return get_attendance.__wrapped__(session_id)


@operations.get("/sessions/<session_id>/attendance")
@require_role("viewer")
def get_attendance(session_id):
    with Session(_runtime().engine) as db:
        handlers.get_session(db, session_id)
        rows = db.execute(select(attendance).where(attendance.c.session_id == session_id)
                          .order_by(attendance.c.participant_id)).mappings().all()
    items = [{"participant_id": r["participant_id"], "adhesion_id": r["adhesion_id"],
              "present": r["present"], "marked_at": format_instant(r["marked_at"])} for r in rows]
    return {"session_id": session_id, "items": items,
            "present": sum(r["present"] for r in rows),
            "absent": sum(not r["present"] for r in rows)}
