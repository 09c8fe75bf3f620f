"""The event backbone end to end: outbox, relay, consumer, inbox, dead letters."""
from __future__ import annotations

from kombu import Connection
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.bus import ConfirmingPublisher, OutgoingMessage
from coalizione_common.deadletters import list_dead_letters, replay_dead_letters
from coalizione_common.envelope import Envelope

from tests.support.backbone import build, effects, emit_many, wait_for


def start(runtime, broker, stop):
    if broker is not None:
        broker.track(*runtime.consumer().subscriptions)
    runtime.declare_queues()
    return runtime.start_worker(stop)


def publish_raw(runtime, body: bytes, routing_key: str, message_id=None):
    with Connection(runtime.bus.settings.url) as conn:
        publisher = ConfirmingPublisher(conn)
        publisher.publish([OutgoingMessage(body=body, routing_key=routing_key,
                                           exchange=runtime.bus.exchange.name,
                                           message_id=message_id)])
        publisher.close()


def test_events_written_through_the_outbox_are_handled_once(backend, stop):
    url, bus, broker = backend
    runtime = build(url, bus)
    start(runtime, broker, stop)
    ids = emit_many(runtime, 300, per_transaction=100)
    assert wait_for(lambda: effects(runtime)[0] >= 300, timeout=30)
    rows, distinct = effects(runtime)
    assert (rows, distinct) == (300, 300)
    assert len(set(ids)) == 300
    with runtime.engine.connect() as conn:
        handled = [r.event_id for r in conn.execute(
            select(runtime.effects.c.event_id).order_by(runtime.effects.c.n))]
    assert handled == ids, "events are handled in the order they were written"


def test_an_event_delivered_twice_has_one_effect(backend, stop):
    url, bus, broker = backend
    runtime = build(url, bus)
    start(runtime, broker, stop)
    envelope = Envelope.new("thing.repeated", "probe", "s1", {"x": 1}, runtime.clock.now())
    for _ in range(3):
        publish_raw(runtime, envelope.to_json().encode(), "thing.repeated", envelope.id)
    emit_many(runtime, 1, type="thing.marker")
    assert wait_for(lambda: effects(runtime)[0] >= 2)
    assert wait_for(lambda: False, timeout=0.5) is False  # let stragglers arrive
    assert effects(runtime) == (2, 2)


def test_a_failing_handler_is_retried_then_dead_lettered_and_replayed_once(backend, stop):
    url, bus, broker = backend
    calls = {"poison": 0}
    broken = {"on": True}

    def handler(envelope):
        if envelope.data.get("poison"):
            calls["poison"] += 1
            if broken["on"]:
                raise RuntimeError("cannot handle this one yet")

    runtime = build(url, bus, handler=handler)
    consumer_queue = next(iter(runtime.consumer().subscriptions))
    start(runtime, broker, stop)
    with Session(runtime.engine) as session, session.begin():
        runtime.emit(session, "thing.first", "a", {"i": 1})
        poison = runtime.emit(session, "thing.poison", "b", {"poison": True})
        runtime.emit(session, "thing.third", "c", {"i": 3})
    assert wait_for(lambda: len(list_dead_letters(runtime.bus, consumer_queue)) == 1, timeout=30)
    assert wait_for(lambda: effects(runtime) == (2, 2)), "the other messages were handled"
    assert calls["poison"] == bus.max_attempts + 1  # the batch attempt, then bounded retries
    [letter] = list_dead_letters(runtime.bus, consumer_queue)
    assert letter.message_id == poison.id
    assert "cannot handle this one yet" in letter.error
    assert letter.attempts == bus.max_attempts

    emit_many(runtime, 5)
    assert wait_for(lambda: effects(runtime)[0] == 7)

    broken["on"] = False
    replayed = replay_dead_letters(runtime.bus, consumer_queue)
    assert [r.message_id for r in replayed] == [poison.id]
    assert wait_for(lambda: effects(runtime)[0] == 8)
    replay_dead_letters(runtime.bus, consumer_queue)  # nothing left: nothing happens
    assert wait_for(lambda: False, timeout=0.5) is False
    assert effects(runtime) == (8, 8)
    assert list_dead_letters(runtime.bus, consumer_queue) == []


