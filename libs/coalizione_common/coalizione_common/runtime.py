"""What a running service is made of, and how its worker runs.

A service builds one :class:`ServiceRuntime` from its settings; the web
app, the worker process and the embedded process all take their pieces
from it, so the deployed and embedded modes share one code path.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable

from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Engine

from . import migrations
from .bus import Bus
from .config import ServiceSettings
from .consumer import EventConsumer, Subscription
from .db import make_engine, messaging_tables, ping
from .envelope import Envelope
from .outbox import Relay, add_to_outbox, prune_outbox

log = logging.getLogger("coalizione.runtime")


@dataclass
class PeriodicJob:
    """A function the worker calls every ``interval`` seconds and, with
    ``wake_on_events``, also as soon as the worker's consumer has committed
    what it handled (notify's sender goes out without waiting a period)."""

    name: str
    interval: float
    run: Callable[[], None]
    wake_on_events: bool = False
    wake: threading.Event = field(default_factory=threading.Event, repr=False)


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    metadata: MetaData
    migrations_dir: Path
    subscriptions: list[Subscription] = field(default_factory=list)
    periodic: list[PeriodicJob] = field(default_factory=list)
    engine: Engine | None = None

    def __post_init__(self):
        if self.engine is None:
            self.engine = make_engine(self.settings.database_url)
        self.outbox: Table = self.metadata.tables["outbox"]
        self.inbox: Table = self.metadata.tables["inbox"]
        self.bus = Bus(self.settings.bus)

    @property
    def name(self) -> str:
        return self.settings.service

    @property
    def clock(self):
        return self.settings.clock

    def migrate(self) -> None:
        migrations.upgrade(self.engine, self.migrations_dir)

    def emit(self, session, type: str, subject: str | None, data: dict) -> Envelope:
        """Write an event to the outbox inside the caller's transaction."""
        return self.emit_many(session, type, [(subject, data)])[0]

    def emit_many(self, session, type: str, events: list[tuple[str | None, dict]]) -> list[Envelope]:
        """:meth:`emit` for many (subject, data) pairs of one type, written
        with one multi-row insert (a full registry import announces
        thousands of entities)."""
        now = self.clock.now()
        envelopes = [Envelope.new(type, self.name, subject, data, now) for subject, data in events]
        add_to_outbox(session, self.outbox, envelopes, now)
        return envelopes

    # readiness -----------------------------------------------------------
    def check_database(self) -> None:
        ping(self.engine)

    def check_broker(self) -> None:
        with self.bus.connection() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)

    def readiness_checks(self) -> dict[str, Callable[[], None]]:
        return {"database": self.check_database, "broker": self.check_broker}

    # worker ---------------------------------------------------------------
    def relay(self) -> Relay:
        return Relay(self.engine, self.outbox, self.bus, self.clock,
                     poll_interval=self.settings.relay_poll_interval, name=f"{self.name}.relay",
                     event_log=self.settings.event_log, linger=self.settings.relay_linger)

    def consumer(self) -> EventConsumer:
        return EventConsumer(self.name, self.engine, self.inbox, self.bus, self.subscriptions,
                             self.clock, batch_window=self.settings.consumer_batch_window,
                             batch_gap=self.settings.consumer_batch_gap)

    def declare_queues(self) -> None:
        """Declare this service's queues, so no event is missed before its
        worker first runs."""
        if not self.subscriptions:
            return
        consumer = self.consumer()
        with self.bus.connection() as conn:
            conn.ensure_connection(max_retries=3)
            consumer.declare(conn)

    def prune_outbox(self) -> int:
        """Forget events published more than the retention period ago
        (``COALIZIONE_OUTBOX_RETENTION_DAYS``, 7 by default)."""
        cutoff = self.clock.now() - timedelta(days=self.settings.outbox_retention_days)
        return prune_outbox(self.engine, self.outbox, cutoff)

    def start_worker(self, stop: threading.Event) -> list[threading.Thread]:
        """Start the relay, the consumer and periodic jobs as daemon threads."""
        targets = [(f"{self.name}-relay", self.relay().run)]
        jobs = [*self.periodic, PeriodicJob("outbox-pruning", 3600.0, self.prune_outbox)]
        if self.subscriptions:
            consumer = self.consumer()
            woken = [job.wake for job in jobs if job.wake_on_events]
            consumer.on_commit = lambda: [wake.set() for wake in woken]
            targets.append((f"{self.name}-consumer", consumer.run))
        for job in jobs:
            targets.append((f"{self.name}-{job.name}", _periodic(job)))
        threads = []
        for name, target in targets:
            thread = threading.Thread(target=target, args=(stop,), name=name, daemon=True)
            thread.start()
            threads.append(thread)
        return threads

    def run_worker(self) -> None:
        """The worker process: run until SIGTERM or SIGINT."""
        stop = threading.Event()

        def _stop(signum, _frame):
            log.info("signal %s: stopping", signum)
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        threads = self.start_worker(stop)
        log.info("worker of %s running", self.name)
        while not stop.is_set():
            stop.wait(1.0)
        for thread in threads:
            thread.join(timeout=10)


def messaging_metadata() -> MetaData:
    """A fresh MetaData that already holds the tables every service has:
    outbox, inbox and api_tokens."""
    from .auth import tokens_table
    metadata = MetaData()
    messaging_tables(metadata)
    tokens_table(metadata)
    return metadata


def _periodic(job: PeriodicJob):
    def loop(stop: threading.Event) -> None:
        while not stop.is_set():
            if job.wake_on_events:
                job.wake.wait(job.interval)
                job.wake.clear()
            else:
                stop.wait(job.interval)
            if stop.is_set():
                break
            try:
                job.run()
            except Exception:
                log.exception("periodic job %s failed", job.name)
    return loop
