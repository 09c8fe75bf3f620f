"""The funder's indicators (FAMI). A person is trained when marked present
at one or more sessions that were not cancelled; a body is trained when one
of its people is. A session is held when it was not cancelled and someone
was present. Nothing here reads a name, so an erasure changes no figure."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.clock import format_instant

from ..adapters.orm import adhesions, attendance, entities, sessions

KINDS = ("in_person", "webinar")
ROLES = ("amministratore", "dirigente", "funzionario")
UNKNOWN = "non indicato"


def _hours(row) -> float:
    return (row["ends_at"] - row["starts_at"]).total_seconds() / 3600




def compute(session: Session, now: datetime) -> dict:
    presences = session.execute(
        select(attendance.c.participant_id, attendance.c.adhesion_id, sessions.c.id,
               sessions.c.kind, sessions.c.starts_at, sessions.c.ends_at)
        .join(sessions, sessions.c.id == attendance.c.session_id)
        .where(attendance.c.present.is_(True), sessions.c.status != "cancelled")).mappings().all()
    adhesion_ids = {p["adhesion_id"] for p in presences}
    bodies, roles = {}, {}
    if adhesion_ids:
        for a in session.execute(select(adhesions).where(
                adhesions.c.adhesion_id.in_(adhesion_ids))).mappings():
            bodies[a["adhesion_id"]] = (a["entity_code"], a["region"])
            roles.update({p["id"]: p.get("role") for p in a["participants"]})
    codes = {code for code, _ in bodies.values()}
    places = {e["code"]: e for e in session.execute(select(entities).where(
        entities.c.code.in_(codes))).mappings()} if codes else {}

    people: dict[str, dict] = {}
    held: dict[str, dict] = {}
    participant_hours = dict.fromkeys(KINDS, 0.0)
    for p in presences:
        code, region = bodies.get(p["adhesion_id"], (None, None))
        place = places.get(code) or {}
        people.setdefault(p["participant_id"], {
            "entity": code or f"adesione:{p['adhesion_id']}",
            "region": place.get("region") or region or UNKNOWN,
            "province": place.get("province") or UNKNOWN,
            "kind": place.get("kind") or UNKNOWN,
            "role": roles.get(p["participant_id"]) or UNKNOWN})
        held[p["id"]] = p
        participant_hours[p["kind"]] += _hours(p)

    def breakdown(dimension: str, extra=lambda value: {}) -> list[dict]:
        groups: dict[str, tuple[set, set]] = {}
        for pid, person in people.items():
            bodies_of, people_of = groups.setdefault(person[dimension], (set(), set()))
            bodies_of.add(person["entity"])
            people_of.add(pid)
        return [{dimension: value, **extra(value), "bodies_trained": len(b),
                 "people_trained": len(p)}
                for value, (b, p) in sorted(groups.items(), key=lambda kv: kv[0].casefold())]

    province_region = {person["province"]: person["region"] for person in people.values()}
    by_role = breakdown("role")
    by_role += [{"role": r, "bodies_trained": 0, "people_trained": 0}
                for r in ROLES if r not in {x["role"] for x in by_role}]
    by_role.sort(key=lambda x: (ROLES + (x["role"],)).index(x["role"]))
    sessions_held = {k: sum(1 for s in held.values() if s["kind"] == k) for k in KINDS}
    sessions_held["total"] = sum(sessions_held.values())
    hours = {k: round(sum(_hours(s) for s in held.values() if s["kind"] == k), 1) for k in KINDS}
    hours["total"] = round(hours["in_person"] + hours["webinar"], 1)
    per_person = {k: round(v, 1) for k, v in participant_hours.items()}
    per_person["total"] = round(sum(participant_hours.values()), 1)
    return {
        "generated_at": format_instant(now),
        "totals": {"bodies_trained": len({p["entity"] for p in people.values()}),
                   "people_trained": len(people), "sessions_held": sessions_held["total"],
                   "hours_delivered": hours["total"], "participant_hours": per_person["total"]},
        "by_region": breakdown("region"),
        "by_province": breakdown("province", lambda v: {"region": province_region.get(v)}),
        "by_kind": breakdown("kind"),
        "by_role": by_role,
        "sessions_held": sessions_held,
        "hours_delivered": hours,
        "participant_hours": per_person,
    }
