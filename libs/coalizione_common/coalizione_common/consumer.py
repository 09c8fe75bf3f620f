"""Consuming events: one durable queue per handler, ack after commit,
bounded retries, then the dead-letter queue.

A message goes through these steps:

1. decode the CloudEvents body; an undecodable one is dead-lettered at once;
2. in one database transaction, claim the event id in the inbox and run the
   handler (a claim that fails means the event was handled before: no-op);
3. commit, then ack.

Messages that arrive together are handled in one transaction: a batch
closes when it holds ``batch_size`` messages, ``batch_window`` seconds
after its first (``COALIZIONE_CONSUMER_BATCH_WINDOW``, 5 ms), or at the
first pause of ``batch_gap`` seconds between two messages
(``COALIZIONE_CONSUMER_BATCH_GAP``, 1 ms: a lone event is not held back;
a gap as long as the window fills batches under a steady load instead);
if the batch fails, each message is retried alone, ``max_attempts`` times
with backoff, and a message that still fails goes to ``<queue>.dead`` with
the error in its headers. A database that is unreachable is not the
message's fault: the consumer waits for it and tries again without
counting attempts.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from kombu import Consumer
from sqlalchemy import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from .bus import Bus, ConfirmingPublisher, OutgoingMessage, keep_alive
from .clock import Clock
from .db import discard
from .envelope import Envelope, MalformedEvent
from .inbox import claim_batch

log = logging.getLogger("coalizione.consumer")

Handler = Callable[[Session, Envelope], None]


@dataclass(frozen=True)
class Subscription:
    """A handler and the routing-key patterns it listens to; its queue is
    ``<prefix><service>.<name>``."""

    name: str
    patterns: tuple[str, ...]
    handler: Handler


def _is_infrastructure_error(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError) or _lost_connection(exc)


def _lost_connection(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class EventConsumer:
    def __init__(self, service: str, engine: Engine, inbox: Table, bus: Bus,
                 subscriptions: Iterable[Subscription], clock: Clock | None = None,
                 batch_size: int = 100, batch_window: float = 0.005, batch_gap: float = 0.001,
                 backoff: tuple[float, ...] = (0.2, 1.0, 3.0)):
        self.service = service
        self.engine = engine
        self.inbox = inbox
        self.bus = bus
        self.clock = clock or Clock()
        self.batch_size = batch_size
        self.batch_window = batch_window
        self.batch_gap = batch_gap
        self.backoff = backoff
        self.max_attempts = bus.settings.max_attempts
        self.subscriptions = {bus.queue_name(service, s.name): s for s in subscriptions}
        self.handled = 0
        self.duplicates = 0
        self.dead_lettered = 0
        self._buffer: list[tuple[str, object]] = []
        self._db = None
        self.on_commit: Callable[[], object] | None = None
        self._dead_publisher: ConfirmingPublisher | None = None

    # topology -----------------------------------------------------------
    def queues(self):
        for name, sub in self.subscriptions.items():
            yield self.bus.handler_queue(name, sub.patterns)
            yield self.bus.dead_queue(name)

    def declare(self, connection) -> None:
        self.bus.declare(connection.default_channel, self.queues())

    # loop ---------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        """Consume until ``stop`` is set, reconnecting after broker failures."""
        failures = 0
        while not stop.is_set():
            try:
                with self.bus.connection() as conn:
                    conn.ensure_connection(max_retries=1)
                    self._consume(conn, stop)
                failures = 0
            except Exception as exc:
                failures += 1
                delay = min(0.1 * 2 ** min(failures, 6), 5.0)
                log.warning("consumer %s lost its connection (%s: %s); retrying in %.1fs",
                            self.service, type(exc).__name__, exc, delay)
                self._buffer.clear()
                self._dead_publisher = None
                stop.wait(delay)

    def _consume(self, conn, stop: threading.Event) -> None:
        self.declare(conn)
        channel = conn.channel()
        channel.basic_qos(0, self.batch_size * 2, False)
        self._dead_publisher = ConfirmingPublisher(conn)
        consumers = []
        for name, sub in self.subscriptions.items():
            queue = self.bus.handler_queue(name, sub.patterns)
            consumer = Consumer(channel, queues=[queue], no_ack=False,
                                on_message=lambda m, n=name: self._buffer.append((n, m)))
            consumer.consume()
            consumers.append(consumer)
        log.info("consuming %s", ", ".join(self.subscriptions))
        try:
            while not stop.is_set():
                try:
                    conn.drain_events(timeout=0.5)
                except socket.timeout:
                    keep_alive(conn)
                window_ends = time.monotonic() + self.batch_window
                while self._buffer and len(self._buffer) < self.batch_size:
                    remaining = window_ends - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        conn.drain_events(timeout=max(0.0, min(remaining, self.batch_gap)))
                    except socket.timeout:
                        break
                if self._buffer:
                    batch, self._buffer = self._buffer, []
                    self.process(batch, stop)
        finally:
            for consumer in consumers:
                try:
                    consumer.cancel()
                except Exception:
                    pass
            self._dead_publisher.close()
            self._dead_publisher = None

    # handling -----------------------------------------------------------
    def process(self, batch: list[tuple[str, object]], stop: threading.Event) -> None:
        decoded = []
        for queue, message in batch:
            try:
                decoded.append((queue, message, Envelope.from_json(message.body)))
            except MalformedEvent as exc:
                self._dead_letter(queue, message, f"malformed event: {exc}", attempts=0)
        if not decoded:
            return
        if len(decoded) > 1:
            try:
                self._handle_in_one_transaction(decoded)
                self._ack_all([message for _, message, _ in decoded])
                return
            except Exception as exc:
                if _is_infrastructure_error(exc):
                    self._wait_for_database(stop)
                log.info("batch of %d failed (%s); handling one by one", len(decoded), exc)
        for queue, message, envelope in decoded:
            self._handle_with_retries(queue, message, envelope, stop)

    @staticmethod
    def _ack_all(messages) -> None:
        """Ack a handled batch with one frame on AMQP: every earlier delivery
        on the channel is already acked (or dead-lettered and acked). kombu's
        virtual transports ignore ``multiple``, so they ack one by one."""
        last = max(messages, key=lambda m: m.delivery_tag)
        if hasattr(last.channel, "confirm_select"):
            last.ack(multiple=True)
        else:
            for message in messages:
                message.ack()

    def _handle_in_one_transaction(self, items) -> None:
        """Claim every event in the inbox with one statement, then run the
        handler of each new one, all in one transaction."""
        if self._db is None:
            # One connection kept while it works: no pool checkout and
            # pre-ping round trip for every batch.
            self._db = self.engine.connect()
        try:
            with Session(bind=self._db) as session, session.begin():
                self._handle_batch(session, items)
        except Exception as exc:
            if _is_infrastructure_error(exc):
                self._forget_connection()
            raise
        self.handled += len(items)
        if self.on_commit is not None:
            self.on_commit()

    def _forget_connection(self) -> None:
        discard(self._db)
        self._db = None

    def _handle_batch(self, session: Session, items) -> None:
        new = claim_batch(session, self.inbox, [(q, e) for q, _, e in items], self.clock.now())
        for queue, _, envelope in items:
            if (queue, envelope.id) in new:
                new.discard((queue, envelope.id))
                self.subscriptions[queue].handler(session, envelope)
            else:
                self.duplicates += 1
                log.info("event %s already handled by %s", envelope.id, queue,
                         extra={"event_id": envelope.id})

    def _handle_with_retries(self, queue, message, envelope: Envelope, stop) -> None:
        attempt = 0
        while not stop.is_set():
            attempt += 1
            try:
                self._handle_in_one_transaction([(queue, message, envelope)])
                message.ack()
                return
            except Exception as exc:
                if _lost_connection(exc) or (isinstance(exc, OperationalError)
                                             and self._wait_for_database(stop)):
                    attempt -= 1  # the database went away: not the event's fault
                    continue
                # Anything else, an OperationalError of a reachable database
                # included (a statement timeout, a limit of the engine), is
                # the event's: retried a bounded number of times, then
                # dead-lettered, so that it cannot hold its queue for ever.
                log.warning("handler %s failed on event %s (attempt %d/%d): %s: %s", queue,
                            envelope.id, attempt, self.max_attempts, type(exc).__name__, exc,
                            extra={"event_id": envelope.id, "event_type": envelope.type})
                if attempt >= self.max_attempts:
                    self._dead_letter(queue, message, f"{type(exc).__name__}: {exc}", attempt)
                    return
                stop.wait(self.backoff[min(attempt - 1, len(self.backoff) - 1)])

    def _wait_for_database(self, stop: threading.Event) -> bool:
        """Wait until the database answers; whether it did not at first."""
        delay, waited = 0.2, False
        while not stop.is_set():
            try:
                with self.engine.connect() as conn:
                    conn.exec_driver_sql("SELECT 1")
                return waited
            except Exception as exc:
                waited = True
                log.warning("database unreachable (%s); waiting %.1fs", exc, delay)
                stop.wait(delay)
                delay = min(delay * 2, 5.0)
        return waited

    def _dead_letter(self, queue: str, message, reason: str, attempts: int) -> None:
        headers = dict(message.headers or {})
        headers.update({
            "x-coalizione-error": reason[:1000],
            "x-coalizione-attempts": attempts,
            "x-coalizione-queue": queue,
            "x-coalizione-routing-key": message.delivery_info.get("routing_key", ""),
            "x-coalizione-failed-at": self.clock.now().isoformat(),
        })
        properties = message.properties or {}
        body = message.body
        self._dead_publisher.publish([OutgoingMessage(
            body=body, routing_key=queue, exchange=self.bus.dead_exchange.name,
            message_id=properties.get("message_id"), headers=headers,
            content_type=message.content_type or "application/octet-stream")])
        message.ack()
        self.dead_lettered += 1
        log.error("dead-lettered a message from %s after %d attempts: %s", queue, attempts,
                  reason, extra={"queue": queue, "message_id": properties.get("message_id")})
