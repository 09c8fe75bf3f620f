"""Bearer tokens and problem+json, through a real Flask app."""
from __future__ import annotations

import dataclasses

import pytest

from coalizione_common.auth import create_token, require_role
from coalizione_common.http import Problem, create_service_app
from tests.support.backbone import build
from tests.support.services import memory_bus


@pytest.fixture
def client(tmp_path):
    runtime = build(f"sqlite:///{tmp_path / 'auth.db'}", memory_bus())
    runtime.settings = dataclasses.replace(runtime.settings, operator_token="boot-strap-token")
    app = create_service_app(runtime, __name__)

    @app.get("/api/probe/v1/things")
    @require_role("viewer")
    def things():
        return {"items": []}

    @app.post("/api/probe/v1/things")
    @require_role("operator")
    def change():
        return {"ok": True}

    @app.get("/api/probe/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    @app.get("/pagina-che-si-rompe")
    def page_boom():
        raise RuntimeError("secret internals")

    @app.get("/api/probe/v1/conflict")
    def conflict():
        raise Problem(409, "already-enrolled", "Già iscritto", "dettaglio", entity_code="1")

    app.runtime = runtime
    return app.test_client()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_no_token_is_401_problem_json(client):
    r = client.get("/api/probe/v1/things")
    assert r.status_code == 401
    assert r.mimetype == "application/problem+json"
    assert r.json["type"].endswith("/unauthorized")


def test_a_viewer_reads_but_cannot_change(client):
    token = create_token(client.application.runtime, "viewer", "test")
    assert client.get("/api/probe/v1/things", headers=bearer(token)).status_code == 200
    denied = client.post("/api/probe/v1/things", headers=bearer(token))
    assert denied.status_code == 403 and denied.json["type"].endswith("/forbidden")


def test_operator_and_bootstrap_tokens_may_change(client):
    token = create_token(client.application.runtime, "operator")
    assert client.post("/api/probe/v1/things", headers=bearer(token)).status_code == 200
    assert client.post("/api/probe/v1/things", headers=bearer("boot-strap-token")).status_code == 200
    assert client.get("/api/probe/v1/things", headers=bearer("wrong")).status_code == 401


def test_tokens_are_stored_hashed(client):
    runtime = client.application.runtime
    token = create_token(runtime, "viewer")
    with runtime.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM api_tokens").scalars().all()
    assert token not in stored and len(stored[0]) == 64


def test_errors_are_problem_details_without_internals(client):
    r = client.get("/api/probe/v1/boom")
    assert r.status_code == 500 and r.mimetype == "application/problem+json"
    assert "secret internals" not in r.get_data(as_text=True)
    r = client.get("/api/probe/v1/conflict")
    assert r.status_code == 409
    assert r.json == {"type": "/problems/already-enrolled", "title": "Già iscritto", "status": 409,
                      "detail": "dettaglio", "entity_code": "1", "request_id": r.headers["X-Request-ID"]}
    missing = client.get("/nowhere", headers={"X-Request-ID": "abc"})
    assert missing.status_code == 404 and missing.json["request_id"] == "abc"


BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_on_a_public_path_gets_an_italian_page_not_json(client):
    missing = client.get("/pagina-inesistente", headers=dict(BROWSER, **{"X-Request-ID": "r1"}))
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    page = missing.get_data(as_text=True)
    assert '<html lang="it">' in page and "Pagina non trovata" in page and "r1" in page
    assert 'href="/"' in page and "requested URL" not in page
    wrong = client.post("/pagina-inesistente", headers=BROWSER)
    assert wrong.status_code == 404 and "Pagina non trovata" in wrong.get_data(as_text=True)
    broken = client.get("/pagina-che-si-rompe", headers=BROWSER)
    assert broken.status_code == 500 and "Errore imprevisto" in broken.get_data(as_text=True)
    assert "secret internals" not in broken.get_data(as_text=True)
    not_allowed = client.delete("/pagina-che-si-rompe", headers=BROWSER)
    assert not_allowed.status_code == 405
    assert "Operazione non consentita" in not_allowed.get_data(as_text=True)


def test_the_api_and_clients_without_html_keep_problem_json(client):
    assert client.get("/api/probe/v1/nothing", headers=BROWSER).mimetype == "application/problem+json"
    assert client.get("/api/probe/v1/boom", headers=BROWSER).mimetype == "application/problem+json"
    for accept in ("*/*", "application/json", "application/problem+json"):
        r = client.get("/pagina-inesistente", headers={"Accept": accept})
        assert r.status_code == 404 and r.mimetype == "application/problem+json", accept
