"""Transactional outbox: an event is a row written in the same transaction
as the state change it announces; the relay publishes rows afterwards.

The relay publishes in id order with publisher confirms and marks rows sent
only once the broker confirmed them, so a broker outage delays events but
never loses them. A crash between the confirm and the mark republishes a
batch: consumers see the same event ids again and their inbox ignores them.
"""
from __future__ import annotations

import logging
import threading
import zlib

from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.engine import Connection as DbConnection, Engine
from sqlalchemy.orm import Session

from .bus import Bus, ConfirmingPublisher, keep_alive
from .clock import Clock
from .db import OUTBOX_CHANNEL, discard, is_postgres
from .envelope import Envelope

log = logging.getLogger("coalizione.outbox")


def add_to_outbox(session: Session | DbConnection, outbox: Table, envelopes: list[Envelope],
                  now) -> None:
    """Record ``envelopes`` for publishing, in order, with one statement;
    they commit (or not) with the caller's transaction."""
    if not envelopes:
        return
    rows = [{"event_id": e.id, "type": e.type, "subject": e.subject, "body": e.to_json(),
             "created_at": now} for e in envelopes]
    connection = session.connection() if isinstance(session, Session) else session
    # Inline: no caller reads the ids back, and inside a pipelined
    # transaction (coalizione_common.pipeline) a RETURNING has no answer yet.
    connection.execute(insert(outbox).inline(), rows)


