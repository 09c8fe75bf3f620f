"""The entry point of ``make stack``: a small reverse proxy (WSGI, served by
gunicorn) routing by path prefix as the compose proxy does, and answering
``/healthz`` and ``/readyz`` for the whole."""
from __future__ import annotations

import http.client
import json
import os
import threading
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade"}


class Proxy:
    def __init__(self, routes: dict[str, str], default: str, timeout: float = 30.0):
        self.routes = sorted(routes.items(), key=lambda item: -len(item[0]))
        self.default = default
        self.timeout = timeout
        self._local = threading.local()

    def _backend(self, path: str) -> str:
        for prefix, base in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                return base
        return self.default

    def _connection(self, base: str) -> http.client.HTTPConnection:
        pool = self._local.__dict__.setdefault("pool", {})
        if base not in pool:
            parts = urlsplit(base)
            pool[base] = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        return pool[base]

    def _forward(self, base: str, method: str, target: str, headers: dict, body: bytes):
        for attempt in (1, 2):
            conn = self._connection(base)
            try:
                conn.request(method, target, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.reason, response.getheaders(), response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.pool.pop(base, None)
                if attempt == 2:
                    raise

    def _whole(self, check: str):
        """Ask each service's ``healthz`` or ``readyz``: the whole is alive
        (ready) only when every service is. Gives the verdict and, for each
        service, its checks (``readyz``) or its status."""
        results, ok = {}, True
        for prefix, base in self.routes:
            if not prefix.startswith("/api/"):
                continue  # a public path of a service already asked under /api/
            service = prefix.rsplit("/", 1)[-1]
            try:
                status, _, _, body = self._forward(base, "GET", f"{prefix}/v1/{check}", {}, b"")
                answer = json.loads(body) if body else {}
            except (OSError, ValueError) as exc:
                status, answer = None, {"status": f"error: {exc}"}
            results[service] = answer.get("checks", {}) if check == "readyz" and status \
                else answer.get("status", f"HTTP {status}")
            ok = ok and status == 200
        return ok, results

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in ("/healthz", "/readyz"):
            ready, results = self._whole(path[1:])
            payload = json.dumps({"status": "ok" if ready else "unavailable",
                                  "services": results}).encode()
            start_response("200 OK" if ready else "503 Service Unavailable",
                           [("Content-Type", "application/json"),
                            ("Content-Length", str(len(payload)))])
            return [payload]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {key[5:].replace("_", "-").title(): value for key, value in environ.items()
                   if key.startswith("HTTP_") and key[5:].lower().replace("_", "-") not in HOP_BY_HOP}
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                headers[key.replace("_", "-").title()] = environ[key]
        headers["X-Forwarded-For"] = environ.get("REMOTE_ADDR", "")
        headers["X-Forwarded-Host"] = environ.get("HTTP_HOST", "")
        headers["X-Forwarded-Proto"] = environ.get("wsgi.url_scheme", "http")
        target = environ.get("RAW_URI") or (path + (f"?{environ['QUERY_STRING']}"
                                                    if environ.get("QUERY_STRING") else ""))
        try:
            status, reason, response_headers, content = self._forward(
                self._backend(path), environ["REQUEST_METHOD"], target, headers, body)
        except OSError as exc:
            payload = json.dumps({"type": "/problems/bad-gateway", "title": "Bad Gateway",
                                  "status": 502, "detail": str(exc)}).encode()
            start_response("502 Bad Gateway", [("Content-Type", "application/problem+json"),
                                               ("Content-Length", str(len(payload)))])
            return [payload]
        kept = [(k, v) for k, v in response_headers if k.lower() not in HOP_BY_HOP]
        start_response(f"{status} {reason}", kept)
        return [content]


def from_environment() -> Proxy:
    """``STACK_ROUTES`` is a JSON object of prefix -> backend URL;
    ``STACK_DEFAULT`` the backend of every other path."""
    return Proxy(json.loads(os.environ["STACK_ROUTES"]), os.environ["STACK_DEFAULT"])


app = None
if os.environ.get("STACK_ROUTES"):
    app = from_environment()
