"""Reading and writing adhesions with their people."""
from __future__ import annotations

import json
import uuid
from contextlib import contextmanager, suppress
from functools import lru_cache

from sqlalchemy import and_, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coalizione_common.db import is_postgres

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
_INSERT_ADHESION = insert(adhesions)
_INSERT_PEOPLE = insert(people)


def entity_for_enrolment(first, edition: str, code: str):
    """The replica's entity with ``taken`` (it has an active adhesion in
    ``edition``), in one query; None when unknown. ``first`` runs a read and
    gives its first row (see :func:`pipelined_transaction`)."""
    return first(_ENTITY_FOR_ENROLMENT, {"edition": edition, "code": code})


@contextmanager
def pipelined_transaction(connection: Connection):
    """A transaction in two round trips on PostgreSQL (psycopg's pipeline
    mode): BEGIN goes with the first read whose answer the block needs, and
    the writes after it go with the COMMIT at the end of the block, so they
    must not need each other's results. An exception in the block, or a
    failed statement, commits nothing.

    Yields ``first(statement, params)``, the first row of a read or None.
    Inside the pipeline SQLAlchemy would find no result yet, so that read
    goes through the driver, which waits for it. Elsewhere (SQLite) the block
    runs statement by statement and commits after it."""
    driver = connection.connection.driver_connection
    if not is_postgres(connection) or not hasattr(driver, "pipeline"):
        yield lambda statement, params: connection.execute(statement, params).first()
        connection.commit()
        return
    import psycopg
    from psycopg.pq import TransactionStatus
    from psycopg.rows import namedtuple_row

    def first(statement, params):
        with driver.cursor(row_factory=namedtuple_row) as cursor:
            cursor.execute(_driver_sql(statement, connection.dialect), params)
            return cursor.fetchone()

    # BEGIN and COMMIT are sent as statements: psycopg would wait for its own
    # BEGIN's answer (one more round trip).
    driver.autocommit = True
    try:
        with driver.pipeline():
            driver.execute("BEGIN", prepare=False)
            try:
                yield first
            except BaseException:
                with suppress(psycopg.Error):  # a failed statement already aborted it
                    driver.execute("ROLLBACK", prepare=False)
                raise
            driver.execute("COMMIT", prepare=False)
    except psycopg.IntegrityError as exc:  # raised when the pipeline syncs
        raise IntegrityError("pipelined insert", None, exc) from exc
    finally:
        try:
            if driver.pgconn.transaction_status != TransactionStatus.IDLE:
                driver.execute("ROLLBACK")  # a failed statement skipped the COMMIT
            driver.autocommit = False
        except psycopg.Error:
            connection.invalidate()  # never back to the pool in autocommit mode
    connection.commit()  # the server's transaction has ended: SQLAlchemy's bookkeeping


@lru_cache(maxsize=16)
def _driver_sql(statement, dialect) -> str:
    return str(statement.compile(dialect=dialect))


def insert_adhesion(session: Session | Connection, row: dict, contact: dict,
                    participants: list[dict]) -> tuple[dict, list[dict]]:
    """Insert a new adhesion and its people (two statements: the people go
    as one multi-row insert); returns the
    contact and participants with their new ids."""
    session.execute(_INSERT_ADHESION, row)
    contact = {"id": str(uuid.uuid4()), **{k: contact[k] for k in ("name", "role", "email",
                                                                   "phone")}}
    participants = [{"id": str(uuid.uuid4()), **{k: p[k] for k in ("name", "role", "email",
                                                                    "office")}}
                    for p in participants]
    session.execute(_INSERT_PEOPLE, (
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
