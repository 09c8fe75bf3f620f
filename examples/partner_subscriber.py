"""A partner's subscriber: a durable queue ``partner.<name>.adhesions``
bound to ``adhesion.#`` on ``coalizione.events``, manual acks after the
event is handled, reconnection with capped exponential backoff.

    PARTNER_AMQP_URL=amqp://partner-acme:PASSWORD@broker:5672/coalizione \\
    PARTNER_NAME=acme python examples/partner_subscriber.py

Events are CloudEvents 1.0 JSON (docs/events/, docs/asyncapi.yaml). The
same event may arrive twice (after a reconnection, or a replay): keep
``id`` and ignore what you have already handled.
"""
from __future__ import annotations

import json
import logging
import os
import random
import signal
import sys
import time

import pika
from pika.exceptions import AMQPConnectionError, ChannelClosedByBroker, ConnectionClosedByBroker

log = logging.getLogger("partner")
EXCHANGE = "coalizione.events"


def handle(event: dict) -> None:
    """Your code: here, one line per event."""
    data = event.get("data", {})
    print(json.dumps({"type": event["type"], "id": event["id"],
                      "adhesion_id": data.get("adhesion_id"),
                      "entity": data.get("entity", {}).get("name") or data.get("entity_code")},
                     ensure_ascii=False), flush=True)


def consume(url: str, queue: str, patterns: list[str], stop: dict) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True, arguments={"x-queue-type": "quorum"})
        for pattern in patterns:
            channel.queue_bind(queue, EXCHANGE, routing_key=pattern)
        channel.basic_qos(prefetch_count=20)

        def on_message(ch, method, properties, body):
            try:
                event = json.loads(body)
                handle(event)
            except Exception:
                log.exception("could not handle message %s; it goes back to the queue",
                              properties.message_id)
                ch.basic_nack(method.delivery_tag, requeue=not method.redelivered)
                return
            ch.basic_ack(method.delivery_tag)

        channel.basic_consume(queue, on_message)
        log.info("consuming %s (%s)", queue, ", ".join(patterns))
        while not stop["now"]:
            connection.process_data_events(time_limit=1)
    finally:
        if connection.is_open:
            connection.close()


def main() -> int:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(message)s")
    url = os.environ.get("PARTNER_AMQP_URL")
    name = os.environ.get("PARTNER_NAME")
    if not url or not name:
        print(__doc__, file=sys.stderr)
        return 2
    queue = f"partner.{name}.adhesions"
    patterns = os.environ.get("PARTNER_PATTERNS", "adhesion.#").split(",")
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(now=True))
    failures = 0
    while not stop["now"]:
        started = time.monotonic()
        try:
            consume(url, queue, patterns, stop)
        except (ChannelClosedByBroker, ConnectionClosedByBroker) as exc:
            if getattr(exc, "reply_code", None) == 403:
                log.error("refused by the broker: %s (check the name and the patterns)", exc)
                return 1
            log.warning("broker closed the connection: %s", exc)
        except AMQPConnectionError as exc:
            log.warning("cannot reach the broker: %r", exc)
        if stop["now"]:
            break
        failures = 0 if time.monotonic() - started > 60 else failures + 1
        delay = min(60.0, 0.5 * 2 ** min(failures, 7)) * random.uniform(0.5, 1.0)
        log.info("reconnecting in %.1fs", delay)
        time.sleep(delay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
