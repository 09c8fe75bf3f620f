"""The entry proxy of ``make stack``: the whole's health and readiness are
asked of every service behind it."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.test import Client

from coalizione_embedded.proxy import Proxy


def backend(service: str, alive: bool = True, ready: bool = True) -> ThreadingHTTPServer:
    """A service answering its own ``healthz`` and ``readyz``."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.endswith("/healthz"):
                status, body = (200, {"status": "ok", "service": service}) if alive \
                    else (503, {"status": "unavailable"})
            else:
                status, body = (200 if ready else 503), {
                    "status": "ok" if ready else "unavailable",
                    "checks": {"database": "ok" if ready else "error: gone", "broker": "ok"}}
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def servers():
    started = []

    def start(*args, **kwargs):
        started.append(backend(*args, **kwargs))
        return f"http://127.0.0.1:{started[-1].server_address[1]}"

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def whole(routes: dict[str, str], default: str) -> Client:
    return Client(Proxy(routes, default, timeout=5))


def test_the_whole_is_alive_and_ready_when_every_service_is(servers):
    registry, enrolment = servers("registry"), servers("enrolment")
    http = whole({"/api/registry": registry, "/api/enrolment": enrolment, "/adesione": enrolment},
                 enrolment)
    alive = http.get("/healthz")
    assert alive.status_code == 200
    assert alive.json == {"status": "ok", "services": {"registry": "ok", "enrolment": "ok"}}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json["services"]["enrolment"]["database"] == "ok"


def test_one_service_down_makes_the_whole_unhealthy(servers):
    registry = servers("registry")
    stopped = backend("enrolment")
    gone = f"http://127.0.0.1:{stopped.server_address[1]}"
    stopped.shutdown()
    stopped.server_close()
    http = whole({"/api/registry": registry, "/api/enrolment": gone}, gone)
    alive = http.get("/healthz")
    assert alive.status_code == 503 and alive.json["status"] == "unavailable"
    assert alive.json["services"]["registry"] == "ok"
    assert alive.json["services"]["enrolment"].startswith("error:")
    assert http.get("/readyz").status_code == 503


def test_a_service_that_says_it_is_unhealthy_or_unready_counts(servers):
    sick, unready = servers("registry", alive=False), servers("enrolment", ready=False)
    http = whole({"/api/registry": sick, "/api/enrolment": unready}, unready)
    alive = http.get("/healthz")
    assert alive.status_code == 503 and alive.json["services"]["registry"] == "unavailable"
    ready = http.get("/readyz")
    assert ready.status_code == 503
    assert ready.json["services"]["enrolment"]["database"] == "error: gone"
