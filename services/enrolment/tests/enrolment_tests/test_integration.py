"""The enrolment on the real PostgreSQL and RabbitMQ: events reach the
broker, one body gets one adhesion however the race goes, and the
enrolment keeps working with the registry stopped."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from alembic import command
from sqlalchemy import text

from coalizione_common.migrations import alembic_config
from enrolment import bootstrap
from enrolment.adapters import repository
from enrolment.app import create_app
from tests.support import backbone
from tests.support.services import settings_for

from .builders import API, adhesion, registry_subset, seed
from .conftest import WINDOW

pytestmark = pytest.mark.integration


@pytest.fixture
def stop():
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def bus(broker):
    return broker.settings()


@pytest.fixture
def enrolment(tmp_path, bus, broker, postgres_database):
    runtime = bootstrap.build_runtime(settings_for(
        "enrolment", tmp_path, bus=bus, now=WINDOW, database_url=postgres_database("enrolment")))
    bootstrap.prepare(runtime)
    broker.track(*runtime.consumer().subscriptions)
    yield runtime
    runtime.engine.dispose()


def probe(tmp_path, bus, broker, patterns=("adhesion.#", "roster.#")):
    """A consumer on its own queue that keeps every event it receives."""
    seen = []
    runtime = backbone.build(f"sqlite:///{tmp_path / 'probe.db'}", bus,
                             handler=seen.append, patterns=patterns)
    broker.track(*runtime.consumer().subscriptions)
    runtime.declare_queues()
    return runtime, seen


def test_the_schema_on_postgresql_matches_the_metadata_and_has_the_partial_index(enrolment):
    command.check(alembic_config(bootstrap.MIGRATIONS, enrolment.engine))
    with enrolment.engine.connect() as conn:
        definition = conn.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ux_adhesions_active_entity'")
        ).scalar()
    assert "UNIQUE" in definition and "WHERE" in definition and "pending_confirmation" in definition


def test_a_submission_on_postgresql_reaches_rabbitmq_through_the_worker(enrolment, tmp_path, bus,
                                                                         broker, stop):
    seed(enrolment)
    listener, seen = probe(tmp_path, bus, broker)
    listener.start_worker(stop)
    client = create_app(enrolment).test_client()
    created = client.post(f"{API}/adhesions", json=adhesion())
    assert created.status_code == 201, created.json
    confirm = created.json["id"]
    enrolment.start_worker(stop)
    assert backbone.wait_for(lambda: len(seen) >= 2, timeout=30)
    types = sorted(e.type for e in seen)
    assert types == ["adhesion.submitted", "roster.updated"]
    submitted = next(e for e in seen if e.type == "adhesion.submitted")
    assert submitted.subject == confirm and submitted.source == "/coalizione/enrolment"
    assert submitted.data["entity"]["name"] == "Forlì"
    roster = next(e for e in seen if e.type == "roster.updated")
    assert roster.data["links"]["confirm"].startswith(f"http://127.0.0.1:8000/adesione/{confirm}")
    with enrolment.engine.connect() as conn:
        unsent = conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL")).scalar()
    assert unsent == 0


def _race(app, body, rounds_barrier):
    results = []

    def post():
        client = app.test_client()
        rounds_barrier.wait()
        response = client.post(f"{API}/adhesions", json=body)
        results.append((response.status_code, response.json["type"] if response.status_code
                        != 201 else None))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(results, key=lambda r: r[0])


@pytest.mark.parametrize("precheck", ["with the application check", "database alone"])
def test_two_concurrent_submissions_for_one_body_give_one_201_and_one_409(enrolment, monkeypatch,
                                                                          precheck):
    seed(enrolment)
    if precheck == "database alone":
        # Without the friendly pre-check (``taken``) only the partial unique
        # index can stop the second adhesion; it fails in the pipeline, at the
        # COMMIT's sync, and must leave nothing of that adhesion behind.
        read = repository.entity_for_enrolment
        monkeypatch.setattr(repository, "entity_for_enrolment", lambda *args: SimpleNamespace(
            **dict(read(*args)._asdict(), taken=False)))
    app = create_app(enrolment)
    app.extensions["enrolment_rate_limiter"].limit = 0
    for code in ("040012", "040013", "021008", "U00001"):
        results = _race(app, adhesion(code), threading.Barrier(2))
        assert results == [(201, None), (409, "/problems/already-enrolled")], (code, results)
    with enrolment.engine.connect() as conn:
        counts = conn.execute(text("SELECT entity_code, count(*) FROM adhesions "
                                   "GROUP BY entity_code")).all()
        events = conn.execute(text("SELECT count(*) FROM outbox WHERE type = "
                                   "'adhesion.submitted'")).scalar()
        orphans = conn.execute(text("SELECT count(*) FROM people WHERE adhesion_id NOT IN "
                                    "(SELECT id FROM adhesions)")).scalar()
    assert sorted(c for _, c in counts) == [1, 1, 1, 1] and events == 4 and orphans == 0


def _round_trips(trace: str) -> int:
    """How many times the client waited for the server, in a libpq trace:
    each run of lines the client sent ("F") followed by the server's ("B")."""
    lines = [line.split("\t", 1)[0] for line in trace.splitlines() if line.strip()]
    return sum(1 for sent, answer in zip(lines, lines[1:]) if sent == "F" and answer == "B")


