"""How the console reaches the services: their HTTP operations APIs, with
the console's operator token, either over the network (``CONSOLE_API_URL``,
the proxy's entry) or, in embedded mode, by calling the one-origin WSGI
application in the same process. Nothing else of theirs is read."""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Callable


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body.decode("utf-8")) if self.body else None


class ServiceError(Exception):
    """A service answered with an error (``problem`` is its problem+json)
    or could not be reached (``status`` 0)."""

    def __init__(self, service: str, status: int, problem: dict | None = None):
        self.service, self.status, self.problem = service, status, problem or {}
        super().__init__(f"{service}: {status} {self.problem.get('title', '')}".strip())

    @property
    def detail(self) -> str:
        return self.problem.get("detail") or self.problem.get("title") or ""


class HttpTransport:
    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def __call__(self, method: str, path: str, headers: dict, body: bytes | None) -> Reply:
        request = urllib.request.Request(self.base_url + path, data=body, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return Reply(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, dict(exc.headers.items()), exc.read())


class WsgiTransport:
    """Calls a WSGI application directly (embedded mode, tests)."""

    def __init__(self, app: Callable[[], object]):
        self.app = app

    def __call__(self, method: str, path: str, headers: dict, body: bytes | None) -> Reply:
        from werkzeug.test import Client
        response = Client(self.app()).open(path, method=method, headers=headers, data=body)
        return Reply(response.status_code, dict(response.headers.items()), response.get_data())


class Gateway:
    """Calls with the operator token, or with the viewer token (when one is
    configured) for a user who may only read: a service then refuses a
    change even if the console let one through."""

    def __init__(self, transport, token: str | None, viewer_token: str | None = None):
        self.transport, self.token, self.viewer_token = transport, token, viewer_token

    def call(self, method: str, service: str, path: str, *, params: dict | None = None,
             body: dict | None = None, actor: str = "", request_id: str = "",
             role: str = "operator") -> Reply:
        query = urllib.parse.urlencode({k: v for k, v in (params or {}).items()
                                        if v not in (None, "")}, doseq=True)
        url = f"/api/{service}/v1{path}" + (f"?{query}" if query else "")
        headers = {"Accept": "application/json"}
        token = self.viewer_token if role == "viewer" and self.viewer_token else self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if actor:
            headers["X-Coalizione-Actor"] = actor
        if request_id:
            headers["X-Request-ID"] = request_id
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            reply = self.transport(method, url, headers, payload)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            raise ServiceError(service, 0, {"title": "unreachable", "detail": str(exc)}) from exc
        if reply.status >= 400:
            try:
                problem = reply.json()
            except ValueError:
                problem = None
            raise ServiceError(service, reply.status,
                               problem if isinstance(problem, dict) else None)
        return reply

    def json(self, method: str, service: str, path: str, **kwargs):
        return self.call(method, service, path, **kwargs).json()
