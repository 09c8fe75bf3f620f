"""notify's own copy of what it must know to address people: adhesions
with their contact and participants (from roster.*), sessions (session.*)
and assignments (assignment.*)."""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import bindparam, delete, exists, or_, select, update
from sqlalchemy.orm import Session

from coalizione_common.clock import parse_instant
from coalizione_common.db import dialect_insert, upsert
from coalizione_common.clock import as_utc as aware

from .adapters.orm import adhesions, assignments, certificates, erased_people, people, sessions

def instant(raw) -> datetime | None:
    return parse_instant(raw) if raw else None


# adhesions and people -------------------------------------------------------
def topics_of(data: dict) -> list[dict]:
    """The chosen webinar topics as ``{"id", "title"}``: roster.updated
    names them by id; a title comes along when the event carries one
    (``webinar_topic_titles`` {id: title}, or topics as objects)."""
    titles = data.get("webinar_topic_titles") or {}
    topics = []
    for item in data.get("webinar_topics") or []:
        topic_id = item.get("id") if isinstance(item, dict) else item
        title = item.get("title") if isinstance(item, dict) else None
        topics.append({"id": topic_id, "title": title or titles.get(topic_id)})
    return topics


# Statements of the hot path (every submission), built once: building
# them costs more CPU than running them.
_ADHESION_ID = bindparam("adhesion_id")
_STORED_ROSTER = select(
    adhesions.c.changed_at,
    exists().where(people.c.adhesion_id == _ADHESION_ID).label("has_people"),
    exists().where(erased_people.c.adhesion_id == _ADHESION_ID).label("has_erased"),
).where(adhesions.c.adhesion_id == _ADHESION_ID)


def _stored_roster(session: Session, adhesion_id: str):
    """The stored adhesion's ``changed_at``, and whether any of its people
    are stored (``has_people``) or were erased (``has_erased``), in one
    round trip; None when the adhesion is unknown."""
    return session.execute(_STORED_ROSTER, {"adhesion_id": adhesion_id}).first()


def apply_roster(session: Session, data: dict, now: datetime) -> bool:
    """Store the roster of ``roster.updated``; False if a newer one is
    already stored (the event is then older news)."""
    adhesion_id = data["adhesion_id"]
    changed_at = instant(data.get("changed_at")) or now
    stored = _stored_roster(session, adhesion_id)
    if stored is not None and stored.changed_at is not None \
            and aware(stored.changed_at) > changed_at:
        return False
    contact = data.get("contact") or {}
    links = data.get("links") or {}
    entity = data.get("entity") or {"code": data.get("entity_code")}
    values = {
        "adhesion_id": adhesion_id, "edition": data.get("edition"),
        "entity_code": entity.get("code") or data.get("entity_code") or "",
        "entity": entity, "status": data.get("status") or "pending_confirmation",
        "contact_id": contact.get("id"), "webinar_topics": topics_of(data),
        "manage_url": links.get("manage"), "changed_at": changed_at, "updated_at": now,
    }
    if links.get("confirm"):
        values["confirm_url"] = links["confirm"]
        values["confirm_expires_at"] = instant(data.get("confirm_expires_at"))
    elif values["status"] != "pending_confirmation":
        values["confirm_url"] = None
        values["confirm_expires_at"] = None
    upsert(session, adhesions, values, ("adhesion_id",))
    if stored is None or stored.has_people:
        session.execute(delete(people).where(people.c.adhesion_id == adhesion_id))
    # A roster older than an erasure (a replayed dead letter) must not bring
    # an erased person back.
    gone = set()
    if stored is None or stored.has_erased:
        gone = set(session.execute(select(erased_people.c.person_id)
                                   .where(erased_people.c.adhesion_id == adhesion_id)).scalars())
    rows = []
    if contact.get("id") and contact.get("email") and contact["id"] not in gone:
        rows.append({"person_id": contact["id"], "adhesion_id": adhesion_id, "is_contact": True,
                     "name": contact.get("name") or "", "role": contact.get("role"),
                     "email": contact["email"], "office": None, "phone": contact.get("phone")})
    for person in data.get("participants") or []:
        if person.get("id") and person.get("email") and person["id"] != contact.get("id") \
                and person["id"] not in gone:
            rows.append({"person_id": person["id"], "adhesion_id": adhesion_id,
                         "is_contact": False, "name": person.get("name") or "",
                         "role": person.get("role"), "email": person["email"],
                         "office": person.get("office"), "phone": None})
    if rows:
        session.execute(people.insert(), rows)
    return True


