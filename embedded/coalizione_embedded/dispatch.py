"""One origin for every service: requests go to the app that owns their
path prefix, exactly as the reverse proxy routes them when deployed."""
from __future__ import annotations

import json
from typing import Callable

from coalizione_common.http import run_checks


class PrefixDispatcher:
    """WSGI app choosing a service app by path prefix; ``/healthz`` and
    ``/readyz`` answer for the whole (200 only when every service does)."""

    def __init__(self, default, routes: dict[str, object], checks: dict[str, dict[str, Callable]]):
        self.default = default
        self.routes = sorted(routes.items(), key=lambda item: -len(item[0]))
        self.checks = checks

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            return self._json(start_response, 200, {"status": "ok",
                                                    "services": sorted(self.checks)})
        if path == "/readyz":
            results = {svc: run_checks(c) for svc, c in self.checks.items()}
            ready = all(v == "ok" for r in results.values() for v in r.values())
            return self._json(start_response, 200 if ready else 503,
                              {"status": "ok" if ready else "unavailable", "services": results})
        for prefix, app in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                return app(environ, start_response)
        return self.default(environ, start_response)

    @staticmethod
    def _json(start_response, status: int, body: dict):
        payload = json.dumps(body).encode()
        start_response(f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]
