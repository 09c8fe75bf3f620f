"""What the services really publish keeps the contract: each service's own
code paths run (SQLite, in-memory bus) and every event they wrote to their
outbox is checked against docs/events/. tests/contract/plugin.py does the
same for every event the whole suite emits, when it is enabled."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from tests.contract.schemas import problems
from tests.support.services import build_service

WINDOW = "2017-06-20T09:00:00+02:00"


def outbox(runtime) -> list[dict]:
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.outbox.c.body).order_by(runtime.outbox.c.id)).scalars()
        return [json.loads(body) for body in rows]


def assert_keeps_the_contract(events: list[dict]) -> Counter:
    broken = {e["id"]: (e["type"], problems(e)) for e in events if problems(e)}
    assert not broken, json.dumps(broken, indent=1, ensure_ascii=False)[:4000]
    return Counter(e["type"] for e in events)


@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv("REGISTRY_SEED", "0")
    runtime = build_service("registry", tmp_path, now=WINDOW)
    yield runtime
    runtime.engine.dispose()


def test_the_registry_announces_entities_as_the_contract_says(registry, tmp_path):
    """An import of real ISTAT rows (the first 300 comuni of the bundled
    file and every supra-municipal body), then a resync."""
    from sqlalchemy.orm import Session

    from coalizione_common.envelope import Envelope
    from registry import handlers
    comuni, bodies = handlers.BUNDLED_FILES
    sample = tmp_path / comuni.name
    with comuni.open(encoding="utf-8", newline="") as source:
        sample.write_text("".join(line for _, line in zip(range(301), source)), encoding="utf-8")
    handlers.import_files(registry, [sample, bodies])
    request = Envelope.new("registry.resync.requested", "enrolment", "registry",
                           {"requested_by": "contract-test"}, registry.clock.now())
    with Session(registry.engine) as session, session.begin():
        handlers.resync(registry, session, request)
    counts = assert_keeps_the_contract(outbox(registry))
    assert counts["registry.entity.upserted"] >= 2 * 300


def test_the_enrolment_publishes_its_lifecycle_as_the_contract_says(tmp_path):
    from enrolment.app import create_app
    runtime = build_service("enrolment", tmp_path, now=WINDOW)
    try:
        _seed_enrolment(runtime)
        client = create_app(runtime).test_client()
        topics = [t["id"] for t in client.get("/api/enrolment/v1/topics").get_json()["items"]][:2]
        created = client.post("/api/enrolment/v1/adhesions", json=_adhesion(topics))
        assert created.status_code == 201, created.get_json()
        body = created.get_json()
        withdrawn = client.post(f"/api/enrolment/v1/adhesions/{body['id']}/withdraw",
                                headers={"Authorization": f"Bearer {body['token']}"})
        assert withdrawn.status_code in (200, 204), withdrawn.get_data(as_text=True)
        counts = assert_keeps_the_contract(outbox(runtime))
    finally:
        runtime.engine.dispose()
    assert counts["adhesion.submitted"] == 1 and counts["adhesion.withdrawn"] == 1
    assert counts["roster.updated"] >= 2


def _seed_enrolment(runtime) -> None:
    """The replica filled through the enrolment's own consumer handler,
    from an entity event as the registry publishes it."""
    from sqlalchemy.orm import Session

    from coalizione_common.envelope import Envelope
    from enrolment import handlers
    from tests.contract.schemas import examples
    entity = examples()["registry.entity.upserted"]
    with Session(runtime.engine) as session, session.begin():
        handlers.replicate_entity(runtime, session, Envelope.from_json(json.dumps(entity)))


def _adhesion(topics: list[str]) -> dict:
    return {
        "entity_code": "040012",
        "contact": {"name": "Maria Rossi", "role": "dirigente",
                    "email": "maria.rossi@comune.forli.fc.it", "phone": "+39 0543 712111"},
        "participants": [{"name": "Luca Bianchi", "role": "funzionario",
                          "email": "luca.bianchi@comune.forli.fc.it", "office": "Servizi sociali"},
                         {"name": "Anna Verdi", "role": "amministratore",
                          "email": "anna.verdi@comune.forli.fc.it", "office": "Giunta"}],
        "webinar_topics": topics,
        "privacy_notice_read": True,
    }
