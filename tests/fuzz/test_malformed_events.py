"""Hostile input on the bus: hypothesis-generated malformed events
published to the test exchange on the real RabbitMQ while every service's
worker runs. Each consumer dead-letters what it cannot read, leaves no
message stuck, and handles a good event afterwards.

Three kinds of malformed message, for every event type a service consumes:

- broken bodies (bytes that are not a JSON object, valid documents cut short):
  dead-lettered by every queue they reach, at once;
- envelopes missing a CloudEvents attribute (or with a wrong one, or
  ``data`` that is not an object): dead-lettered likewise;
- well-formed envelopes whose ``data`` has a field of the wrong type or
  missing: each is either dead-lettered or handled (recorded in the inbox),
  never stuck; how many a service accepted is printed for the report.
"""
from __future__ import annotations

import copy
import json
import threading
import uuid
from pathlib import Path

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings, strategies as st
from kombu import Connection
from sqlalchemy import select

from coalizione_common.bus import Bus, ConfirmingPublisher, OutgoingMessage
from coalizione_common.deadletters import list_dead_letters
from tests.fuzz import services_under_test as sut
from tests.support.backbone import wait_for
from tests.support.services import build_service

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "events" / "examples"
PER_TYPE = 4


def _example(type: str) -> dict:
    return json.loads((EXAMPLES / f"{type}.json").read_text())


def _consumed_types(runtimes) -> dict[str, list[str]]:
    """event type -> the queues it reaches (by the services' own patterns)."""
    types = sorted(p.stem.removesuffix(".json") for p in EXAMPLES.glob("*.json"))
    reach = {}
    for type in types:
        queues = [runtime.bus.queue_name(runtime.name, sub.name) for runtime in runtimes
                  for sub in runtime.subscriptions if any(sut._matches(p, type) for p in sub.patterns)]
        if queues:
            reach[type] = queues
    return reach


def _collect(strategy, count: int) -> list:
    found = []

    @given(strategy)
    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    def gather(value):
        found.append(value)

    gather()
    return found[:count]


def _not_an_object(raw: bytes) -> bool:
    try:
        return not isinstance(json.loads(raw), dict)
    except (ValueError, UnicodeDecodeError):
        return True


def broken_bodies(type: str):
    whole = json.dumps(_example(type)).encode()
    cut = st.integers(min_value=0, max_value=len(whole) - 1).map(lambda n: whole[:n])
    noise = st.binary(max_size=200)
    scalars = st.one_of(st.integers(), st.text(max_size=20), st.lists(st.integers(), max_size=3),
                        st.none(), st.booleans()).map(lambda v: json.dumps(v).encode())
    return st.one_of(cut, noise, scalars).filter(_not_an_object)


BAD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                       st.text(max_size=10), st.lists(st.integers(), max_size=2),
                       st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def _json_type(value):
    return type(value).__name__ if not isinstance(value, bool) else "bool"


def broken_envelopes(type: str):
    base = _example(type)

    def spoil(choice):
        attribute, value, drop = choice
        doc = copy.deepcopy(base)
        if attribute == "data":
            doc["data"] = value if not isinstance(value, dict) else [value]
        elif attribute == "specversion" and not drop:
            doc["specversion"] = "0.3" if value == "1.0" else value
        elif drop:
            doc.pop(attribute)
        else:
            doc[attribute] = value if not isinstance(value, str) or value == "" else ""
        return json.dumps(doc).encode()

    return st.tuples(st.sampled_from(["specversion", "id", "source", "type", "data"]),
                     BAD_VALUES, st.booleans()).map(spoil)


def wrong_data(type: str):
    base = _example(type)
    keys = sorted(base["data"])

    def spoil(choice):
        key, value, drop = choice
        doc = copy.deepcopy(base)
        if drop:
            doc["data"].pop(key)
        elif _json_type(value) != _json_type(base["data"][key]):
            doc["data"][key] = value
        else:
            doc["data"][key] = [value]
        return doc

    return st.tuples(st.sampled_from(keys), BAD_VALUES, st.booleans()).map(spoil)


