"""Idempotent inbox: a consumer records each event id it handles in the
same transaction as the handler's effects, so a redelivered event finds
its id already there and has no second effect."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .envelope import Envelope


def claim(session: Session, inbox: Table, consumer: str, envelope: Envelope, now) -> bool:
    """Record that ``consumer`` handles ``envelope``; False if it already did.

    On PostgreSQL a concurrent claim of the same id waits for the first
    transaction and then reports the conflict, so two workers never both
    handle one event.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = session.execute(
        insert(inbox).values(consumer=consumer, event_id=envelope.id, event_type=envelope.type,
                             handled_at=now).on_conflict_do_nothing()
        .returning(inbox.c.event_id))
    return result.first() is not None
