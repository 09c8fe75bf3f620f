"""A minimal service on the real backbone: its handler records every event
it handles in ``effects``, so tests can count effects and duplicates."""
from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import Column, Integer, String, Table, func, insert, select
from sqlalchemy.orm import Session

from coalizione_common.clock import Clock
from coalizione_common.config import BusSettings, ServiceSettings
from coalizione_common.consumer import Subscription
from coalizione_common.db import install_outbox_trigger
from coalizione_common.runtime import ServiceRuntime, messaging_metadata


def build(database_url: str, bus: BusSettings, handler=None, patterns=("thing.#",),
          service: str = "probe", **settings) -> ServiceRuntime:
    metadata = messaging_metadata()
    effects = Table("effects", metadata,
                    Column("n", Integer, primary_key=True, autoincrement=True),
                    Column("event_id", String(64), nullable=False),
                    Column("subject", String(200)))

    def record(session: Session, envelope) -> None:
        if handler is not None:
            handler(envelope)
        session.execute(insert(effects).values(event_id=envelope.id, subject=envelope.subject))

    runtime = ServiceRuntime(ServiceSettings(service=service, database_url=database_url, bus=bus,
                                             clock=Clock(), **settings), metadata, Path("/nonexistent"),
                             subscriptions=[Subscription("record", tuple(patterns), record)])
    metadata.create_all(runtime.engine)
    if runtime.engine.dialect.name == "postgresql":
        with runtime.engine.begin() as conn:
            install_outbox_trigger(conn.exec_driver_sql)
    runtime.effects = effects
    return runtime


def emit_many(runtime: ServiceRuntime, count: int, per_transaction: int = 500,
              type: str = "thing.happened") -> list[str]:
    ids = []
    for start in range(0, count, per_transaction):
        with Session(runtime.engine) as session, session.begin():
            for i in range(start, min(start + per_transaction, count)):
                ids.append(runtime.emit(session, type, f"s{i % 50}", {"i": i, "name": "Agliè"}).id)
    return ids


def effects(runtime: ServiceRuntime) -> tuple[int, int]:
    """(rows, distinct event ids) in the effects table."""
    with runtime.engine.connect() as conn:
        t = runtime.effects
        return conn.execute(select(func.count(), func.count(t.c.event_id.distinct()))).one()


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05) -> bool:
    stop = threading.Event()
    deadline = Clock.monotonic() + timeout
    while Clock.monotonic() < deadline:
        if predicate():
            return True
        stop.wait(interval)
    return predicate()
