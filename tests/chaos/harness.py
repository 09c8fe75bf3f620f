"""The deployed topology (``python -m coalizione_embedded.stack``) run in
isolation for tests and benchmarks, with handles to hurt it.

- Own databases, own exchange and queue names, own var folder, pinned clock.
- The stack reaches RabbitMQ through a loopback :class:`TcpProxy`, so
  :meth:`Stack.cut_broker` forcibly closes this stack's connections and no
  other test's.
- :meth:`Stack.kill_worker` SIGKILLs a service's worker process (found by
  its command line among the stack's descendants) and waits for the stack
  to start it again.
- :meth:`Stack.terminate_database_backends` ends every PostgreSQL backend of
  this stack's databases; :meth:`Stack.restart_postgres` restarts the whole
  server and is only for a machine of one's own (``CHAOS_RESTART_POSTGRES=1``).
- :class:`SmtpSink`: an aiosmtpd server on loopback that keeps every message.
"""
from __future__ import annotations

import email
import email.policy
import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from coalizione_embedded.stack import free_port
from tests.support.tcpproxy import TcpProxy

SERVICES = ("registry", "enrolment", "scheduling", "notify")
TOKEN = "chaos-operator-token"
NOW = "2017-06-20T09:00:00+02:00"


def call(port: int, method: str, path: str, body=None, token: str | None = None,
         timeout: float = 30.0):
    """(status, decoded JSON or text, content type); status None when the
    request got no answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _decode(response.read(), response.headers), \
                response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, _decode(exc.read(), exc.headers), exc.headers.get("Content-Type", "")
    except OSError as exc:
        return None, str(exc), ""


def _decode(raw: bytes, headers):
    if "json" in (headers.get("Content-Type") or ""):
        try:
            return json.loads(raw or b"null")
        except ValueError:
            pass
    return raw.decode("utf-8", "replace")


def wait_until(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def handler_queues(prefix: str) -> list[str]:
    """Every service's handler queue, as its consumers name them."""
    class _Anything:
        def __getattr__(self, name):
            return self

    names = []
    for service in SERVICES:
        consumers = importlib.import_module(f"{service}.consumers")
        names += [f"{prefix}{service}.{s.name}" for s in consumers.subscriptions(_Anything())]
    return names


