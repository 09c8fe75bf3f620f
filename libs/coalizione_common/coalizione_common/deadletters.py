"""Operators' view of the dead-letter queues: list what is there, replay it.

Replay sends a dead letter back to the queue it came from (through the
default exchange, so no other subscriber receives it a second time), with
its attempt count reset; the consumer's inbox keeps replays idempotent.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .bus import Bus, ConfirmingPublisher, OutgoingMessage


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    message_id: str | None
    routing_key: str
    error: str
    attempts: int
    failed_at: str
    body: bytes


def _read(bus: Bus, queue: str, limit: int, select=None, replay: bool = False,
          counted: list | None = None) -> list[DeadLetter]:
    """Read up to ``limit`` dead letters of ``queue``; those not replayed
    are held unacked while reading, then put back. ``counted``, if given,
    receives how many were waiting before reading."""
    found, held = [], []
    with bus.connection() as conn:
        conn.ensure_connection(max_retries=1)
        channel = conn.channel()
        dead = bus.dead_queue(queue)(channel)
        dead.declare()
        if counted is not None:
            counted.append(channel.queue_declare(queue=dead.name, passive=True).message_count)
        publisher = ConfirmingPublisher(conn) if replay else None
        for _ in range(limit):
            message = dead.get(no_ack=False)
            if message is None:
                break
            headers = message.headers or {}
            raw = message.body if isinstance(message.body, bytes) else str(message.body).encode()
            letter = DeadLetter(
                queue=queue, message_id=(message.properties or {}).get("message_id"),
                routing_key=str(headers.get("x-coalizione-routing-key", "")),
                error=str(headers.get("x-coalizione-error", headers.get("x-death", ""))),
                attempts=int(headers.get("x-coalizione-attempts", 0) or 0),
                failed_at=str(headers.get("x-coalizione-failed-at", "")), body=raw)
            if replay and (select is None or select(letter)):
                kept = {k: v for k, v in headers.items() if not k.startswith("x-coalizione-")
                        and k != "x-death"}
                kept["x-coalizione-replayed"] = True
                publisher.publish([OutgoingMessage(
                    body=raw, routing_key=queue, exchange="", message_id=letter.message_id,
                    headers=kept, content_type=message.content_type or "application/octet-stream")])
                message.ack()
                found.append(letter)
            else:
                held.append(message)
                if not replay:
                    found.append(letter)
        for message in held:
            message.requeue()
        channel.close()
    return found


def list_dead_letters(bus: Bus, queue: str, limit: int = 1000) -> list[DeadLetter]:
    return _read(bus, queue, limit)


def count_and_list_dead_letters(bus: Bus, queue: str, limit: int = 1000) -> tuple[int, list[DeadLetter]]:
    """How many dead letters ``queue`` holds, and the first ``limit`` of them."""
    counted: list[int] = []
    letters = _read(bus, queue, limit, counted=counted)
    return max(counted[0], len(letters)), letters


def replay_dead_letters(bus: Bus, queue: str, message_id: str | None = None,
                        limit: int = 1000, ids: Iterable[str] | None = None) -> list[DeadLetter]:
    """Replay the dead letters of ``queue``: all of them, or only those
    whose message id is ``message_id`` or one of ``ids``."""
    wanted = set(ids or ()) | ({message_id} if message_id is not None else set())
    select = (lambda letter: letter.message_id in wanted) if wanted else None
    if ids is not None and not wanted:
        return []
    return _read(bus, queue, limit, select=select, replay=True)