@pytest.fixture
def workers(broker, tmp_path):
    bus = broker.settings(max_attempts=1)
    runtimes = []
    with sut.environment(sut.ENVIRONMENT):
        for service in sut.SERVICES:
            folder = tmp_path / service
            folder.mkdir()
            runtimes.append(build_service(service, folder, bus=bus, now=sut.NOW))
    for runtime in runtimes:
        runtime.declare_queues()
        broker.track(*(runtime.bus.queue_name(runtime.name, s.name) for s in runtime.subscriptions))
    stop = threading.Event()
    threads = [t for runtime in runtimes for t in runtime.start_worker(stop)]
    yield runtimes, bus, threads
    stop.set()
    for thread in threads:
        thread.join(timeout=15)


def _publish(bus_settings, messages: list[tuple[str, bytes, str]]) -> None:
    bus = Bus(bus_settings)
    with Connection(bus_settings.url) as conn:
        publisher = ConfirmingPublisher(conn)
        publisher.publish([OutgoingMessage(body=body, routing_key=key, exchange=bus.exchange.name,
                                           message_id=message_id)
                           for key, body, message_id in messages])
        publisher.close()


def _handled(runtimes) -> set[tuple[str, str]]:
    pairs = set()
    for runtime in runtimes:
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(runtime.inbox.c.consumer, runtime.inbox.c.event_id))
            pairs.update((row.consumer, row.event_id) for row in rows)
    return pairs


def _dead(bus: Bus, queues) -> set[tuple[str, str]]:
    return {(q, letter.message_id) for q in queues for letter in list_dead_letters(bus, q)}


def _ready(bus_settings, queue: str) -> int:
    with Connection(bus_settings.url) as conn:
        return conn.default_channel.queue_declare(queue, passive=True).message_count


def test_consumers_dead_letter_malformed_events_and_keep_working(workers):
    runtimes, bus_settings, threads = workers
    bus = Bus(bus_settings)
    reach = _consumed_types(runtimes)
    assert {q for qs in reach.values() for q in qs} == {
        bus.queue_name(r.name, s.name) for r in runtimes for s in r.subscriptions}

    unreadable, wrong = [], []  # (routing key, body, message id)
    for type in sorted(reach):
        for body in _collect(broken_bodies(type), PER_TYPE) + _collect(broken_envelopes(type),
                                                                        PER_TYPE):
            unreadable.append((type, body, f"bad-{uuid.uuid4()}"))
        for doc in _collect(wrong_data(type), PER_TYPE):
            doc["id"] = str(uuid.uuid4())
            wrong.append((type, json.dumps(doc).encode(), doc["id"]))
    _publish(bus_settings, unreadable + wrong)

    queues = sorted({q for qs in reach.values() for q in qs})
    must_die = {(q, mid) for key, _, mid in unreadable for q in reach[key]}
    settled = {(q, mid) for key, _, mid in wrong for q in reach[key]}
    outcome = {}

    def all_accounted() -> bool:
        outcome["dead"] = _dead(bus, queues)
        outcome["handled"] = _handled(runtimes)
        return must_die <= outcome["dead"] and settled <= outcome["dead"] | outcome["handled"]

    assert wait_for(all_accounted, timeout=180, interval=1.0), (
        sorted(must_die - outcome["dead"])[:5],
        sorted(settled - outcome["dead"] - outcome["handled"])[:5])
    assert not must_die & outcome["handled"]
    accepted = sorted(pair for pair in settled if pair in outcome["handled"])
    print(f"\n{len(unreadable)} unreadable messages, {len(must_die)} dead letters; "
          f"{len(wrong)} with wrong data: {len(settled & outcome['dead'])} dead-lettered, "
          f"{len(accepted)} accepted by a handler")
    by_queue = {}
    for queue, mid in accepted:
        by_queue[queue] = by_queue.get(queue, 0) + 1
    print(f"accepted with wrong data, by queue: {by_queue}")

    good = []
    for type in sorted(reach):
        doc = _example(type)
        doc["id"] = str(uuid.uuid4())
        good.append((type, json.dumps(doc).encode(), doc["id"]))
    _publish(bus_settings, good)
    expected = {(q, mid) for key, _, mid in good for q in reach[key]}
    assert wait_for(lambda: expected <= _handled(runtimes), timeout=60, interval=0.5), sorted(
        expected - _handled(runtimes))
    assert not expected & _dead(bus, queues)
    assert all(thread.is_alive() for thread in threads)
    assert [q for q in queues if _ready(bus_settings, q)] == []
