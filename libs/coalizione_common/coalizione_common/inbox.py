"""Idempotent inbox: a consumer records each event id it handles in the
same transaction as the handler's effects, so a redelivered event finds
its id already there and has no second effect."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.orm import Session

from .db import dialect_insert
from .envelope import Envelope


def claim_batch(session: Session, inbox: Table, claims: list[tuple[str, Envelope]],
                now) -> set[tuple[str, str]]:
    """Record that each consumer handles its envelope, in one statement;
    returns the (consumer, event id) pairs that were not handled before.

    On PostgreSQL a concurrent claim of the same id waits for the first
    transaction and then reports the conflict, so two workers never both
    handle one event.
    """
    if not claims:
        return set()
    insert = dialect_insert(session.get_bind().dialect.name)
    rows, seen = [], set()
    for consumer, envelope in claims:
        if (consumer, envelope.id) not in seen:
            seen.add((consumer, envelope.id))
            rows.append({"consumer": consumer, "event_id": envelope.id,
                         "event_type": envelope.type, "handled_at": now})
    # One statement compiled once and cached, run as "insertmanyvalues":
    # a literal multi-row VALUES would be compiled anew for every batch size.
    statement = (insert(inbox).on_conflict_do_nothing()
                 .returning(inbox.c.consumer, inbox.c.event_id))
    result = session.execute(statement, rows)
    return {(r.consumer, r.event_id) for r in result}


def claim(session: Session, inbox: Table, consumer: str, envelope: Envelope, now) -> bool:
    """:func:`claim_batch` for one event: False if it was handled before."""
    return bool(claim_batch(session, inbox, [(consumer, envelope)], now))