def test_a_submission_on_postgresql_takes_two_round_trips(enrolment, tmp_path):
    """BEGIN goes with the replica's row, the inserts with the COMMIT, and
    the pool checks a connection without a query (coalizione_common.db)."""
    import psycopg
    from sqlalchemy import event
    seed(enrolment)
    client = create_app(enrolment).test_client()
    client.post(f"{API}/adhesions", json=adhesion("040013"))  # statements prepared, pool warm
    trace = tmp_path / "libpq.trace"
    with open(trace, "w") as out:
        def traced(dbapi_conn, _record, _proxy):
            dbapi_conn.pgconn.trace(out.fileno())
            dbapi_conn.pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)

        def untraced(dbapi_conn, _record):
            dbapi_conn.pgconn.untrace()
        event.listen(enrolment.engine, "checkout", traced)
        event.listen(enrolment.engine, "checkin", untraced)
        try:
            created = client.post(f"{API}/adhesions", json=adhesion("040012"))
        finally:
            event.remove(enrolment.engine, "checkout", traced)
            event.remove(enrolment.engine, "checkin", untraced)
    assert created.status_code == 201, created.json
    recorded = trace.read_text()
    assert "COMMIT" in recorded
    assert _round_trips(recorded) == 2, recorded


def test_with_the_registry_stopped_an_eligible_body_still_enrols(tmp_path, bus, broker,
                                                                  postgres_database, enrolment):
    from registry import bootstrap as registry_bootstrap
    from registry import handlers as registry_handlers
    registry = registry_bootstrap.build_runtime(settings_for(
        "registry", tmp_path, bus=bus, now=WINDOW, database_url=postgres_database("registry")),
        environ={"REGISTRY_SEED": "0"})
    registry_bootstrap.prepare(registry, environ={"REGISTRY_SEED": "0"})
    broker.track(*registry.consumer().subscriptions)
    registry_stop, enrolment_stop = threading.Event(), threading.Event()
    try:
        enrolment.declare_queues()
        registry.declare_queues()
        registry_handlers.import_files(registry, [registry_subset(tmp_path)])
        registry_threads = registry.start_worker(registry_stop)
        enrolment.start_worker(enrolment_stop)

        def replicated():
            with enrolment.engine.connect() as conn:
                return conn.execute(text("SELECT eligible FROM entities WHERE code = '040012'")
                                    ).scalar()
        assert backbone.wait_for(lambda: replicated() is True, timeout=30)
        registry_stop.set()
        for thread in registry_threads:
            thread.join(timeout=10)
        registry.engine.dispose()
        assert all(not t.is_alive() for t in registry_threads)

        client = create_app(enrolment).test_client()
        created = client.post(f"{API}/adhesions", json=adhesion("040012"))
        assert created.status_code == 201, created.json
        too_big = client.post(f"{API}/adhesions", json=adhesion("037006"))
        assert too_big.status_code == 422 and too_big.json["type"].endswith("/not-eligible")
    finally:
        registry_stop.set()
        enrolment_stop.set()


def test_two_retention_runs_at_once_on_postgresql_erase_and_announce_each_person_once(enrolment):
    from enrolment import erasure

    from .test_api import move_clock
    seed(enrolment)
    client = create_app(enrolment).test_client()
    created = [client.post(f"{API}/adhesions", json=adhesion(code)).json
               for code in ("040012", "040013", "021008", "U00001")]
    move_clock(enrolment, "2020-08-01T09:00:00+02:00")
    barrier, results = threading.Barrier(2), []

    def run():
        barrier.wait()
        results.append(erasure.erase_expired(enrolment))
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    erased = sorted((e.adhesion_id, tuple(e.person_ids)) for run in results for e in run)
    assert erased == sorted(
        (a["id"], tuple(sorted([a["contact"]["id"]] + [p["id"] for p in a["participants"]])))
        for a in created)
    with enrolment.engine.connect() as conn:
        announced = conn.execute(text("SELECT count(*) FROM outbox WHERE type = "
                                      "'roster.erased'")).scalar()
        left = conn.execute(text("SELECT count(*) FROM people WHERE email IS NOT NULL "
                                 "OR erased_at IS NULL")).scalar()
    assert announced == 4 and left == 0


def test_a_nul_character_postgresql_refuses_is_a_400_not_a_500(enrolment):
    seed(enrolment)
    client = create_app(enrolment).test_client()
    search = client.get(f"{API}/entities?q=forl%00i")
    assert search.status_code == 400 and search.mimetype == "application/problem+json"
    page = client.get("/adesione/%00?token=x", headers={"Accept": "text/html"})
    assert page.status_code in (400, 404) and page.mimetype == "text/html"
    assert "<html lang=\"it\">" in page.get_data(as_text=True)
    assert client.get(f"{API}/entities?q=forl").status_code == 200


def test_a_new_link_asked_while_a_confirmation_commits_is_not_issued(enrolment):
    """A 'send the link again' racing a confirmation waits for it and then
    finds nothing to confirm: no new link, no confirmation request mailed
    to the contact of a confirmed adhesion."""
    from enrolment import handlers
    from .builders import outbox
    seed(enrolment)
    created = create_app(enrolment).test_client().post(f"{API}/adhesions", json=adhesion())
    adhesion_id = created.json["id"]
    results = []
    with enrolment.engine.connect() as confirming:
        confirming.begin()
        confirming.execute(text("SELECT id FROM adhesions WHERE id = :id FOR UPDATE"),
                           {"id": adhesion_id})
        asking = threading.Thread(target=lambda: results.append(
            handlers.request_confirmation(enrolment, adhesion_id)))
        asking.start()
        asking.join(0.5)
        assert asking.is_alive(), "the request waits for the confirmation's lock"
        confirming.execute(text("UPDATE adhesions SET status = 'confirmed', "
                                "confirm_token_hash = NULL WHERE id = :id"), {"id": adhesion_id})
        confirming.commit()
    asking.join(10)
    assert results == [False]
    reasons = [e["data"]["reason"] for e in outbox(enrolment, "roster.updated")]
    assert reasons == ["submitted"]
