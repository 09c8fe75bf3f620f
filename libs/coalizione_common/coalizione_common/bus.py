"""The event bus on kombu: the topic exchange of the contract, one durable
queue per consuming handler with its dead-letter queue, and publishing
with pipelined publisher confirms.

The same code runs on RabbitMQ (``amqp://``) and on kombu's in-memory
transport (``memory://``) used by the embedded process and fast tests.
"""
from __future__ import annotations

import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterable

from kombu import Connection, Exchange, Queue, binding

from .config import BusSettings
from .envelope import CONTENT_TYPE

CONNECTION_ERRORS = (OSError, socket.error, ConnectionError)


class PublishNotConfirmed(RuntimeError):
    """The broker nacked a message or did not confirm it in time."""


@dataclass(frozen=True)
class OutgoingMessage:
    body: str | bytes
    routing_key: str
    exchange: str
    message_id: str | None = None
    headers: dict = field(default_factory=dict)
    content_type: str = CONTENT_TYPE


class Bus:
    """Names and connections for one broker, as the settings say."""

    def __init__(self, settings: BusSettings):
        self.settings = settings
        self.exchange = Exchange(settings.exchange, type="topic", durable=True)
        self.dead_exchange = Exchange(settings.dead_exchange, type="direct", durable=True)

    def connection(self) -> Connection:
        """A new connection. On AMQP it negotiates heartbeats, so a peer that
        vanished without closing (a dropped route, a killed proxy) is noticed
        by :func:`keep_alive` instead of blocking a reader forever."""
        if self.settings.is_memory:
            return Connection(self.settings.url, transport_options={"polling_interval": 0.01},
                              heartbeat=0)
        return Connection(self.settings.url, heartbeat=self.settings.heartbeat, connect_timeout=5)

    def queue_name(self, service: str, handler: str) -> str:
        return f"{self.settings.queue_prefix}{service}.{handler}"

    def handler_queue(self, name: str, patterns: Iterable[str]) -> Queue:
        """A durable queue bound to each routing-key pattern, dead-lettering
        into ``<name>.dead`` once the broker has delivered a message more
        than ``delivery_limit`` times (a consumer crash loop)."""
        arguments = {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.settings.delivery_limit,
            "x-dead-letter-exchange": self.dead_exchange.name,
            "x-dead-letter-routing-key": name,
        }
        return Queue(name, bindings=[binding(self.exchange, routing_key=p) for p in patterns],
                     durable=True, queue_arguments=arguments)

    def dead_queue(self, name: str) -> Queue:
        return Queue(f"{name}.dead", exchange=self.dead_exchange, routing_key=name, durable=True,
                     queue_arguments={"x-queue-type": "quorum"})

    def declare(self, channel, queues: Iterable[Queue] = ()) -> None:
        self.exchange(channel).declare()
        self.dead_exchange(channel).declare()
        for queue in queues:
            queue(channel).declare()

    def event_message(self, envelope_json: str, event_type: str, event_id: str) -> OutgoingMessage:
        return OutgoingMessage(body=envelope_json, routing_key=event_type,
                               exchange=self.exchange.name, message_id=event_id)


class ConfirmingPublisher:
    """Publishes batches of messages and returns once the broker has
    confirmed every one of them.

    On AMQP the channel is put in confirm mode and the batch is sent without
    waiting between messages; acks are then drained together. One blocking
    confirm per message would cap the relay near a thousand messages a
    second on this kind of machine.
    """

    def __init__(self, connection: Connection, confirm_timeout: float = 10.0):
        self.connection = connection
        self.confirm_timeout = confirm_timeout
        self.channel = connection.channel()
        self._amqp = hasattr(self.channel, "confirm_select")
        self._next_tag = 1
        self._unconfirmed: set[int] = set()
        self._nacked = False
        if self._amqp:
            self.channel.confirm_select()
            self.channel.events["basic_ack"].add(self._on_ack)
            self.channel.events["basic_nack"].add(self._on_nack)

    def _settle(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._unconfirmed = {t for t in self._unconfirmed if t > tag}
        else:
            self._unconfirmed.discard(tag)

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._nacked = True
        self._settle(tag, multiple)

    def publish(self, messages: list[OutgoingMessage]) -> None:
        with self._coalesced_writes():
            self._send(messages)
        if self._amqp:
            self._wait_for_confirms()

    @contextmanager
    def _coalesced_writes(self):
        """Hand the whole batch to the socket in one write.

        py-amqp writes every frame with its own ``sendall``; on a busy
        two-core machine each syscall costs a context switch to the broker,
        which cut throughput several times over. The frames are kept in a
        buffer while the batch is built and sent together; nothing is sent
        if building the batch fails (the batch is retried as a whole).
        """
        transport = getattr(getattr(self.connection, "connection", None), "transport", None)
        if not self._amqp or transport is None or not hasattr(transport, "_write"):
            yield
            return
        buffer: list[bytes] = []
        original = transport._write
        # py-amqp reuses its frame buffer: keep a copy of each frame
        transport._write = lambda frame: buffer.append(bytes(frame))
        try:
            yield
        finally:
            transport._write = original
        original(b"".join(buffer))

    def _send(self, messages: list[OutgoingMessage]) -> None:
        for msg in messages:
            properties = {"delivery_mode": 2}
            if msg.message_id:
                properties["message_id"] = msg.message_id
            body = msg.body.encode("utf-8") if isinstance(msg.body, str) else msg.body
            prepared = self.channel.prepare_message(body, content_type=msg.content_type,
                                                    content_encoding="utf-8",
                                                    headers=dict(msg.headers),
                                                    properties=properties)
            self.channel.basic_publish(prepared, exchange=msg.exchange,
                                       routing_key=msg.routing_key)
            if self._amqp:
                self._unconfirmed.add(self._next_tag)
            self._next_tag += 1

    def _wait_for_confirms(self) -> None:
        deadline = time.monotonic() + self.confirm_timeout
        while self._unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"no confirm within {self.confirm_timeout}s")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except socket.timeout:
                keep_alive(self.connection)
        if self._nacked:
            self._nacked = False
            raise PublishNotConfirmed("the broker nacked a message")

    def close(self) -> None:
        try:
            self.channel.close()
        except Exception:  # the connection may already be gone
            pass


def keep_alive(connection: Connection) -> None:
    """Send and check heartbeats; raises when the broker went silent. Call
    it whenever a wait on the connection ends (at least every few seconds)."""
    if connection.heartbeat:
        connection.heartbeat_check(rate=2)
