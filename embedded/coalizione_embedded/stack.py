"""``make stack``: the deployed topology without Docker.

Each service runs as its own gunicorn web process and its own worker
process, on the RabbitMQ of ``AMQP_URL`` and the PostgreSQL server of
``POSTGRES_URL`` (one database per service, ``coalizione_<service>`` unless
``<SERVICE>_DATABASE_URL`` says otherwise, created when missing), behind one
entry port (``PORT``, default 8000) served by a small reverse proxy. A
process that dies is started again. Ctrl-C or SIGTERM stops everything.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .system import PUBLIC_ROUTES, SERVICES

GUNICORN_WORKERS = {"registry": 2, "enrolment": 2, "scheduling": 1, "notify": 1, "console": 1}
# The console is a web process only: it publishes and consumes nothing.
WEB_ONLY = ("console",)
# A national plan is computed inside the request that proposes or publishes it.
GUNICORN_TIMEOUT = {"scheduling": 180}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_database(server_url: str, name: str) -> str:
    """Create ``name`` on the server when missing; returns its SQLAlchemy URL."""
    import psycopg
    with psycopg.connect(f"{server_url.rstrip('/')}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = server_url.rstrip("/").replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    restarts: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, env=self.env)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Stack:
    environ: dict[str, str]
    port: int
    children: list[Child] = field(default_factory=list)
    ports: dict[str, int] = field(default_factory=dict)

    def service_env(self, service: str) -> dict[str, str]:
        env = dict(self.environ)
        key = f"{service.upper()}_DATABASE_URL"
        env["DATABASE_URL"] = env.get(key) or ensure_database(env["POSTGRES_URL"],
                                                              f"coalizione_{service}")
        env[key] = env["DATABASE_URL"]
        env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{self.port}")
        env.setdefault("CONSOLE_API_URL", f"http://127.0.0.1:{self.port}")
        return env

    def prepare(self) -> None:
        """Migrate every database (the console also makes its first account
        from ``CONSOLE_ADMIN_PASSWORD``); load the registry's bundled data
        (an idempotent import) unless ``REGISTRY_SEED=0``."""
        for service in SERVICES:
            env = self.service_env(service)
            subprocess.run([sys.executable, "-m", service, "migrate"], env=env, check=True)
        for service in WEB_ONLY:
            subprocess.run([sys.executable, "-m", service, "prepare"],
                           env=self.service_env(service), check=True)
        if self.environ.get("REGISTRY_SEED", "1") != "0":
            subprocess.run([sys.executable, "-m", "registry", "import"],
                           env=self.service_env("registry"), check=True)

    def plan(self) -> None:
        gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
        for service in (*SERVICES, *WEB_ONLY):
            env = self.service_env(service)
            self.ports[service] = port = self._unused_port()
            self.children.append(Child(f"{service}-web", [
                gunicorn, "--bind", f"127.0.0.1:{port}", "--workers",
                str(GUNICORN_WORKERS[service]), "--threads", "4", "--access-logfile", "-",
                "--timeout", str(GUNICORN_TIMEOUT.get(service, 30)),
                "--graceful-timeout", "10", f"{service}.wsgi:app"], env))
            if service not in WEB_ONLY:
                self.children.append(Child(f"{service}-worker",
                                           [sys.executable, "-m", service, "worker"], env))
        routes = {f"/api/{s}": f"http://127.0.0.1:{p}" for s, p in self.ports.items()}
        routes.update({prefix: f"http://127.0.0.1:{self.ports[s]}"
                       for prefix, s in PUBLIC_ROUTES.items()})
        proxy_env = dict(self.environ, STACK_ROUTES=json.dumps(routes),
                         STACK_DEFAULT=f"http://127.0.0.1:{self.ports['enrolment']}")
        self.children.append(Child("proxy", [
            gunicorn, "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "16",
            "--access-logfile", "-", "coalizione_embedded.proxy:app"], proxy_env))

    def _unused_port(self) -> int:
        """A free port that is neither the entry port (not bound until the
        proxy starts) nor one already given to another process."""
        taken = {self.port, *self.ports.values()}
        while (port := free_port()) in taken:
            pass
        return port

    def start(self) -> None:
        for child in self.children:
            child.start()

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def supervise(self, stopping) -> None:
        while not stopping():
            for child in self.children:
                if not child.alive() and not stopping():
                    child.restarts += 1
                    print(f"stack: {child.name} exited ({child.process.returncode}); "
                          f"restarting", file=sys.stderr, flush=True)
                    child.start()
            time.sleep(0.5)

    def stop(self) -> None:
        for child in self.children:
            if child.alive():
                child.process.terminate()
        deadline = time.monotonic() + 15
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()


def main() -> int:
    environ = dict(os.environ)
    missing = [v for v in ("AMQP_URL", "POSTGRES_URL") if not environ.get(v)]
    if missing:
        print(f"make stack needs {' and '.join(missing)} (e.g. AMQP_URL=amqp://guest:guest@"
              f"127.0.0.1:5672// POSTGRES_URL=postgresql://postgres@127.0.0.1:5432)",
              file=sys.stderr)
        return 2
    if urlsplit(environ["AMQP_URL"]).scheme not in ("amqp", "amqps", "pyamqp"):
        print("make stack needs a real broker: AMQP_URL must be amqp://", file=sys.stderr)
        return 2
    # The console reaches the services' operations APIs with these tokens.
    environ.setdefault("COALIZIONE_OPERATOR_TOKEN", secrets.token_urlsafe(32))
    environ.setdefault("COALIZIONE_VIEWER_TOKEN", secrets.token_urlsafe(32))
    stack = Stack(environ, int(environ.get("PORT", "8000")))
    stopping = {"now": False}

    def _stop(signum, _frame):
        stopping["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    stack.prepare()
    stack.plan()
    stack.start()
    deadline = time.monotonic() + 60
    while not stack.ready() and time.monotonic() < deadline and not stopping["now"]:
        time.sleep(0.5)
    print(f"coalizione stack: http://127.0.0.1:{stack.port}/ "
          f"({'ready' if stack.ready() else 'NOT ready'}; Ctrl-C to stop)", file=sys.stderr,
          flush=True)
    try:
        stack.supervise(lambda: stopping["now"])
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
