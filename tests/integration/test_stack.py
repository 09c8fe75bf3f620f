"""``make stack``: every service as its own gunicorn and worker process on
the real RabbitMQ and PostgreSQL, one entry port; an event crosses process
boundaries from the registry to enrolment to notify."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest

from coalizione_embedded.stack import free_port
from tests.chaos import harness
from tests.support.backbone import wait_for

pytestmark = pytest.mark.integration
TOKEN = "stack-test-operator-token"


CONSOLE_PASSWORD = "password-della-console"


def call(port, method, path, body=None, token=None):
    """(status, decoded body) through the stack's entry port."""
    return harness.call(port, method, path, body, token, timeout=10)[:2]


@pytest.fixture
def stack(infrastructure, postgres_database, broker, tmp_path):
    port = free_port()
    bus = broker.settings()
    env = dict(os.environ, PORT=str(port), AMQP_URL=infrastructure.amqp_url,
               POSTGRES_URL=infrastructure.postgres_url, REGISTRY_SEED="0",
               COALIZIONE_EXCHANGE=bus.exchange, COALIZIONE_DEAD_EXCHANGE=bus.dead_exchange,
               COALIZIONE_QUEUE_PREFIX=bus.queue_prefix, COALIZIONE_OPERATOR_TOKEN=TOKEN,
               COALIZIONE_NOW="2017-06-20T09:00:00+02:00", COALIZIONE_VAR_DIR=str(tmp_path),
               LOG_LEVEL="WARNING", CONSOLE_ADMIN_PASSWORD=CONSOLE_PASSWORD)
    for service in ("registry", "enrolment", "scheduling", "notify", "console"):
        env[f"{service.upper()}_DATABASE_URL"] = postgres_database(service)
    log = open(tmp_path / "stack.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "coalizione_embedded.stack"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        ready = wait_for(lambda: call(port, "GET", "/readyz")[0] == 200, timeout=120, interval=0.5)
        assert ready, (tmp_path / "stack.log").read_text()[-3000:]
        yield port, tmp_path
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        prefix = bus.queue_prefix
        broker.track(*(f"{prefix}{q}" for q in _service_queues()))


def _service_queues():
    """The handler queues of every service, as their consumers name them."""
    import importlib
    names = []
    for service in ("registry", "enrolment", "scheduling", "notify"):
        consumers = importlib.import_module(f"{service}.consumers")
        names += [f"{service}.{s.name}" for s in consumers.subscriptions(_Nothing())]
    return names


class _Nothing:
    """Stands in for a runtime where only subscription names are read."""

    def __getattr__(self, name):
        return self


def test_an_adhesion_crosses_processes_from_registry_to_notify(stack):
    port, var = stack
    status, whole = call(port, "GET", "/readyz")
    assert status == 200 and set(whole["services"]) == {"registry", "enrolment", "scheduling",
                                                        "notify", "console"}
    for service in ("registry", "enrolment", "scheduling", "notify", "console"):
        assert call(port, "GET", f"/api/{service}/v1/healthz")[1]["service"] == service
    status, alive = call(port, "GET", "/healthz")
    assert status == 200 and alive["services"] == {
        s: "ok" for s in ("registry", "enrolment", "scheduling", "notify", "console")}

    code = f"IPA-test{uuid.uuid4().hex[:6]}"
    status, entity = call(port, "PUT", f"/api/registry/v1/ops/entities/{code}", {
        "name": "Unione dei Comuni della Prova", "kind": "unione_di_comuni",
        "region": "Emilia-Romagna", "province": "FC", "lat": 44.2, "lon": 12.04}, token=TOKEN)
    assert status == 201, entity
    assert entity["eligible"] is True

    adhesion = {
        "entity_code": code,
        "contact": {"name": "Maria Rossi", "role": "dirigente", "email": "maria.rossi@example.org",
                    "phone": "+39 0543 712111"},
        "participants": [{"name": "Luca Bianchi", "role": "funzionario",
                          "email": "luca.bianchi@example.org", "office": "Servizi sociali"}],
        "webinar_topics": [], "privacy_notice_read": True,
    }

    def submitted():
        return call(port, "POST", "/api/enrolment/v1/adhesions", adhesion)

    results = []
    assert wait_for(lambda: results.append(submitted()) or results[-1][0] != 422, timeout=60,
                    interval=0.5), results[-1]
    status, created = results[-1]
    assert status == 201, created
    assert created["status"] == "pending_confirmation"

    mail = var / "mail"
    assert wait_for(lambda: any("maria.rossi@example.org" in p.read_text(errors="replace")
                                for p in mail.glob("**/*.eml")) if mail.exists() else False,
                    timeout=60), "the confirmation e-mail reached the contact"


def test_the_console_reaches_the_services_through_the_entry_port(stack):
    """Deployed mode: the console's own process calls the services over HTTP
    (CONSOLE_API_URL, the entry port) with the operator token."""
    import http.cookiejar
    import urllib.parse
    import urllib.request
    port, _ = stack
    code = f"IPA-cons{uuid.uuid4().hex[:6]}"
    status, _ = call(port, "PUT", f"/api/registry/v1/ops/entities/{code}", {
        "name": f"Unione Console {code[-6:]}", "kind": "unione_di_comuni",
        "region": "Toscana", "province": "FI", "lat": 43.7, "lon": 11.2}, token=TOKEN)
    assert status == 201
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    base = f"http://127.0.0.1:{port}"
    login = urllib.parse.urlencode({"username": "ufficio", "password": CONSOLE_PASSWORD})
    with browser.open(f"{base}/ops/accesso", data=login.encode(), timeout=30) as answer:
        assert answer.status == 200 and "Cruscotto" in answer.read().decode()
    with browser.open(f"{base}/ops/code-errori", timeout=30) as answer:
        page = answer.read().decode()
    assert "non risponde" not in page and "rifiutato" not in page, page
    for service in ("anagrafe degli enti", "adesioni", "pianificazione", "comunicazioni"):
        assert service.capitalize() in page
