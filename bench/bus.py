"""Outbox-to-consumer throughput and latency on the real broker, next to a
bare pika baseline measured in the same run.

- baseline: pika publishes persistent 1 KiB messages to a durable queue with
  publisher confirms pipelined in windows of 100, while a second connection
  consumes them with manual acks; events/s from first publish to last ack.
- throughput: N events already committed in a PostgreSQL outbox; a relay
  process publishes them (pipelined confirms) to coalizione's topic
  exchange; a consumer process claims each in its PostgreSQL inbox (the
  handler itself does nothing, so this measures the backbone, not a
  service's work) and acks after commit; events/s from relay start to the
  last handled event.
- latency: events written one per transaction at a steady rate; the time
  from just before the write's commit to the handler (before its commit),
  p50 and p99.

Needs RabbitMQ and PostgreSQL (AMQP_URL, POSTGRES_URL; defaults: the local
ones). Prints its figures last as one JSON line.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
N_THROUGHPUT = int(os.environ.get("BENCH_BUS_EVENTS", "20000"))
N_BASELINE = int(os.environ.get("BENCH_BUS_BASELINE", "20000"))
RATE = float(os.environ.get("BENCH_BUS_RATE", "500"))
LATENCY_SECONDS = float(os.environ.get("BENCH_BUS_LATENCY_SECONDS", "10"))
PAYLOAD = "x" * 1024


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


# --- baseline ------------------------------------------------------------

def baseline(n: int) -> float:
    import pika
    # kombu spells the default vhost "//", pika "/%2F"
    params = pika.URLParameters(AMQP_URL[:-2] + "/%2F" if AMQP_URL.endswith("//") else AMQP_URL)
    queue = f"bench.baseline.{uuid.uuid4().hex[:8]}"
    setup = pika.BlockingConnection(params)
    setup.channel().queue_declare(queue, durable=True)
    done = threading.Event()
    started = {}

    def consume():
        conn = pika.BlockingConnection(params)
        ch = conn.channel()
        ch.basic_qos(prefetch_count=200)
        got = 0
        for method, _props, _body in ch.consume(queue, auto_ack=False):
            got += 1
            if got % 50 == 0 or got == n:
                ch.basic_ack(method.delivery_tag, multiple=True)
            if got == n:
                break
        started["end"] = time.perf_counter()
        ch.cancel()
        conn.close()
        done.set()

    consumer = threading.Thread(target=consume)
    consumer.start()
    body = PAYLOAD.encode()
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/octet-stream")
    state = {"acked": 0, "sent": 0}

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    def on_channel(ch):
        state["ch"] = ch
        ch.confirm_delivery(on_confirm)
        started["start"] = time.perf_counter()
        publish_window(ch)

    def publish_window(ch):
        for _ in range(min(100, n - state["sent"])):
            state["sent"] += 1
            ch.basic_publish("", queue, body, properties)
        state["window_end"] = state["sent"]

    def on_confirm(frame):
        tag = frame.method.delivery_tag
        if frame.method.multiple:
            state["acked"] = max(state["acked"], tag)
        else:
            state["acked"] = max(state["acked"], tag)
        if state["acked"] >= state["window_end"]:
            if state["sent"] < n:
                publish_window(state["ch"])
            else:
                state["ch"].connection.close()

    conn = pika.SelectConnection(params, on_open_callback=on_open,
                                 on_close_callback=lambda c, r: c.ioloop.stop())
    conn.ioloop.start()
    done.wait(120)
    consumer.join(5)
    setup.channel().queue_delete(queue)
    setup.close()
    return n / (started["end"] - started["start"])


# --- the platform's path ------------------------------------------------

def _database(name: str) -> str:
    from tests.support.infrastructure import create_database
    return create_database(POSTGRES_URL, name)


def _runtime(db_url: str, bus_settings, latencies: list | None = None):
    """A bench service whose handler does no work of its own (the inbox row
    is the consumer's transactional write) and, when measuring latency,
    keeps each event's age in ``latencies``."""
    from pathlib import Path as _P

    from coalizione_common.clock import Clock
    from coalizione_common.config import ServiceSettings
    from coalizione_common.consumer import Subscription
    from coalizione_common.db import install_outbox_trigger
    from coalizione_common.runtime import ServiceRuntime, messaging_metadata

    def handle(session, envelope):
        if latencies is not None:
            latencies.append(time.time() - envelope.data["t"])

    settings = ServiceSettings(service="bench", database_url=db_url, bus=bus_settings,
                               clock=Clock(), relay_poll_interval=0.005)
    metadata = messaging_metadata()
    runtime = ServiceRuntime(settings, metadata, _P("/nonexistent"),
                             subscriptions=[Subscription("seen", ("bench.#",), handle)])
    metadata.create_all(runtime.engine)
    if runtime.engine.dialect.name == "postgresql":
        with runtime.engine.begin() as conn:
            install_outbox_trigger(conn.exec_driver_sql)
    return runtime


def _until(stop):
    stop_event = threading.Event()
    threading.Thread(target=lambda: (stop.wait(), stop_event.set()), daemon=True).start()
    return stop_event


def _run_relay(db_url, bus_settings, stop):
    _runtime(db_url, bus_settings).relay().run(_until(stop))


def _run_consumer(db_url, bus_settings, stop, latency_file):
    latencies = [] if latency_file else None
    _runtime(db_url, bus_settings, latencies).consumer().run(_until(stop))
    if latency_file:
        Path(latency_file).write_text(json.dumps(latencies))


def _count(runtime) -> int:
    from sqlalchemy import func, select
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(runtime.inbox)).scalar()


