"""The outbox beyond the relay loop: pruning after the retention period,
and the event log of published envelopes."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tests.support.backbone import build, emit_many
from tests.support.services import memory_bus


def count(runtime, published: bool) -> int:
    column = runtime.outbox.c.published_at
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(runtime.outbox).where(
            column.is_not(None) if published else column.is_(None))).scalar()


def test_only_old_published_rows_are_pruned(tmp_path):
    runtime = build(f"sqlite:///{tmp_path / 'p.db'}", memory_bus())
    runtime.settings = dataclasses.replace(runtime.settings, outbox_retention_days=7)
    emit_many(runtime, 30)
    now = runtime.clock.now()
    with Session(runtime.engine) as session, session.begin():
        ids = session.execute(select(runtime.outbox.c.id).order_by(runtime.outbox.c.id)).scalars().all()
        session.execute(update(runtime.outbox).where(runtime.outbox.c.id.in_(ids[:10]))
                        .values(published_at=now - timedelta(days=8)))
        session.execute(update(runtime.outbox).where(runtime.outbox.c.id.in_(ids[10:20]))
                        .values(published_at=now - timedelta(days=1)))
    assert runtime.prune_outbox() == 10
    assert count(runtime, published=True) == 10
    assert count(runtime, published=False) == 10


def test_the_relay_appends_published_events_to_the_event_log(tmp_path):
    import json
    from coalizione_common.outbox import Relay
    runtime = build(f"sqlite:///{tmp_path / 'l.db'}", memory_bus())
    ids = emit_many(runtime, 12)
    runtime.declare_queues()
    relay = Relay(runtime.engine, runtime.outbox, runtime.bus, event_log=str(tmp_path / "ev.jsonl"))
    assert relay.publish_batch() == 12
    lines = (tmp_path / "ev.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ids


def test_a_job_woken_by_events_runs_right_after_the_consumer_commits(tmp_path):
    import threading
    from coalizione_common.runtime import PeriodicJob
    from tests.support.backbone import wait_for
    runtime = build(f"sqlite:///{tmp_path / 'w.db'}", memory_bus())
    runs = []
    runtime.periodic.append(PeriodicJob("follow-up", 3600.0, lambda: runs.append(1),
                                        wake_on_events=True))
    runtime.declare_queues()
    stop = threading.Event()
    try:
        runtime.start_worker(stop)
        emit_many(runtime, 3)
        assert wait_for(lambda: runs, timeout=10), "woken long before its hour-long period"
    finally:
        stop.set()


@pytest.mark.integration
def test_the_relay_does_not_read_the_whole_outbox_once_it_has_grown(postgres_database):
    """The relay's statements are prepared on the server while a fresh
    outbox is nearly empty; once it holds thousands of published rows, a
    batch must still be found and marked through the indexes, not by reading
    the whole table, even if no ANALYZE ever runs (autovacuum off)."""
    import time
    from sqlalchemy import insert, text
    from coalizione_common.outbox import Relay
    runtime = build(postgres_database("plans"), memory_bus())
    runtime.declare_queues()
    relay = Relay(runtime.engine, runtime.outbox, runtime.bus)

    def publish_two(times: int) -> None:
        for _ in range(times):
            emit_many(runtime, 2)
            assert relay.publish_batch() == 2

    def tuples_read_by_scans() -> int:
        with relay._db.begin():  # the relay's own server process reports its counts
            relay._db.execute(text("SELECT pg_stat_force_next_flush()"))
        time.sleep(0.2)
        with runtime.engine.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            return conn.execute(text(
                "SELECT seq_tup_read FROM pg_stat_user_tables WHERE relname = 'outbox'")).scalar()

    publish_two(15)  # psycopg prepares from the 5th run, PostgreSQL plans once after 5 more
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        conn.execute(insert(runtime.outbox), [
            {"event_id": f"old-{i}", "type": "thing.happened", "subject": "s", "body": "{}",
             "created_at": now, "published_at": now} for i in range(5000)])
    before = tuples_read_by_scans()
    publish_two(5)
    assert tuples_read_by_scans() - before < 5000
