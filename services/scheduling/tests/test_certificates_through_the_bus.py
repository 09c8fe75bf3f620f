"""Names arrive with roster.updated and leave with roster.erased through
the worker, in order on one queue; certificates issued on the database
keep their code and lose the name. SQLite with the in-memory bus, and the
real PostgreSQL and RabbitMQ."""
from __future__ import annotations

import dataclasses
import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scheduling import bootstrap
from scheduling.adapters.orm import adhesions
from scheduling.app import create_app
from tests.support import backbone
from tests.support.backbone import wait_for
from tests.support.services import memory_bus, settings_for

from .builders import confirmed, entity_upserted, roster
from .conftest import load_comuni


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
def backend(request, tmp_path):
    if request.param == "memory":
        return memory_bus(), lambda name: f"sqlite:///{tmp_path / f'{name}.db'}"
    return request.getfixturevalue("broker").settings(), request.getfixturevalue("postgres_database")


def test_an_erasure_reaches_the_people_and_their_certificates(backend, tmp_path, request):
    bus, database = backend
    runtime = bootstrap.build_runtime(settings_for("scheduling", tmp_path, bus=bus,
                                                   now="2017-06-20T08:00:00Z",
                                                   database_url=database("scheduling"),
                                                   operator_token="op-token"))
    runtime.planning = dataclasses.replace(runtime.planning, days_target=1, time_limit=5,
                                           solver_workers=1)
    enrolment = backbone.build(database("enrolment"), bus, service="enrolmentprobe")
    if not bus.is_memory:
        request.getfixturevalue("broker").track(*runtime.consumer().subscriptions)
    stop = threading.Event()
    op = {"Authorization": "Bearer op-token"}
    try:
        bootstrap.prepare(runtime)
        runtime.declare_queues()
        runtime.start_worker(stop)
        threading.Thread(target=enrolment.relay().run, args=(stop,), daemon=True).start()
        rows = [r for r in load_comuni() if r["regione"] == "Molise"
                and r["popolazione_censimento_2011"]
                and 5000 <= int(r["popolazione_censimento_2011"]) <= 150000][:2]
        adhesion_id = str(uuid.uuid4())
        ids = [str(uuid.uuid4()) for _ in range(2)]
        with Session(enrolment.engine) as session, session.begin():
            for row in rows:
                enrolment.emit(session, "registry.entity.upserted", row["codice_istat"],
                               entity_upserted(row)[1])
            for i, row in enumerate(rows):
                aid = adhesion_id if i == 0 else str(uuid.uuid4())
                for type_, data in (roster(aid, row, 2, participant_ids=ids if i == 0 else None),
                                    confirmed(aid, row["codice_istat"])):
                    enrolment.emit(session, type_, aid, data)
        client = create_app(runtime).test_client()

        def confirmed_count():
            with runtime.engine.connect() as conn:
                return conn.execute(select(func.count()).select_from(adhesions)
                                    .where(adhesions.c.status == "confirmed")).scalar()
        assert wait_for(lambda: confirmed_count() == len(rows), timeout=60)
        assert client.post("/api/scheduling/v1/plans/publish", headers=op,
                           json={}).status_code == 201
        [day] = client.get("/api/scheduling/v1/sessions", headers=op).json["items"]
        session_id = day["id"]
        marked = client.put(f"/api/scheduling/v1/sessions/{session_id}/attendance", headers=op,
                            json={"records": [{"participant_id": pid, "present": True}
                                              for pid in ids]})
        assert marked.status_code == 200, marked.json
        issued = client.post("/api/scheduling/v1/certificates", headers=op,
                             json={"adhesion_id": adhesion_id}).json["issued"]
        assert sorted(c["participant_id"] for c in issued) == sorted(ids)
        assert all(c["holder_name"].startswith("Persona") for c in issued)

        with Session(enrolment.engine) as session, session.begin():
            enrolment.emit(session, "roster.erased", adhesion_id,
                           {"adhesion_id": adhesion_id, "person_ids": ids[:1]})

        def erased():
            people = client.get(f"/api/scheduling/v1/sessions/{session_id}/participants",
                                headers=op).json["items"]
            return any(p["participant_id"] == ids[0] and p["erased"] for p in people)
        assert wait_for(erased, timeout=60)
        checked = {c["participant_id"]: client.get(
            f"/api/scheduling/v1/certificates/verify/{c['code']}").json for c in issued}
        assert checked[ids[0]]["holder_name"] is None and checked[ids[0]]["valid"]
        assert checked[ids[1]]["holder_name"].startswith("Persona")
        person = client.get(f"/api/scheduling/v1/people/{ids[0]}", headers=op).json
        assert person["erased"] is True and person["name"] is None
        assert [c["code"] for c in person["certificates"]] == [
            c["code"] for c in issued if c["participant_id"] == ids[0]]
    finally:
        stop.set()
        for r in (runtime, enrolment):
            r.engine.dispose()