def platform(label: str, n: int | None, rate: float | None):
    from sqlalchemy.orm import Session

    from coalizione_common.config import BusSettings
    from tests.support.infrastructure import delete_broker_objects, drop_database

    tag = f"bench{uuid.uuid4().hex[:8]}"
    bus_settings = BusSettings(url=AMQP_URL, exchange=f"{tag}.events", dead_exchange=f"{tag}.dead",
                               queue_prefix=f"{tag}.")
    db_name = f"{tag}_{label}"
    db_url = _database(db_name)
    runtime = _runtime(db_url, bus_settings)
    runtime.declare_queues()
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    latency_file = f"/tmp/{tag}.latencies.json" if rate is not None else None
    consumer = ctx.Process(target=_run_consumer, args=(db_url, bus_settings, stop, latency_file))
    consumer.start()
    time.sleep(1.5)
    try:
        if n is not None:
            with Session(runtime.engine) as session, session.begin():
                for i in range(n):
                    runtime.emit(session, "bench.load", f"s{i % 100}", {"i": i, "pad": PAYLOAD})
            relay = ctx.Process(target=_run_relay, args=(db_url, bus_settings, stop))
            start = time.perf_counter()
            relay.start()
            while _count(runtime) < n:
                time.sleep(0.02)
            elapsed = time.perf_counter() - start
            return {"events": n, "eps": n / elapsed}
        relay = ctx.Process(target=_run_relay, args=(db_url, bus_settings, stop))
        relay.start()
        time.sleep(1.5)
        total = int(rate * LATENCY_SECONDS)
        interval = 1.0 / rate
        next_at = time.perf_counter()
        for i in range(total):
            next_at += interval
            with Session(runtime.engine) as session, session.begin():
                runtime.emit(session, "bench.latency", f"s{i % 100}", {"i": i, "t": time.time()})
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        deadline = time.time() + 60
        while _count(runtime) < total and time.time() < deadline:
            time.sleep(0.05)
        stop.set()
        consumer.join(15)
        latencies = json.loads(Path(latency_file).read_text())
        Path(latency_file).unlink()
        return {"events": total, "latencies": latencies}
    finally:
        stop.set()
        for proc in mp.active_children():
            proc.join(10)
            if proc.is_alive():
                proc.kill()
        runtime.engine.dispose()
        delete_broker_objects(AMQP_URL, [f"{tag}.bench.seen", f"{tag}.bench.seen.dead"],
                              [bus_settings.exchange, bus_settings.dead_exchange])
        drop_database(POSTGRES_URL, db_name)


def main() -> None:
    base = baseline(N_BASELINE)
    print(f"baseline (bare pika, confirms in windows of 100): {base:,.0f} msg/s", file=sys.stderr)
    through = platform("throughput", N_THROUGHPUT, None)
    print(f"outbox -> relay -> consumer (PostgreSQL inbox): {through['eps']:,.0f} events/s",
          file=sys.stderr)
    steady = platform("latency", None, RATE)
    lat_ms = [l * 1000 for l in steady["latencies"]]
    p50, p99 = percentile(lat_ms, 50), percentile(lat_ms, 99)
    print(f"latency at {RATE:.0f} events/s: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
          f"({len(lat_ms)} of {steady['events']} events)", file=sys.stderr)
    print(json.dumps({
        "bench": "bus", "throughput_eps": round(through["eps"], 1), "baseline_eps": round(base, 1),
        "ratio": round(through["eps"] / base, 3), "p50_ms": round(p50, 2), "p99_ms": round(p99, 2),
        "latency_rate_eps": RATE, "latency_events": len(lat_ms),
        "target": {"ratio_min": 0.30, "p99_ms_max": 50},
    }))


if __name__ == "__main__":
    main()