def apply_status(session: Session, adhesion_id: str, entity_code: str, status: str,
                 at: datetime | None, now: datetime) -> None:
    """An adhesion.* event: keep the status current, even before its roster
    (one statement: insert the adhesion, or update it unless what is stored
    changed later than ``at``)."""
    session.execute(_status_upsert(session.get_bind().dialect.name), {
        "adhesion_id": adhesion_id, "entity_code": entity_code or "",
        "entity": {"code": entity_code}, "status": status, "webinar_topics": [],
        "changed_at": at, "updated_at": now})


@lru_cache(maxsize=None)
def _status_upsert(dialect: str):
    insert = dialect_insert(dialect)(adhesions)
    incoming = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=["adhesion_id"],
        set_={"status": incoming.status, "changed_at": incoming.changed_at,
              "updated_at": incoming.updated_at},
        where=or_(adhesions.c.changed_at.is_(None), incoming.changed_at.is_(None),
                  adhesions.c.changed_at <= incoming.changed_at))


class Waiting(NamedTuple):
    """What else an adhesion has that its roster may call for: active
    assignments (invitations) and certificates (mailed once the holder is
    known)."""

    assignments: bool
    certificates: bool


_PERSON = [column.label(f"person_{column.name}") for column in people.c]
_ADHESION = (select(adhesions, *_PERSON)
             .outerjoin(people, people.c.adhesion_id == adhesions.c.adhesion_id)
             .where(adhesions.c.adhesion_id == _ADHESION_ID)
             .order_by(people.c.name, people.c.person_id))
_ADHESION_AND_WAITING = _ADHESION.add_columns(
    exists().where(assignments.c.adhesion_id == _ADHESION_ID,
                   assignments.c.status == "active").label("waiting_assignments"),
    exists().where(certificates.c.adhesion_id == _ADHESION_ID).label("waiting_certificates"))


def adhesion(session: Session, adhesion_id: str) -> dict | None:
    """The adhesion with ``contact`` and ``participants`` (dicts), or None."""
    return adhesion_and_waiting(session, adhesion_id, waiting=False)[0]


def adhesion_and_waiting(session: Session, adhesion_id: str,
                         waiting: bool = True) -> tuple[dict | None, Waiting | None]:
    """:func:`adhesion` and, with ``waiting``, what else it has
    (:class:`Waiting`), in one statement."""
    rows = session.execute(_ADHESION_AND_WAITING if waiting else _ADHESION,
                           {"adhesion_id": adhesion_id}).all()
    if not rows:
        return None, None
    first = rows[0]._mapping
    found = {column.name: first[column] for column in adhesions.c}
    found["confirm_expires_at"] = aware(found["confirm_expires_at"])
    persons = [{column.name: row._mapping[label] for column, label in zip(people.c, _PERSON)}
               for row in rows if row._mapping[_PERSON[0]] is not None]
    found["contact"] = next((p for p in persons if p["is_contact"]), None)
    found["participants"] = [p for p in persons if not p["is_contact"]]
    return found, (Waiting(first["waiting_assignments"], first["waiting_certificates"])
                   if waiting else None)


def person(session: Session, person_id: str) -> dict | None:
    row = session.execute(select(people).where(people.c.person_id == person_id)).first()
    return dict(row._mapping) if row else None


def is_erased(session: Session, person_id: str) -> bool:
    return session.execute(select(erased_people.c.person_id)
                           .where(erased_people.c.person_id == person_id)).first() is not None


