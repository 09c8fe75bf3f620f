"""notify on the real backbone for integration tests: PostgreSQL, its
queues on RabbitMQ, its worker threads (or process), a real SMTP server."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from kombu import Connection, Queue

from coalizione_common.bus import ConfirmingPublisher, OutgoingMessage
from coalizione_common.clock import Clock, parse_instant
from coalizione_common.config import ServiceSettings
from notify.bootstrap import build_runtime, prepare
from notify.config import NotifyConfig
from tests.support.backbone import wait_for

from services.notify.tests.builders import NOW

ROOT = Path(__file__).resolve().parents[3]


def fast_config(smtp_url: str, **overrides) -> NotifyConfig:
    values = dict(smtp_url=smtp_url, retry_backoff=(0.3,), max_attempts=6, sender_interval=0.05,
                  reminder_interval=0.2, smtp_timeout=5.0,
                  mail_from="Programma CO-AliZIONE <coalizione@coalizione.example>")
    values.update(overrides)
    return NotifyConfig(**values)


class Live:
    """A notify runtime whose worker runs as threads of the test process."""

    def __init__(self, broker, database_url: str, config: NotifyConfig):
        self.bus = broker.settings()
        settings = ServiceSettings(service="notify", database_url=database_url, bus=self.bus,
                                   clock=Clock(parse_instant(NOW)))
        self.runtime = build_runtime(settings, config=config)
        prepare(self.runtime)
        self.queues = list(self.runtime.consumer().subscriptions)
        broker.track(*self.queues)
        self.runtime.declare_queues()
        self.tap = Tap(self.bus, broker)
        self.stop = threading.Event()
        self.threads = []

    def start(self) -> "Live":
        self.threads = self.runtime.start_worker(self.stop)
        return self

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)
        self.tap.close()
        self.runtime.engine.dispose()

    def publish(self, *envelopes) -> None:
        publish(self.bus, *envelopes)

    def environ(self, smtp_url: str, **extra) -> dict:
        """The environment of a worker process sharing this database and bus."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "COALIZIONE_"))}
        env.update({
            "NOTIFY_DATABASE_URL": self.runtime.settings.database_url, "AMQP_URL": self.bus.url,
            "COALIZIONE_EXCHANGE": self.bus.exchange,
            "COALIZIONE_DEAD_EXCHANGE": self.bus.dead_exchange,
            "COALIZIONE_QUEUE_PREFIX": self.bus.queue_prefix, "COALIZIONE_NOW": NOW,
            "SMTP_URL": smtp_url, "NOTIFY_SENDER_INTERVAL": "0.05",
            "NOTIFY_MAIL_FROM": self.runtime.notify.mail_from,
            "COALIZIONE_RELAY_POLL_INTERVAL": "0.02", "PYTHONUNBUFFERED": "1"})
        env.update(extra)
        return env

    def ready_messages(self, queue: str) -> int:
        with Connection(self.bus.url) as conn:
            return conn.default_channel.queue_declare(queue, passive=True).message_count


def publish(bus, *envelopes) -> None:
    with Connection(bus.url) as conn:
        publisher = ConfirmingPublisher(conn)
        publisher.publish([OutgoingMessage(body=e.to_json(), routing_key=e.type,
                                           exchange=bus.exchange, message_id=e.id)
                           for e in envelopes])
        publisher.close()


class Tap:
    """A queue of the test bound to ``notification.#``: what notify announced."""

    def __init__(self, bus, broker):
        self.name = f"{bus.queue_prefix}test.notifications"
        broker.track(self.name)
        self.connection = Connection(bus.url)
        from kombu import Exchange
        exchange = Exchange(bus.exchange, type="topic", durable=True)
        self.queue = Queue(self.name, exchange=exchange, routing_key="notification.#",
                           durable=True)(self.connection.default_channel)
        self.queue.declare()
        self.events: list[dict] = []

    def drain(self) -> list[dict]:
        while True:
            message = self.queue.get(no_ack=True)
            if message is None:
                return self.events
            self.events.append(json.loads(message.body))

    def wait(self, predicate, timeout: float = 20.0) -> list[dict]:
        wait_for(lambda: predicate(self.drain()), timeout=timeout)
        return self.events

    def close(self) -> None:
        self.connection.release()


def worker_process(env: dict, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "ab")
    return subprocess.Popen([sys.executable, "-m", "notify", "worker"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
