"""The data of the events the enrolment publishes (docs/events.md)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from coalizione_common.clock import format_instant as instant

from .edition import CURRENT


def by_role(participants: list[dict]) -> dict[str, int]:
    counts = Counter(p["role"] for p in participants)
    return {role: counts.get(role, 0) for role in CURRENT.roles}


def entity_of(adhesion: dict, with_population: bool = True) -> dict:
    entity = {"code": adhesion["entity_code"], "name": adhesion["entity_name"],
              "kind": adhesion["entity_kind"], "province": adhesion["province"],
              "region": adhesion["region"]}
    if with_population:
        entity["population"] = adhesion["population"]
    return entity


def submitted(adhesion: dict) -> dict:
    return {"adhesion_id": adhesion["id"], "edition": adhesion["edition"],
            "entity": entity_of(adhesion), "participants_by_role": by_role(adhesion["participants"]),
            "webinar_topics": adhesion["webinar_topics"],
            "submitted_at": instant(adhesion["submitted_at"])}


def confirmed(adhesion: dict) -> dict:
    return {"adhesion_id": adhesion["id"], "entity_code": adhesion["entity_code"],
            "confirmed_at": instant(adhesion["confirmed_at"])}


def updated(adhesion: dict) -> dict:
    """The adhesion as after the change, without personal data."""
    return {"adhesion_id": adhesion["id"], "edition": adhesion["edition"],
            "entity_code": adhesion["entity_code"], "entity": entity_of(adhesion),
            "status": adhesion["status"], "participants_by_role": by_role(adhesion["participants"]),
            "webinar_topics": adhesion["webinar_topics"],
            "submitted_at": instant(adhesion["submitted_at"]),
            "confirmed_at": instant(adhesion["confirmed_at"]) if adhesion["confirmed_at"] else None,
            "updated_at": instant(adhesion["updated_at"])}


def withdrawn(adhesion: dict) -> dict:
    return {"adhesion_id": adhesion["id"], "entity_code": adhesion["entity_code"],
            "withdrawn_at": instant(adhesion["withdrawn_at"])}


def roster(adhesion: dict, reason: str, changed_at: datetime, manage_url: str,
           confirm_url: str | None = None, confirm_expires_at: datetime | None = None) -> dict:
    links = {"manage": manage_url}
    data = {"adhesion_id": adhesion["id"], "edition": adhesion["edition"], "reason": reason,
            "status": adhesion["status"], "entity_code": adhesion["entity_code"],
            "entity": entity_of(adhesion, with_population=False),
            "contact": _person(adhesion["contact"], "phone"),
            "participants": [_person(p, "office") for p in adhesion["participants"]],
            "webinar_topics": adhesion["webinar_topics"],
            "webinar_topic_titles": {t: CURRENT.topic_title(t) for t in adhesion["webinar_topics"]},
            "links": links, "changed_at": instant(changed_at)}
    if confirm_url:
        links["confirm"] = confirm_url
        data["confirm_expires_at"] = instant(confirm_expires_at)
    return data


def _person(person: dict | None, detail: str) -> dict | None:
    """A person as roster.updated carries it (``detail``: phone or office);
    for someone whose data was erased, only the id and the role are left."""
    if person is None:
        return None
    return {k: person.get(k) for k in ("id", "name", "role", "email", detail)}


def erased(adhesion_id: str, person_ids: list[str]) -> dict:
    return {"adhesion_id": adhesion_id, "person_ids": person_ids}
