"""Certificates of attendance: issued to every person who was present at
one or more sessions that were not cancelled, announced as
``roster.certificate.issued`` (internal: it carries the verification code),
and verifiable by their code at ``/verifica/<code>``.

A person has one current certificate. Issuing again after they attended
more sessions (a webinar after the local day) gives them a new one that
covers everything; the old one is then *superseded* (its page says so) and
the new one is mailed. A presence corrected to an absence *revokes* the
current certificate that lists that session (``roster.certificate.revoked``;
its page says so); issuing again then covers what the person did attend."""
from __future__ import annotations

import uuid

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from coalizione_common.clock import format_instant
from coalizione_common.db import is_postgres

from .adapters.orm import adhesions, attendance, certificates, sessions
from .domain.certificate_codes import new_code
from .handlers import NotFound, get_session
from .rosters import people_of

EVENT = "roster.certificate.issued"
REVOKED = "roster.certificate.revoked"




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
    ``session_id``, of ``adhesion_id``, or everyone) who has none yet, or
    whose current one lacks sessions they attended since. Returns the new
    certificates and how many of the scope were already up to date."""
    if is_postgres(session.get_bind()):
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
    current = {row["participant_id"]: row for row in _current(session, list(scope))}
    now = runtime.clock.now()
    issued, up_to_date = [], 0
    for pid in sorted(scope, key=lambda p: (people[p]["entity_name"] or "", people[p]["name"] or "",
                                            p)):
        person, held = people[pid], scope[pid]
        old = current.get(pid)
        if old is not None and {s["session_id"] for s in old["sessions"]} == {
                s["id"] for s in held}:
            up_to_date += 1
            continue
        row = {"id": str(uuid.uuid4()), "code": _unused_code(session),
               "adhesion_id": person["adhesion_id"], "entity_code": person["entity_code"],
               "entity_name": person["entity_name"], "participant_id": pid,
               "holder_name": person["name"], "role": person["role"],
               "sessions": [{"session_id": s["id"], "kind": s["kind"], "title": s["title"],
                             "starts_at": format_instant(s["starts_at"]),
                             "ends_at": format_instant(s["ends_at"])} for s in held],
               "hours": hours_of(held), "issued_at": now, "erased": person["erased"],
               "superseded_by": None}
        session.execute(certificates.insert().values(**row))
        replaces = None
        if old is not None:
            replaces = old["id"]
            session.execute(update(certificates).where(certificates.c.id == replaces)
                            .values(superseded_by=row["id"]))
        runtime.emit(session, EVENT, row["adhesion_id"], event_data(row, replaces))
        issued.append(row | {"replaces": replaces})
    return issued, up_to_date


def revoke_for_absences(runtime, session: Session, session_id: str,
                        absent: list[str]) -> list[dict]:
    """Revoke the current certificate of each of ``absent`` (participants
    just marked absent at ``session_id``) that lists that session, and
    announce it; returns the revoked certificates."""
    now = runtime.clock.now()
    revoked = []
    for row in _current(session, absent):
        if not any(s["session_id"] == session_id for s in row["sessions"]):
            continue
        session.execute(update(certificates).where(certificates.c.id == row["id"])
                        .values(revoked_at=now))
        row["revoked_at"] = now
        runtime.emit(session, REVOKED, row["adhesion_id"], {
            "certificate_id": row["id"], "code": row["code"], "adhesion_id": row["adhesion_id"],
            "entity_code": row["entity_code"], "participant_id": row["participant_id"],
            "session_id": session_id, "reason": "attendance-corrected",
            "revoked_at": format_instant(now)})
        revoked.append(row)
    return revoked


def _current(session: Session, participant_ids: list[str]) -> list[dict]:
    """The current certificates (neither superseded nor revoked) of these
    participants."""
    if not participant_ids:
        return []
    return [dict(row) for row in session.execute(select(certificates).where(
        certificates.c.participant_id.in_(participant_ids),
        certificates.c.superseded_by.is_(None), certificates.c.revoked_at.is_(None))).mappings()]


def _unused_code(session: Session) -> str:
    while True:
        code = new_code()
        if session.execute(select(certificates.c.id).where(certificates.c.code == code)
                           ).first() is None:
            return code


def event_data(row: dict, replaces: str | None = None) -> dict:
    """``roster.certificate.issued``: no names, no addresses; ``replaces``
    names the certificate this one supersedes, if any."""
    return {**({"replaces": replaces} if replaces else {}), "certificate_id": row["id"], "code": row["code"], "adhesion_id": row["adhesion_id"],
            "entity_code": row["entity_code"], "entity_name": row["entity_name"],
            "participant_id": row["participant_id"], "role": row["role"],
            "sessions": list(row["sessions"]), "hours": row["hours"],
            "issued_at": format_instant(row["issued_at"]), "verify_path": verify_path(row["code"])}


def view(row: dict) -> dict:
    return {"id": row["id"], "code": row["code"], "participant_id": row["participant_id"],
            "holder_name": row["holder_name"], "erased": row["erased"], "role": row["role"],
            "adhesion_id": row["adhesion_id"], "entity_code": row["entity_code"],
            "entity_name": row["entity_name"], "hours": row["hours"],
            "sessions": list(row["sessions"]), "issued_at": format_instant(row["issued_at"]),
            "verify_path": verify_path(row["code"]),
            "superseded_by": row.get("superseded_by"), "replaces": row.get("replaces"),
            "revoked_at": format_instant(row["revoked_at"]) if row.get("revoked_at") else None}


def verification(row: dict) -> dict:
    """What anyone holding the code may read: a superseded certificate is
    no longer valid (its holder has a newer one, which is not named), nor is
    a revoked one."""
    superseded, revoked = row.get("superseded_by") is not None, row.get("revoked_at") is not None
    return {"valid": not (superseded or revoked), "superseded": superseded, "revoked": revoked,
            "code": row["code"], "holder_name": row["holder_name"],
            "erased": row["erased"], "entity_name": row["entity_name"], "role": row["role"],
            "hours": row["hours"], "sessions": list(row["sessions"]),
            "issued_at": format_instant(row["issued_at"])}


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
