"""A service's replica of the registry's entities, kept from
``registry.entity.upserted``.

A replica can start empty for good: on a first start whose queue was
declared after the registry announced its entities, nothing arrives again.
The worker therefore looks periodically and, while the replica is empty,
asks the registry to announce every entity again
(``registry.resync.requested``), at most once per interval: the request
goes through the outbox like any event, so the last one is remembered
across restarts.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

RESYNC_REQUESTED = "registry.resync.requested"


def request_resync_if_empty(runtime, replica: Table, interval: float) -> bool:
    """Emit ``registry.resync.requested`` when ``replica`` has no row and no
    request went out in the last ``interval`` seconds; True when it did."""
    now = runtime.clock.now()
    with Session(runtime.engine) as session, session.begin():
        if session.execute(select(replica).limit(1)).first() is not None:
            return False
        last = session.execute(select(func.max(runtime.outbox.c.created_at)).where(
            runtime.outbox.c.type == RESYNC_REQUESTED)).scalar()
        if last is not None:
            if last.tzinfo is None:  # SQLite keeps no zone: instants are UTC
                last = last.replace(tzinfo=now.tzinfo)
            if now - last < timedelta(seconds=interval):
                return False
        runtime.emit(session, RESYNC_REQUESTED, None, {"requested_by": runtime.name})
    return True
