"""Issue 2's proof on the real RabbitMQ and PostgreSQL: events survive a
relay whose broker connection is cut again and again, and arrive exactly
once in effect."""
from __future__ import annotations

import dataclasses
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select

from tests.support.backbone import build, effects, emit_many, wait_for
from tests.support.tcpproxy import TcpProxy

pytestmark = pytest.mark.integration

EVENTS = 10_000


def through(proxy: TcpProxy, amqp_url: str) -> str:
    parts = urlsplit(amqp_url)
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def test_ten_thousand_events_arrive_once_while_the_relay_connection_is_cut(broker, postgres_database):
    bus = broker.settings()
    consumer_side = build(postgres_database("faults"), bus)
    broker.track(*consumer_side.consumer().subscriptions)
    consumer_side.declare_queues()

    upstream = urlsplit(bus.url)
    proxy = TcpProxy(upstream.hostname, upstream.port or 5672)
    relay_bus = dataclasses.replace(bus, url=through(proxy, bus.url))
    relay_side = dataclasses.replace(consumer_side.settings, bus=relay_bus)
    relay = type(consumer_side)(relay_side, consumer_side.metadata, consumer_side.migrations_dir,
                                engine=consumer_side.engine).relay()
    relay.batch_size = 200
    consumer = consumer_side.consumer()

    stop = threading.Event()
    threads = [threading.Thread(target=consumer.run, args=(stop,), daemon=True),
               threading.Thread(target=relay.run, args=(stop,), daemon=True)]
    for t in threads:
        t.start()
    try:
        writer = threading.Thread(target=emit_many, args=(consumer_side, EVENTS, 250))
        writer.start()
        cuts = 0
        while cuts < 6 and (writer.is_alive() or _unpublished(consumer_side) > 0):
            time.sleep(0.4)
            if proxy.cut():
                cuts += 1
        writer.join()
        assert cuts >= 3, "the relay connection was cut several times while relaying"
        assert wait_for(lambda: _unpublished(consumer_side) == 0, timeout=120)
        assert wait_for(lambda: effects(consumer_side)[0] >= EVENTS, timeout=120)
        time.sleep(1.0)  # let any duplicate the broker still holds arrive
        rows, distinct = effects(consumer_side)
        with consumer_side.engine.connect() as conn:
            handled = conn.execute(select(func.count()).select_from(consumer_side.inbox)).scalar()
        print(f"cuts={cuts} proxied_connections={proxy.accepted} effects={rows} "
              f"distinct={distinct} inbox={handled} published_by_relay={relay.published} "
              f"duplicates_ignored={consumer.duplicates}")
        assert (rows, distinct) == (EVENTS, EVENTS), "none missing, none handled twice"
        assert handled == EVENTS
        assert proxy.accepted > cuts, "the relay reconnected after every cut"
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        proxy.close()


def _unpublished(runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(runtime.outbox)
                            .where(runtime.outbox.c.published_at.is_(None))).scalar()


def test_a_consumer_whose_broker_goes_silent_reconnects_through_heartbeats(broker, postgres_database):
    bus = dataclasses.replace(broker.settings(), heartbeat=2)
    upstream = urlsplit(bus.url)
    proxy = TcpProxy(upstream.hostname, upstream.port or 5672)
    consumer_side = build(postgres_database("silent"), dataclasses.replace(bus, url=through(proxy, bus.url)))
    broker.track(*consumer_side.consumer().subscriptions)
    consumer_side.declare_queues()
    publisher = build(str(consumer_side.engine.url.render_as_string(hide_password=False)), bus)
    stop = threading.Event()
    consumer = consumer_side.consumer()
    threads = [threading.Thread(target=consumer.run, args=(stop,), daemon=True),
               threading.Thread(target=publisher.relay().run, args=(stop,), daemon=True)]
    for t in threads:
        t.start()
    try:
        emit_many(consumer_side, 5)
        assert wait_for(lambda: effects(consumer_side)[0] == 5, timeout=30)
        connections = proxy.accepted
        assert proxy.freeze() >= 1
        emit_many(consumer_side, 5)
        assert wait_for(lambda: effects(consumer_side)[0] == 10, timeout=30), \
            "the consumer noticed the silence, reconnected and went on"
        assert proxy.accepted > connections
        assert effects(consumer_side) == (10, 10)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
        proxy.close()
