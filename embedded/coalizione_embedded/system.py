"""Build the four services and the office's console in one process and run
the services' workers as threads."""
from __future__ import annotations

import importlib
import logging
import os
import secrets
import threading
from dataclasses import dataclass, field

from coalizione_common.config import ServiceSettings
from coalizione_common.runtime import ServiceRuntime

from .dispatch import PrefixDispatcher

SERVICES = ("registry", "enrolment", "scheduling", "notify")
# Paths served by a service outside its /api/<service> prefix.
PUBLIC_ROUTES = {"/verifica": "scheduling", "/ops": "console"}
log = logging.getLogger("coalizione.embedded")


@dataclass
class System:
    runtimes: dict[str, ServiceRuntime]
    apps: dict[str, object]
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    dispatcher: PrefixDispatcher | None = None

    def wsgi(self) -> PrefixDispatcher:
        if self.dispatcher is None:
            routes = {f"/api/{name}": app for name, app in self.apps.items()}
            routes.update({prefix: self.apps[name] for prefix, name in PUBLIC_ROUTES.items()})
            self.dispatcher = PrefixDispatcher(
                self.apps["enrolment"], routes,
                {n: r.readiness_checks() for n, r in self.runtimes.items()})
        return self.dispatcher

    def start(self) -> None:
        """Declare every queue before any relay runs (the in-memory broker
        drops what no queue is bound to), then start the workers (the
        console has none)."""
        workers = [self.runtimes[name] for name in SERVICES]
        for runtime in workers:
            runtime.declare_queues()
        for runtime in workers:
            self.threads.extend(runtime.start_worker(self.stop))

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=timeout)
        for runtime in self.runtimes.values():
            runtime.engine.dispose()


def build_system(environ: dict | None = None) -> System:
    """Every service with its own settings (its own database), prepared:
    migrated, and seeded where a service seeds itself on first start.

    The console calls the services' operations APIs in this process, with
    ``COALIZIONE_OPERATOR_TOKEN`` and ``COALIZIONE_VIEWER_TOKEN`` or, when
    they are unset, tokens made for this process alone."""
    from console.bootstrap import build_runtime as build_console
    from console.gateway import WsgiTransport

    env = dict(os.environ if environ is None else environ)
    env.setdefault("COALIZIONE_OPERATOR_TOKEN", secrets.token_urlsafe(32))
    env.setdefault("COALIZIONE_VIEWER_TOKEN", secrets.token_urlsafe(32))
    runtimes, apps = {}, {}
    for name in SERVICES:
        bootstrap = importlib.import_module(f"{name}.bootstrap")
        runtime: ServiceRuntime = bootstrap.build_runtime(ServiceSettings.from_env(name, env),
                                                          environ=env)
        bootstrap.prepare(runtime, environ=env)
        runtimes[name] = runtime
        apps[name] = importlib.import_module(f"{name}.app").create_app(runtime)
    system = System(runtimes, apps)
    console = build_console(ServiceSettings.from_env("console", env), environ=env,
                            transport=WsgiTransport(system.wsgi))
    importlib.import_module("console.bootstrap").prepare(console, environ=env)
    runtimes["console"] = console
    apps["console"] = importlib.import_module("console.app").create_app(console)
    return system
