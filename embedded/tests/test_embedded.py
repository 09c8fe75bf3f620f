"""The embedded process: four services, one port, one in-memory bus."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_embedded.system import build_system
from tests.support.backbone import wait_for
from tests.support.services import embedded_environ


@pytest.fixture
def system(tmp_path):
    system = build_system(embedded_environ(tmp_path, REGISTRY_SEED="0"))
    system.start()
    yield system
    system.shutdown()


def test_every_service_answers_under_its_prefix(system):
    client = system.wsgi()
    from werkzeug.test import Client
    http = Client(client)
    for name in ("registry", "enrolment", "scheduling", "notify"):
        assert http.get(f"/api/{name}/v1/healthz").json == {"status": "ok", "service": name}
        ready = http.get(f"/api/{name}/v1/readyz")
        assert ready.status_code == 200, ready.json
    assert http.get("/healthz").status_code == 200
    whole = http.get("/readyz")
    assert whole.status_code == 200
    assert set(whole.json["services"]) == {"registry", "enrolment", "scheduling", "notify", "console"}


def test_readyz_of_the_whole_is_503_when_one_database_is_unreachable(system, tmp_path):
    from werkzeug.test import Client
    from coalizione_common.db import make_engine
    notify = system.runtimes["notify"]
    notify.engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:9/closed_port",
                                connect_args={"connect_timeout": 2})
    http = Client(system.wsgi())
    whole = http.get("/readyz")
    assert whole.status_code == 503
    assert whole.json["services"]["notify"]["database"].startswith("error")
    assert whole.json["services"]["registry"]["database"] == "ok"


def test_an_event_of_one_service_reaches_the_others_through_the_bus(system):
    registry = system.runtimes["registry"]
    entity = {"code": "040012", "name": "Forlì", "kind": "comune", "province": "FC",
              "region": "Emilia-Romagna", "population": 116434, "population_date": "2011-10-09",
              "eligible": True, "eligibility_reason": "ok", "lat": 44.2, "lon": 12.0}
    with Session(registry.engine) as session, session.begin():
        registry.emit(session, "registry.entity.upserted", entity["code"], entity)

    def replicated(service):
        runtime = system.runtimes[service]
        table = runtime.metadata.tables["entities"]
        with runtime.engine.connect() as conn:
            return conn.execute(select(table.c.name).where(table.c.code == "040012")).scalar()

    assert wait_for(lambda: replicated("enrolment") == "Forlì" and replicated("scheduling") == "Forlì",
                    timeout=10)


def test_the_confirmation_email_names_the_chosen_topics_by_their_titles(tmp_path):
    """Enrolment sends topic ids; the e-mail written by notify shows the
    titles of the edition's catalogue, not the ids."""
    from email import message_from_bytes, policy
    from werkzeug.test import Client
    system = build_system(embedded_environ(tmp_path, REGISTRY_SEED="0",
                                           COALIZIONE_NOW="2017-06-20T09:00:00+02:00"))
    system.start()
    try:
        registry = system.runtimes["registry"]
        entity = {"code": "040012", "name": "Forlì", "kind": "comune", "province": "FC",
                  "region": "Emilia-Romagna", "population": 116434,
                  "population_date": "2011-10-09", "eligible": True, "eligibility_reason": "ok",
                  "lat": 44.2, "lon": 12.0}
        with Session(registry.engine) as session, session.begin():
            registry.emit(session, "registry.entity.upserted", entity["code"], entity)
        http = Client(system.wsgi())
        assert wait_for(lambda: http.get("/api/enrolment/v1/entities?q=forli").json["items"],
                        timeout=10)
        r = http.post("/api/enrolment/v1/adhesions", json={
            "entity_code": "040012",
            "contact": {"name": "Maria Rossi", "role": "dirigente",
                        "email": "maria.rossi@comune.forli.fc.it", "phone": "0543 712111"},
            "participants": [{"name": "Luca Bianchi", "role": "funzionario",
                              "email": "luca.bianchi@comune.forli.fc.it",
                              "office": "Servizi sociali"}],
            "webinar_topics": ["msna", "accoglienza-integrata"], "privacy_notice_read": True})
        assert r.status_code == 201, r.json
        mail = tmp_path / "mail"
        assert wait_for(lambda: list(mail.glob("*.eml")), timeout=20)
        [eml] = list(mail.glob("*.eml"))
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        text = message.get_body(("plain",)).get_content()
        assert ("Minori stranieri non accompagnati; Accoglienza integrata e ruolo del Comune"
                in text), text
        assert "Msna" not in text
    finally:
        system.shutdown()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_run_process_serves_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = _free_port()
    env = dict(os.environ, PORT=str(port), **embedded_environ(tmp_path, REGISTRY_SEED="0"))
    proc = subprocess.Popen([sys.executable, "-m", "coalizione_embedded"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        def up():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
                    return r.status == 200
            except OSError:
                return False
        assert wait_for(up, timeout=60), proc.stderr.read1().decode() if proc.poll() else "not up"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