def erase(session: Session, adhesion_id: str, person_ids: list[str], now: datetime) -> list[str]:
    """Forget these people (keeping only that their ids were erased);
    returns the names and addresses they had, so the messages that name
    them can be found and forgotten too."""
    known = session.execute(select(people.c.name, people.c.email)
                            .where(people.c.person_id.in_(person_ids))).all()
    session.execute(delete(people).where(people.c.person_id.in_(person_ids)))
    session.execute(update(adhesions).where(adhesions.c.adhesion_id == adhesion_id,
                                            adhesions.c.contact_id.in_(person_ids))
                    .values(contact_id=None, confirm_url=None, manage_url=None))
    for person_id in person_ids:
        upsert(session, erased_people, {"person_id": person_id, "adhesion_id": adhesion_id,
                                        "erased_at": now}, ("person_id",))
    return [value for row in known for value in (row.name, row.email) if value]


def pending_adhesions(session: Session) -> list[str]:
    return list(session.execute(select(adhesions.c.adhesion_id)
                                .where(adhesions.c.status == "pending_confirmation")
                                .order_by(adhesions.c.adhesion_id)).scalars())


# sessions and assignments ---------------------------------------------------
def apply_session(session: Session, data: dict, status: str, now: datetime) -> dict:
    """Store a session.* event; each change after the first grows the
    iCalendar sequence."""
    session_id = data["session_id"]
    current = session.execute(select(sessions.c.sequence)
                              .where(sessions.c.session_id == session_id)).first()
    sequence = 0 if current is None else current.sequence + 1
    if isinstance(data.get("sequence"), int):  # scheduling's own count, when it sends one
        sequence = data["sequence"]
    values = {
        "session_id": session_id, "kind": data.get("kind") or "in_person",
        "topic": data.get("topic"), "title": data.get("title") or "Sessione formativa",
        "starts_at": instant(data["starts_at"]), "ends_at": instant(data["ends_at"]),
        "venue": data.get("venue"), "join_url": data.get("join_url"),
        "capacity": data.get("capacity"), "status": status, "sequence": sequence,
        "updated_at": now,
    }
    upsert(session, sessions, values, ("session_id",))
    return values


def training_session(session: Session, session_id: str) -> dict | None:
    row = session.execute(select(sessions).where(sessions.c.session_id == session_id)).first()
    if row is None:
        return None
    found = dict(row._mapping)
    found["starts_at"], found["ends_at"] = aware(found["starts_at"]), aware(found["ends_at"])
    return found


def upcoming_sessions(session: Session, after: datetime, until: datetime) -> list[dict]:
    rows = session.execute(select(sessions.c.session_id).where(
        sessions.c.status == "scheduled", sessions.c.starts_at > after,
        sessions.c.starts_at <= until).order_by(sessions.c.starts_at, sessions.c.session_id)
    ).scalars().all()
    return [training_session(session, sid) for sid in rows]


def apply_assignment(session: Session, data: dict, status: str, now: datetime) -> None:
    upsert(session, assignments, {
        "assignment_id": data["assignment_id"], "session_id": data["session_id"],
        "adhesion_id": data["adhesion_id"], "entity_code": data.get("entity_code"),
        "participant_ids": list(data.get("participant_ids") or []), "status": status,
        "updated_at": now}, ("assignment_id",))


def active_assignments(session: Session, *, session_id: str | None = None,
                       adhesion_id: str | None = None) -> list[dict]:
    query = select(assignments).where(assignments.c.status == "active")
    if session_id:
        query = query.where(assignments.c.session_id == session_id)
    if adhesion_id:
        query = query.where(assignments.c.adhesion_id == adhesion_id)
    return [dict(r._mapping) for r in session.execute(query.order_by(assignments.c.assignment_id))]


def assignment(session: Session, assignment_id: str) -> dict | None:
    row = session.execute(select(assignments)
                          .where(assignments.c.assignment_id == assignment_id)).first()
    return dict(row._mapping) if row else None