@dataclass
class Stack:
    """One isolated stack; ``databases`` maps each service to its
    SQLAlchemy URL (created by the caller), ``bus`` names its exchanges.
    With ``broker_proxy`` (the chaos tests) the stack reaches RabbitMQ
    through a TCP proxy in this process, whose connections a test can cut;
    without it (the benchmark) it connects to the broker directly."""

    amqp_url: str
    databases: dict[str, str]
    exchange: str
    dead_exchange: str
    queue_prefix: str
    folder: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen | None = None
    proxy: TcpProxy | None = None
    broker_proxy: bool = True

    def environ(self) -> dict[str, str]:
        parts = urlsplit(self.amqp_url)
        broker_url = self.amqp_url if self.proxy is None else self.amqp_url.replace(
            f"{parts.hostname}:{parts.port or 5672}", f"127.0.0.1:{self.proxy.port}", 1)
        server = self.databases["registry"].rsplit("/", 1)[0].replace("+psycopg", "")
        env = dict(os.environ, PORT=str(self.port), AMQP_URL=broker_url,
                   POSTGRES_URL=server, REGISTRY_SEED="0",
                   COALIZIONE_EXCHANGE=self.exchange, COALIZIONE_DEAD_EXCHANGE=self.dead_exchange,
                   COALIZIONE_QUEUE_PREFIX=self.queue_prefix, COALIZIONE_OPERATOR_TOKEN=TOKEN,
                   COALIZIONE_NOW=NOW, COALIZIONE_VAR_DIR=str(self.folder),
                   ENROLMENT_RATE_LIMIT="0", NOTIFY_SENDING_LEASE="10", LOG_LEVEL="WARNING")
        for service, url in self.databases.items():
            env[f"{service.upper()}_DATABASE_URL"] = url
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = 180.0) -> "Stack":
        parts = urlsplit(self.amqp_url)
        if self.broker_proxy:
            self.proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672)
        self.port = self.port or free_port()
        self.log = open(self.folder / "stack.log", "wb")
        self.process = subprocess.Popen([sys.executable, "-m", "coalizione_embedded.stack"],
                                        env=self.environ(), stdout=self.log,
                                        stderr=subprocess.STDOUT)
        if not wait_until(lambda: self.process.poll() is None and
                          call(self.port, "GET", "/readyz", timeout=5)[0] == 200, timeout):
            self.stop()
            raise RuntimeError("stack not ready:\n" + self.log_tail())
        return self

    def log_tail(self, size: int = 4000) -> str:
        try:
            return (self.folder / "stack.log").read_text(errors="replace")[-size:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                for child in self._descendants():
                    child.kill()
                self.process.kill()
        if self.proxy is not None:
            self.proxy.close()
        if getattr(self, "log", None):
            self.log.close()

    # faults -------------------------------------------------------------
    def _descendants(self) -> list[psutil.Process]:
        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def worker_pid(self, service: str) -> int | None:
        for child in self._descendants():
            try:
                argv = child.cmdline()
            except psutil.Error:
                continue
            if argv[-3:] == ["-m", service, "worker"]:
                return child.pid
        return None

    def kill_worker(self, service: str, timeout: float = 30.0) -> tuple[int, int]:
        """SIGKILL the service's worker; returns (old pid, new pid) once
        the stack has started another."""
        old = self.worker_pid(service)
        assert old is not None, f"no worker of {service} found"
        os.kill(old, signal.SIGKILL)
        assert wait_until(lambda: self.worker_pid(service) not in (None, old), timeout, 0.2), \
            f"the stack did not restart the worker of {service}"
        return old, self.worker_pid(service)

    def cut_broker(self) -> int:
        """Drop every AMQP connection of this stack at the TCP level (RST
        through the proxy). See docs/testing.md: without AMQP heartbeats a
        client whose reset never arrives waits forever."""
        return self.proxy.cut()

    def close_broker_connections(self, reason: str = "chaos test") -> int:
        """Have RabbitMQ close every connection of this stack (and no
        other): ``rabbitmqctl close_connection`` for each connection whose
        peer port is one of the proxy's upstream sockets."""
        with self.proxy._lock:
            ports = {str(upstream.getsockname()[1]) for _, upstream in self.proxy._pairs
                     if upstream.fileno() != -1}
        listing = subprocess.run(["rabbitmqctl", "-q", "list_connections", "pid", "peer_port"],
                                 capture_output=True, text=True, timeout=120, check=True).stdout
        pids = [line.split()[0] for line in listing.splitlines()
                if len(line.split()) == 2 and line.split()[1] in ports]
        closers = [subprocess.Popen(["rabbitmqctl", "-q", "close_connection", pid, reason],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for pid in pids]
        for closer in closers:
            closer.wait(timeout=120)
        return len(pids)

    def database_names(self) -> list[str]:
        return [url.rsplit("/", 1)[1] for url in self.databases.values()]

    def server_url(self) -> str:
        return self.databases["registry"].rsplit("/", 1)[0].replace("+psycopg", "")

    def terminate_database_backends(self) -> int:
        import psycopg
        with psycopg.connect(f"{self.server_url()}/postgres", autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
                (self.database_names(),)).fetchall()
        return len(rows)

    @staticmethod
    def restart_postgres() -> None:
        version = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True,
                                 check=True).stdout.split()[0]
        subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main",
                        "restart"], check=True, timeout=120)

    # looking inside -----------------------------------------------------
    def query(self, service: str, sql: str, params=()) -> list[tuple]:
        import psycopg
        url = self.databases[service].replace("+psycopg", "")
        with psycopg.connect(url) as conn:
            return conn.execute(sql, params).fetchall()

    def queues(self) -> list[str]:
        return handler_queues(self.queue_prefix)

    def ready_messages(self) -> dict[str, int]:
        from kombu import Connection
        counts = {}
        with Connection(self.amqp_url) as conn:
            for queue in self.queues() + [f"{q}.dead" for q in self.queues()]:
                channel = conn.channel()
                try:
                    counts[queue] = channel.queue_declare(queue, passive=True).message_count
                finally:
                    channel.close()
        return counts

    def dead_letters(self) -> dict[str, list]:
        from coalizione_common.bus import Bus
        from coalizione_common.config import BusSettings
        from coalizione_common.deadletters import list_dead_letters
        bus = Bus(BusSettings(url=self.amqp_url, exchange=self.exchange,
                              dead_exchange=self.dead_exchange, queue_prefix=self.queue_prefix))
        return {q: list_dead_letters(bus, q) for q in self.queues()}


class SmtpSink:
    """An SMTP server on loopback that keeps every message it accepts:
    parsed, or (``parse=False``, the benchmark, which only needs who got
    a message when) as the bytes received."""

    def __init__(self, parse: bool = True):
        from aiosmtpd.controller import Controller
        self.messages: list[tuple[float, list[str], email.message.EmailMessage | bytes]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                message = envelope.original_content or envelope.content
                if parse:
                    message = email.message_from_bytes(message, policy=email.policy.default)
                with sink.arrived:
                    sink.messages.append((time.monotonic(), list(envelope.rcpt_tos), message))
                    sink.arrived.notify_all()
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> "SmtpSink":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def snapshot(self):
        with self.lock:
            return list(self.messages)


def unique_tag() -> str:
    return uuid.uuid4().hex[:8]
