"""A stand-in for a service behind a proxy: it answers its health and
readiness endpoints as the services do, and echoes any other request."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StandIn:
    """Set ``alive`` or ``ready`` to False to make ``healthz`` or ``readyz``
    answer 503; ``stop()`` takes it off the network."""

    def __init__(self, name: str):
        self.name, self.alive, self.ready = name, True, True
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == f"/api/{stand_in.name}/v1/healthz":
                    status = 200 if stand_in.alive else 503
                    body = {"status": "ok" if stand_in.alive else "unavailable",
                            "service": stand_in.name}
                elif self.path == f"/api/{stand_in.name}/v1/readyz":
                    status = 200 if stand_in.ready else 503
                    body = {"status": "ok" if stand_in.ready else "unavailable",
                            "service": stand_in.name, "checks": {
                                "database": "ok" if stand_in.ready else "error: gone",
                                "broker": "ok"}}
                else:
                    status, body = 200, {"service": stand_in.name, "path": self.path,
                                         "request_id": self.headers.get("X-Request-ID"),
                                         "forwarded_for": self.headers.get("X-Forwarded-For")}
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
