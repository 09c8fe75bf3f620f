"""The entry proxy of ``make stack``: the whole's health and readiness are
asked of every service behind it."""
from __future__ import annotations

import pytest
from werkzeug.test import Client

from coalizione_embedded.proxy import Proxy
from tests.support.standin import StandIn


@pytest.fixture
def services():
    started = {name: StandIn(name) for name in ("registry", "enrolment")}
    yield started
    for stand_in in started.values():
        stand_in.stop()


def whole(services) -> Client:
    routes = {f"/api/{name}": s.url for name, s in services.items()}
    return Client(Proxy(dict(routes, **{"/adesione": services["enrolment"].url}),
                        services["enrolment"].url, timeout=5))


def test_the_whole_is_alive_and_ready_when_every_service_is(services):
    http = whole(services)
    alive = http.get("/healthz")
    assert alive.status_code == 200
    assert alive.json == {"status": "ok", "services": {"registry": "ok", "enrolment": "ok"}}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json["services"]["enrolment"]["database"] == "ok"


def test_one_service_down_makes_the_whole_unhealthy(services):
    http = whole(services)
    services["enrolment"].stop()
    alive = http.get("/healthz")
    assert alive.status_code == 503 and alive.json["status"] == "unavailable"
    assert alive.json["services"]["registry"] == "ok"
    assert alive.json["services"]["enrolment"].startswith("error:")
    assert http.get("/readyz").status_code == 503


def test_a_service_that_says_it_is_unhealthy_or_unready_counts(services):
    services["registry"].alive = False
    services["enrolment"].ready = False
    http = whole(services)
    alive = http.get("/healthz")
    assert alive.status_code == 503 and alive.json["services"]["registry"] == "unavailable"
    ready = http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["services"]["enrolment"]["database"] == "error: gone"