def test_an_operational_error_of_a_reachable_database_is_dead_lettered_not_retried_for_ever(
        backend, stop):
    """A statement that always fails with an OperationalError (a timeout, a
    limit of the engine) while the database answers is the event's fault:
    bounded retries, then a dead letter, and the queue moves on."""
    from sqlalchemy.exc import OperationalError
    url, bus, broker = backend
    calls = {"slow": 0}

    def handler(envelope):
        if envelope.data.get("slow"):
            calls["slow"] += 1
            raise OperationalError("SELECT ...", {}, Exception(
                "canceling statement due to statement timeout"))

    runtime = build(url, bus, handler=handler)
    consumer_queue = next(iter(runtime.consumer().subscriptions))
    start(runtime, broker, stop)
    with Session(runtime.engine) as session, session.begin():
        slow = runtime.emit(session, "thing.slow", "a", {"slow": True})
        runtime.emit(session, "thing.after", "b", {"i": 2})
    assert wait_for(lambda: len(list_dead_letters(runtime.bus, consumer_queue)) == 1, timeout=30)
    [letter] = list_dead_letters(runtime.bus, consumer_queue)
    assert letter.message_id == slow.id and "statement timeout" in letter.error
    assert wait_for(lambda: effects(runtime) == (1, 1)), "the next event was handled"
    assert calls["slow"] <= bus.max_attempts + 1


def test_a_broken_body_is_dead_lettered_at_once_and_consuming_goes_on(backend, stop):
    url, bus, broker = backend
    attempts = []
    runtime = build(url, bus, handler=lambda e: attempts.append(e.id))
    consumer_queue = next(iter(runtime.consumer().subscriptions))
    start(runtime, broker, stop)
    publish_raw(runtime, b"\xff{not json", "thing.broken", "broken-1")
    publish_raw(runtime, b'{"specversion": "1.0", "type": "thing.x"}', "thing.partial", "broken-2")
    emit_many(runtime, 10)
    assert wait_for(lambda: effects(runtime)[0] == 10)
    assert wait_for(lambda: len(list_dead_letters(runtime.bus, consumer_queue)) == 2)
    letters = {l.message_id: l for l in list_dead_letters(runtime.bus, consumer_queue)}
    assert letters["broken-1"].attempts == 0
    assert "not JSON" in letters["broken-1"].error
    assert "missing or empty attributes: id, source" in letters["broken-2"].error
    assert len(attempts) == 10


def test_events_committed_a_few_ms_apart_travel_and_are_handled_in_batches(backend, stop):
    """Set for throughput (a relay that lingers after a commit wakes it, on
    PostgreSQL; a consumer whose batch stays open through pauses), events
    committed one per transaction a few milliseconds apart cost fewer
    publishes and fewer transactions than events, each still handled once
    and in order."""
    import threading
    import time

    url, bus, broker = backend
    runtime = build(url, bus, relay_linger=0.1, consumer_batch_window=0.1,
                    consumer_batch_gap=0.1)
    relay, consumer = runtime.relay(), runtime.consumer()
    commits = []
    consumer.on_commit = lambda: commits.append(1)
    if broker is not None:
        broker.track(*consumer.subscriptions)
    runtime.declare_queues()
    for target in (relay.run, consumer.run):
        threading.Thread(target=target, args=(stop,), daemon=True).start()
    ids = []
    for _ in range(30):
        ids += emit_many(runtime, 1)
        time.sleep(0.004)
    assert wait_for(lambda: effects(runtime)[0] >= 30, timeout=30)
    assert effects(runtime) == (30, 30)
    with runtime.engine.connect() as conn:
        handled = [r.event_id for r in conn.execute(
            select(runtime.effects.c.event_id).order_by(runtime.effects.c.n))]
        batches = conn.execute(select(runtime.outbox.c.published_at).distinct()).all()
    assert handled == ids
    assert len(commits) <= 15, f"{len(commits)} consumer transactions for 30 events"
    if runtime.engine.dialect.name == "postgresql":
        assert len(batches) <= 15, f"{len(batches)} relay batches for 30 events"
