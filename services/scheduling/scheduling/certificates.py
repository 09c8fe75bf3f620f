"""Certificates of attendance: issued once per person who was present at
one or more sessions that were not cancelled, announced as
``roster.certificate.issued`` (internal: it carries the verification code),
and verifiable by their code at ``/verifica/<code>``."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from .adapters.orm import adhesions, attendance, certificates, sessions
from .domain.certificate_codes import new_code
from .handlers import NotFound, get_session
from .rosters import people_of

EVENT = "roster.certificate.issued"


def _instant(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def verify_path(code: str) -> str:
    return f"/verifica/{code}"


def _attended(session: Session) -> dict[str, list[dict]]:
    """participant id -> the sessions (not cancelled) they were present at."""
    rows = session.execute(
        select(attendance.c.participant_id, attendance.c.adhesion_id, sessions)
        .join(sessions, sessions.c.id == attendance.c.session_id)
        .where(attendance.c.present.is_(True), sessions.c.status != "cancelled")
        .order_by(sessions.c.starts_at, sessions.c.id)).mappings()
    found: dict[str, list[dict]] = {}
    for r in rows:
        found.setdefault(r["participant_id"], []).append(dict(r))
    return found


def hours_of(held: list[dict]) -> float:
    seconds = sum((s["ends_at"] - s["starts_at"]).total_seconds() for s in held)
    return round(seconds / 3600, 1)


def issue(runtime, session: Session, session_id: str | None = None,
          adhesion_id: str | None = None) -> tuple[list[dict], int]:
    """Issue a certificate to every eligible person of the scope (present at
    ``session_id``, of ``adhesion_id``, or everyone) who has none yet.
    Returns the new certificates and how many of the scope already had one."""
    if session.get_bind().dialect.name == "postgresql":
        # two issuings at once would both find the same people without one
        session.execute(text("SELECT pg_advisory_xact_lock(74201702)"))
    if session_id is not None:
        get_session(session, session_id)
    if adhesion_id is not None and session.execute(select(adhesions.c.adhesion_id).where(
            adhesions.c.adhesion_id == adhesion_id)).first() is None:
        raise NotFound("Adhesion", adhesion_id)
    attended = _attended(session)
    scope = {pid: held for pid, held in attended.items()
             if (session_id is None or any(s["id"] == session_id for s in held))
             and (adhesion_id is None or held[0]["adhesion_id"] == adhesion_id)}
    people = people_of(session, {held[0]["adhesion_id"] for held in scope.values()})
    scope = {pid: held for pid, held in scope.items()
             if pid in people and people[pid]["role"]}
    have = set(session.execute(select(certificates.c.participant_id).where(
        certificates.c.participant_id.in_(scope))).scalars()) if scope else set()
    now = runtime.clock.now()
    issued = []
    for pid in sorted(scope, key=lambda p: (people[p]["entity_name"] or "", people[p]["name"] or "",
                                            p)):
        if pid in have:
            continue
        person, held = people[pid], scope[pid]
        row = {"id": str(uuid.uuid4()), "code": _unused_code(session),
               "adhesion_id": person["adhesion_id"], "entity_code": person["entity_code"],
               "entity_name": person["entity_name"], "participant_id": pid,
               "holder_name": person["name"], "role": person["role"],
               "sessions": [{"session_id": s["id"], "kind": s["kind"], "title": s["title"],
                             "starts_at": _instant(s["starts_at"]),
                             "ends_at": _instant(s["ends_at"])} for s in held],
               "hours": hours_of(held), "issued_at": now, "erased": person["erased"]}
        session.execute(certificates.insert().values(**row))
        runtime.emit(session, EVENT, row["adhesion_id"], event_data(row))
        issued.append(row)
    return issued, len(have)


def _unused_code(session: Session) -> str:
    while True:
        code = new_code()
        if session.execute(select(certificates.c.id).where(certificates.c.code == code)
                           ).first() is None:
            return code


def event_data(row: dict) -> dict:
    """``roster.certificate.issued``: no names, no addresses."""
    return {"certificate_id": row["id"], "code": row["code"], "adhesion_id": row["adhesion_id"],
            "entity_code": row["entity_code"], "entity_name": row["entity_name"],
            "participant_id": row["participant_id"], "role": row["role"],
            "sessions": list(row["sessions"]), "hours": row["hours"],
            "issued_at": _instant(row["issued_at"]), "verify_path": verify_path(row["code"])}


def view(row: dict) -> dict:
    return {"id": row["id"], "code": row["code"], "participant_id": row["participant_id"],
            "holder_name": row["holder_name"], "erased": row["erased"], "role": row["role"],
            "adhesion_id": row["adhesion_id"], "entity_code": row["entity_code"],
            "entity_name": row["entity_name"], "hours": row["hours"],
            "sessions": list(row["sessions"]), "issued_at": _instant(row["issued_at"]),
            "verify_path": verify_path(row["code"])}


def verification(row: dict) -> dict:
    """What anyone holding the code may read."""
    return {"valid": True, "code": row["code"], "holder_name": row["holder_name"],
            "erased": row["erased"], "entity_name": row["entity_name"], "role": row["role"],
            "hours": row["hours"], "sessions": list(row["sessions"]),
            "issued_at": _instant(row["issued_at"])}


def listed(session: Session, adhesion_id: str | None = None, session_id: str | None = None,
           participant_id: str | None = None) -> list[dict]:
    query = select(certificates).order_by(certificates.c.issued_at, certificates.c.entity_name,
                                          certificates.c.holder_name, certificates.c.id)
    if adhesion_id:
        query = query.where(certificates.c.adhesion_id == adhesion_id)
    if participant_id:
        query = query.where(certificates.c.participant_id == participant_id)
    rows = [dict(r) for r in session.execute(query).mappings()]
    if session_id:
        rows = [r for r in rows if any(s["session_id"] == session_id for s in r["sessions"])]
    return rows


def by_code(session: Session, code: str) -> dict | None:
    row = session.execute(select(certificates).where(certificates.c.code == code)
                          ).mappings().first()
    return dict(row) if row else None
