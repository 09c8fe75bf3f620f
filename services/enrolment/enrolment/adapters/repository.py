"""Reading and writing adhesions with their people."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import and_, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.orm import Session

from coalizione_common.db import is_postgres
from coalizione_common.pipeline import Transaction

from ..domain.text import fold
from .orm import ACTIVE, adhesions, entities, people

PERSON_FIELDS = ("id", "name", "role", "email", "phone", "office")
# What people_of gives for each person; name, email, phone and office are
# None once erased_at is set.
CONTACT_KEYS = ("id", "name", "role", "email", "phone", "erased_at")
PARTICIPANT_KEYS = ("id", "name", "role", "email", "office", "erased_at")


def get_entity(session: Session, code: str):
    return session.execute(select(entities).where(entities.c.code == code)).first()


def search_entities(session_or_conn, query: str, limit: int = 10):
    """Entities whose name has a word starting with ``query`` (accents and
    case ignored), or whose code is ``query``; exact names first."""
    folded = fold(query)
    if not folded:
        return []
    words = folded.split()
    conditions = [or_(entities.c.search_name.like(f"{w}%"), entities.c.search_name.like(f"% {w}%"))
                  for w in words]
    rows = session_or_conn.execute(
        select(entities).where(or_(and_(*conditions), entities.c.code == query.strip()))
        .order_by(entities.c.name).limit(200)).all()
    rows.sort(key=lambda r: (r.code != query.strip(), r.search_name != folded,
                             not r.search_name.startswith(folded), -(r.population or 0), r.name))
    return rows[:limit]


def active_adhesion_id(session: Session, edition: str, entity_code: str) -> str | None:
    return session.execute(select(adhesions.c.id).where(
        adhesions.c.edition == edition, adhesions.c.entity_code == entity_code,
        text(f"adhesions.{ACTIVE}"))).scalar()


# Built once: the hot path then skips building and caching statements.
_ENTITY_FOR_ENROLMENT = select(
    entities,
    select(adhesions.c.id).where(
        adhesions.c.edition == bindparam("edition"), adhesions.c.entity_code == entities.c.code,
        text(f"adhesions.{ACTIVE}")).exists().label("taken"),
).where(entities.c.code == bindparam("code"))


def entity_for_enrolment(tx: Transaction, edition: str, code: str):
    """The replica's entity with ``taken`` (it has an active adhesion in
    ``edition``), in one query; None when unknown."""
    return tx.first(_ENTITY_FOR_ENROLMENT, {"edition": edition, "code": code})


def insert_adhesion(tx: Transaction, row: dict, contact: dict,
                    participants: list[dict]) -> tuple[dict, list[dict]]:
    """Insert a new adhesion and its people (two statements); returns the
    contact and participants with their new ids."""
    tx.insert(adhesions, [row])
    contact = {"id": str(uuid.uuid4()), **{k: contact[k] for k in ("name", "role", "email",
                                                                   "phone")}}
    participants = [{"id": str(uuid.uuid4()), **{k: p[k] for k in ("name", "role", "email",
                                                                    "office")}}
                    for p in participants]
    tx.insert(people, (
        [{"adhesion_id": row["id"], "kind": "contact", "position": 0, "office": None, **contact}]
        + [{"adhesion_id": row["id"], "kind": "participant", "position": i, "phone": None, **p}
           for i, p in enumerate(participants)]))
    return contact, participants


def write_people(session: Session, adhesion_id: str, contact: dict | None,
                 participants: list[dict] | None) -> None:
    """Replace the contact and/or the participants, keeping the ids of the
    people who stay (``id`` in the values)."""
    if contact is not None:
        session.execute(delete(people).where(people.c.adhesion_id == adhesion_id,
                                             people.c.kind == "contact"))
        session.execute(insert(people).values(
            id=contact.get("id") or str(uuid.uuid4()), adhesion_id=adhesion_id, kind="contact",
            position=0, name=contact["name"], role=contact["role"], email=contact["email"],
            phone=contact.get("phone"), office=None))
    if participants is not None:
        session.execute(delete(people).where(people.c.adhesion_id == adhesion_id,
                                             people.c.kind == "participant"))
        session.execute(insert(people), [
            {"id": p.get("id") or str(uuid.uuid4()), "adhesion_id": adhesion_id,
             "kind": "participant", "position": i, "name": p["name"], "role": p["role"],
             "email": p["email"], "phone": None, "office": p["office"]}
            for i, p in enumerate(participants)])


def locks_rows(session: Session) -> bool:
    """Whether rows are locked with SELECT ... FOR UPDATE (PostgreSQL); on
    SQLite, BEGIN IMMEDIATE already serialises every writer."""
    return is_postgres(session.get_bind())


def lock_adhesion(session: Session, adhesion_id: str) -> None:
    """Lock the adhesion's row, as every change of it does (see
    :func:`locks_rows`)."""
    if locks_rows(session):
        session.execute(select(adhesions.c.id).where(adhesions.c.id == adhesion_id)
                        .with_for_update())


def load(session: Session, adhesion_id: str, lock: bool = False) -> dict | None:
    """The adhesion as a dict with ``contact`` and ``participants``."""
    statement = select(adhesions).where(adhesions.c.id == adhesion_id)
    if lock:
        statement = statement.with_for_update()
    row = session.execute(statement).first()
    if row is None:
        return None
    found = dict(row._mapping)
    found["webinar_topics"] = json.loads(found["webinar_topics"])
    found.update(people_of(session, [adhesion_id]).get(adhesion_id, {"contact": None,
                                                                       "participants": []}))
    return found


def people_of(session, adhesion_ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    if not adhesion_ids:
        return found
    rows = session.execute(select(people).where(people.c.adhesion_id.in_(adhesion_ids))
                           .order_by(people.c.adhesion_id, people.c.position)).all()
    for row in rows:
        entry = found.setdefault(row.adhesion_id, {"contact": None, "participants": []})
        if row.kind == "contact":
            entry["contact"] = {k: getattr(row, k) for k in CONTACT_KEYS}
        else:
            entry["participants"].append({k: getattr(row, k) for k in PARTICIPANT_KEYS})
    return found


def change(session: Session, adhesion_id: str, **values) -> None:
    session.execute(update(adhesions).where(adhesions.c.id == adhesion_id)
                    .values(version=adhesions.c.version + 1, **values))
