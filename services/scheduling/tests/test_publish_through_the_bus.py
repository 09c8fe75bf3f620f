"""Publishing a plan end to end: the adhesions arrive as events through the
worker, the plan's events reach a consumer bound to the exchange; on SQLite
with the in-memory bus, and on the real PostgreSQL and RabbitMQ."""
from __future__ import annotations

import dataclasses
import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduling import bootstrap
from scheduling.adapters.orm import adhesions, assignments, sessions
from scheduling.app import create_app
from tests.support import backbone
from tests.support.backbone import wait_for
from tests.support.services import memory_bus, settings_for

from .builders import confirmed, entity_upserted, roster
from .conftest import load_comuni


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
def backend(request, tmp_path):
    """(bus settings, database URL factory, regions) for each tier."""
    if request.param == "memory":
        return memory_bus(), lambda name: f"sqlite:///{tmp_path / f'{name}.db'}", ("Umbria", "Molise")
    broker = request.getfixturevalue("broker")
    return broker.settings(), request.getfixturevalue("postgres_database"), ("Umbria",)


def test_a_published_plan_reaches_a_consumer(backend, tmp_path, request):
    bus, database, regions = backend
    runtime = bootstrap.build_runtime(settings_for("scheduling", tmp_path, bus=bus,
                                                   now="2017-06-20T08:00:00Z",
                                                   database_url=database("scheduling"),
                                                   operator_token="op-token"))
    runtime.planning = dataclasses.replace(runtime.planning, days_target=3, time_limit=10,
                                           solver_workers=2, webinar_min_bodies=2)
    enrolment = backbone.build(database("enrolment"), bus, service="enrolmentprobe")
    listener = backbone.build(database("listener"), bus, service="listener",
                              patterns=("session.#", "assignment.#"))
    if not bus.is_memory:
        request.getfixturevalue("broker").track(*runtime.consumer().subscriptions,
                                                *listener.consumer().subscriptions)
    stop = threading.Event()
    try:
        bootstrap.prepare(runtime)
        for r in (runtime, listener):
            r.declare_queues()
        runtime.start_worker(stop)
        listener.start_worker(stop)
        threading.Thread(target=enrolment.relay().run, args=(stop,), daemon=True).start()

        rows = [r for r in load_comuni() if r["regione"] in regions
                and r["popolazione_censimento_2011"]
                and 5000 <= int(r["popolazione_censimento_2011"]) <= 150000]
        with Session(enrolment.engine) as session, session.begin():
            for row in rows:
                enrolment.emit(session, "registry.entity.upserted", row["codice_istat"],
                               entity_upserted(row)[1])
            for i, row in enumerate(rows):
                adhesion_id = str(uuid.uuid4())
                for type_, data in (roster(adhesion_id, row, 3, ["reti"] if i % 2 else []),
                                    confirmed(adhesion_id, row["codice_istat"])):
                    enrolment.emit(session, type_, adhesion_id, data)

        def confirmed_count():
            with runtime.engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(adhesions)
                                    .where(adhesions.c.status == "confirmed")).scalar()
        assert wait_for(lambda: confirmed_count() == len(rows), timeout=60)

        client = create_app(runtime).test_client()
        published = client.post("/api/scheduling/v1/plans/publish",
                                headers={"Authorization": "Bearer op-token"}, json={})
        assert published.status_code == 201
        with runtime.engine.connect() as conn:
            n_sessions = conn.execute(select(func.count()).select_from(sessions)).scalar()
            n_assignments = conn.execute(select(func.count()).select_from(assignments)).scalar()
            local = conn.execute(select(func.count(assignments.c.adhesion_id.distinct()))
                                 .join(sessions, sessions.c.id == assignments.c.session_id)
                                 .where(sessions.c.kind == "in_person")).scalar()
        assert n_sessions >= 3 and local == len(rows)
        expected = n_sessions + n_assignments
        assert wait_for(lambda: backbone.effects(listener)[0] >= expected, timeout=60)
        assert backbone.effects(listener) == (expected, expected)
    finally:
        stop.set()
        for r in (runtime, enrolment, listener):
            r.engine.dispose()