class Wakeup:
    """How the relay waits for new rows: on PostgreSQL with the outbox
    trigger, LISTEN for the notification each commit sends (and look anyway
    every ``max_idle`` seconds); elsewhere, poll every ``poll_interval``.

    Woken by a notification, it can linger ``linger`` seconds
    (``COALIZIONE_RELAY_LINGER``, off by default) before the relay reads:
    under load the commits of that moment then go out as one batch (one
    transaction, one confirm round) instead of one batch each, each event
    up to ``linger`` later."""

    def __init__(self, engine: Engine, poll_interval: float, max_idle: float = 1.0,
                 linger: float = 0.0):
        self.engine = engine
        self.poll_interval = poll_interval
        self.max_idle = max_idle
        self.linger = linger
        self._listener = None
        self._mode = "poll" if not is_postgres(engine) else None

    def _listen(self):
        import psycopg
        with self.engine.connect() as conn:
            has_trigger = conn.execute(text(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'outbox_notify' "
                "AND tgrelid = to_regclass('outbox')")).first() is not None
        if not has_trigger:
            return None
        url = self.engine.url.set(drivername="postgresql")
        listener = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
        listener.execute(f"LISTEN {OUTBOX_CHANNEL}")
        return listener

    def wait(self, stop: threading.Event) -> None:
        if self._mode is None:
            try:
                self._listener = self._listen()
            except Exception as exc:
                log.warning("relay cannot LISTEN (%s); polling instead", exc)
            self._mode = "listen" if self._listener is not None else "poll"
        if self._mode == "poll":
            stop.wait(self.poll_interval)
            return
        try:
            woken = False
            for _ in self._listener.notifies(timeout=self.max_idle, stop_after=1):
                woken = True
            if woken and self.linger:
                stop.wait(self.linger)
            for _ in self._listener.notifies(timeout=0):
                pass
        except Exception as exc:
            log.warning("relay lost its LISTEN connection (%s); will listen again", exc)
            self.close()
            stop.wait(self.poll_interval)

    def close(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:
                pass
        self._listener = None
        if self._mode == "listen":
            self._mode = None


class Relay:
    """Moves outbox rows to the exchange."""

    def __init__(self, engine: Engine, outbox: Table, bus: Bus, clock: Clock | None = None,
                 batch_size: int = 500, poll_interval: float = 0.02, name: str = "relay",
                 event_log: str | None = None, linger: float = 0.0):
        self.engine = engine
        self.outbox = outbox
        self.bus = bus
        self.clock = clock or Clock()
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.name = name
        self._lock_key = zlib.crc32(f"coalizione.outbox.{outbox.name}".encode()) & 0x7FFFFFFF
        self._connection = None
        self._publisher: ConfirmingPublisher | None = None
        self._wakeup = Wakeup(engine, poll_interval, linger=linger)
        self._db = None
        self.event_log = event_log
        self.published = 0

    def _ensure_publisher(self) -> ConfirmingPublisher:
        if self._publisher is None:
            self._connection = self.bus.connection()
            self._connection.ensure_connection(max_retries=1)
            channel = self._connection.default_channel
            self.bus.declare(channel)
            self._publisher = ConfirmingPublisher(self._connection)
        return self._publisher

    def _drop_connection(self) -> None:
        discard(self._db)
        self._db = None
        if self._publisher is not None:
            self._publisher.close()
        if self._connection is not None:
            try:
                self._connection.release()
            except Exception:
                pass
        self._publisher = None
        self._connection = None

    def publish_batch(self) -> int:
        """Publish the oldest unsent rows; returns how many were sent."""
        publisher = self._ensure_publisher()
        if self._db is None:
            # One connection kept for the relay's life: no pool checkout
            # and pre-ping round trip on every cycle.
            self._db = self.engine.connect()
        conn = self._db
        with conn.begin():
            if is_postgres(self.engine):
                # One relay at a time per database keeps the order per
                # subject when workers are scaled out.
                got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                   {"k": self._lock_key}).scalar()
                if not got:
                    return 0
            rows = conn.execute(
                select(self.outbox.c.id, self.outbox.c.event_id, self.outbox.c.type,
                       self.outbox.c.body)
                .where(self.outbox.c.published_at.is_(None))
                .order_by(self.outbox.c.id).limit(self.batch_size)).all()
            if not rows:
                return 0
            publisher.publish([self.bus.event_message(r.body, r.type, r.event_id) for r in rows])
            self._mark_published(conn, [r.id for r in rows])
        self.published += len(rows)
        if self.event_log:
            self._log_events(rows)
        return len(rows)

    def _mark_published(self, conn: DbConnection, ids: list[int]) -> None:
        now = self.clock.now()
        if not is_postgres(self.engine):
            conn.execute(update(self.outbox).where(self.outbox.c.id.in_(ids))
                         .values(published_at=now))
            return
        # Not prepared on the server: PostgreSQL plans it for the outbox as
        # it is. A prepared statement keeps the plan made while a fresh
        # outbox was nearly empty (until an ANALYZE, none with autovacuum
        # off), and that plan read the whole table to find a batch's rows.
        conn.connection.driver_connection.execute(
            f"UPDATE {self.outbox.name} SET published_at = %s WHERE id = ANY(%s)", (now, ids),
            prepare=False)

    def _log_events(self, rows) -> None:
        """Append each published envelope as one JSON line to the event log
        (``COALIZIONE_EVENT_LOG``): what the contract tests check, and an
        audit trail for a demo. Appends of one batch are one write."""
        with open(self.event_log, "a", encoding="utf-8") as log_file:
            log_file.write("".join(f"{r.body}\n" for r in rows))

    def run(self, stop: threading.Event) -> None:
        """Relay until ``stop`` is set, retrying through broker and database outages."""
        failures = 0
        while not stop.is_set():
            try:
                sent = self.publish_batch()
                failures = 0
                if sent < self.batch_size:
                    self._wakeup.wait(stop)
                    if self._connection is not None:
                        keep_alive(self._connection)
            except Exception as exc:  # broker or database unavailable: back off, retry
                failures += 1
                delay = min(0.1 * 2 ** min(failures, 6), 5.0)
                log.warning("relay %s failed (%s: %s); retrying in %.1fs", self.name,
                            type(exc).__name__, exc, delay,
                            extra={"relay": self.name, "attempt": failures})
                self._drop_connection()
                stop.wait(delay)
        self._drop_connection()
        self._wakeup.close()


def prune_outbox(engine: Engine, outbox: Table, published_before) -> int:
    """Delete rows published before ``published_before``; rows not yet
    published are never deleted. Returns how many rows went."""
    from sqlalchemy import delete
    with engine.begin() as conn:
        result = conn.execute(delete(outbox).where(outbox.c.published_at.is_not(None),
                                                   outbox.c.published_at < published_before))
    return result.rowcount or 0
