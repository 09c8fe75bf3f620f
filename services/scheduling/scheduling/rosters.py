"""Who is who, read from our view of the adhesions: the people of a
session (for the attendance register and the marking form) and one person
(for a GDPR export)."""
from __future__ import annotations

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from .adapters.orm import adhesions, assignments, attendance, certificates, entities, sessions


def _entity_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(session.execute(select(entities.c.code, entities.c.name)
                                .where(entities.c.code.in_(codes))).all())


def people_of(session: Session, adhesion_ids: set[str]) -> dict[str, dict]:
    """participant id -> {participant_id, name, role, office, erased,
    adhesion_id, entity_code, entity_name} for these adhesions."""
    if not adhesion_ids:
        return {}
    rows = [dict(r) for r in session.execute(select(adhesions).where(
        adhesions.c.adhesion_id.in_(adhesion_ids))).mappings()]
    names = _entity_names(session, {r["entity_code"] for r in rows})
    people = {}
    for row in rows:
        entity_name = row["entity_name"] or names.get(row["entity_code"]) or row["entity_code"]
        for p in row["participants"]:
            people[p["id"]] = {
                "participant_id": p["id"], "name": p.get("name"), "role": p.get("role"),
                "office": p.get("office"), "erased": bool(p.get("erased")),
                "adhesion_id": row["adhesion_id"], "entity_code": row["entity_code"],
                "entity_name": entity_name}
    return people


def session_participants(session: Session, session_id: str) -> list[dict]:
    """The participants of a session's active assignments, sorted by body
    then name, each with ``present`` (true, false or null when not marked)."""
    members = session.execute(select(assignments.c.adhesion_id, assignments.c.entity_code,
                                     assignments.c.participant_ids).where(
        assignments.c.session_id == session_id, assignments.c.status == "active")).all()
    people = people_of(session, {m.adhesion_id for m in members})
    marks = dict(session.execute(select(attendance.c.participant_id, attendance.c.present)
                                 .where(attendance.c.session_id == session_id)).all())
    names = _entity_names(session, {m.entity_code for m in members})
    items = []
    for m in members:
        for pid in m.participant_ids:
            person = people.get(pid) or {
                "participant_id": pid, "name": None, "role": None, "office": None,
                "erased": False, "adhesion_id": m.adhesion_id, "entity_code": m.entity_code,
                "entity_name": names.get(m.entity_code) or m.entity_code}
            items.append(person | {"present": marks.get(pid)})
    items.sort(key=lambda p: ((p["entity_name"] or "").casefold(), p["entity_code"],
                              (p["name"] or "\uffff").casefold(), p["participant_id"]))
    return items


def find_person(session: Session, person_id: str) -> dict | None:
    """What scheduling holds about one person, or None when nothing."""
    rows = session.execute(select(adhesions).where(
        cast(adhesions.c.participants, String).contains(person_id, autoescape=True))).mappings()
    adhesion = next((dict(r) for r in rows
                     if any(p.get("id") == person_id for p in r["participants"])), None)
    marks = {r.session_id: r for r in session.execute(select(attendance).where(
        attendance.c.participant_id == person_id))}
    held = [dict(r) for r in session.execute(select(certificates).where(
        certificates.c.participant_id == person_id)).mappings()]
    if adhesion is None and not marks and not held:
        return None
    adhesion_id = adhesion["adhesion_id"] if adhesion else (
        held[0]["adhesion_id"] if held else next(iter(marks.values())).adhesion_id)
    mine = [dict(r) for r in session.execute(select(assignments).where(
        assignments.c.adhesion_id == adhesion_id).order_by(assignments.c.created_at)).mappings()
        if person_id in r["participant_ids"]]
    ids = {a["session_id"] for a in mine} | set(marks)
    by_id = {r["id"]: dict(r) for r in session.execute(select(sessions).where(
        sessions.c.id.in_(ids))).mappings()} if ids else {}
    person = (people_of(session, {adhesion_id}).get(person_id) if adhesion else None) or {
        "participant_id": person_id, "name": None, "role": held[0]["role"] if held else None,
        "office": None, "erased": bool(held and held[0]["erased"]), "adhesion_id": adhesion_id,
        "entity_code": held[0]["entity_code"] if held else None,
        "entity_name": held[0]["entity_name"] if held else None}
    return {"person": person, "adhesion": adhesion, "assignments": mine, "sessions": by_id,
            "attendance": marks, "certificates": held}
