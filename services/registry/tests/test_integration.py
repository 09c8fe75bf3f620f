"""Import and resync on the real PostgreSQL and RabbitMQ."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, select

from coalizione_common.config import ServiceSettings
from coalizione_common.migrations import alembic_config
from registry import bootstrap
from registry.handlers import import_files
from tests.support import backbone
from tests.support.backbone import wait_for

from .conftest import count, upserts
from .test_import import write_comuni

pytestmark = pytest.mark.integration


def registry_on(database_url, bus):
    runtime = bootstrap.build_runtime(ServiceSettings(service="registry",
                                                      database_url=database_url, bus=bus))
    return runtime


def test_first_start_seeds_the_real_data_into_postgresql(postgres_database, broker):
    runtime = registry_on(postgres_database("registry"), broker.settings())
    try:
        bootstrap.prepare(runtime, {})
        config = alembic_config(Path(bootstrap.__file__).parent / "migrations", runtime.engine)
        command.check(config)
        assert count(runtime) == 8006 and len(upserts(runtime)) == 8006
        assert import_files(runtime, bootstrap.handlers.BUNDLED_FILES).announced == 0
        bootstrap.prepare(runtime, {})
        assert len(upserts(runtime)) == 8006
        assert runtime.search.snapshot().search("bozen", limit=2)[0][0]["code"] == "021008"
    finally:
        runtime.engine.dispose()


def test_imports_and_a_resync_reach_a_consumer_through_rabbitmq(postgres_database, broker,
                                                                tmp_path):
    bus = broker.settings()
    registry = registry_on(postgres_database("registry"), bus)
    probe = backbone.build(postgres_database("probe"), bus,
                           patterns=("registry.entity.upserted",), service="probe")
    broker.track(*registry.consumer().subscriptions, *probe.consumer().subscriptions)
    stop = threading.Event()
    threads = []
    try:
        bootstrap.prepare(registry, {"REGISTRY_SEED": "0"})
        for runtime in (registry, probe):
            runtime.declare_queues()
        threads = registry.start_worker(stop) + probe.start_worker(stop)

        first = write_comuni(tmp_path / "first.csv", limit=40)
        assert import_files(registry, [first]).announced == 40
        assert wait_for(lambda: backbone.effects(probe)[0] == 40)

        def change(row):
            if row["codice_istat"] == "001001":
                row["popolazione_2023"] = str(int(row["popolazione_2023"]) + 1)
            return row
        second = write_comuni(tmp_path / "second.csv", change, limit=40)
        assert import_files(registry, [second]).announced == 1
        assert wait_for(lambda: backbone.effects(probe)[0] == 41)

        from sqlalchemy.orm import Session
        with Session(probe.engine) as session, session.begin():
            probe.emit(session, "registry.resync.requested", None, {"requested_by": "probe"})
        assert wait_for(lambda: backbone.effects(probe)[0] == 81, timeout=30)
        rows, distinct = backbone.effects(probe)
        assert rows == distinct == 81
        with probe.engine.connect() as conn:
            subjects = conn.execute(select(probe.effects.c.subject, func.count())
                                    .group_by(probe.effects.c.subject)).all()
        by_subject = dict(subjects)
        assert len(by_subject) == 40 and by_subject["001001"] == 3
        assert all(n == 2 for code, n in by_subject.items() if code != "001001")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        registry.engine.dispose()
        probe.engine.dispose()
