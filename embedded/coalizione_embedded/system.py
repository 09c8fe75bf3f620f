"""Build the four services in one process and run their workers as threads."""
from __future__ import annotations

import importlib
import logging
import os
import threading
from dataclasses import dataclass, field

from coalizione_common.config import ServiceSettings
from coalizione_common.runtime import ServiceRuntime

from .dispatch import PrefixDispatcher

SERVICES = ("registry", "enrolment", "scheduling", "notify")
log = logging.getLogger("coalizione.embedded")


@dataclass
class System:
    runtimes: dict[str, ServiceRuntime]
    apps: dict[str, object]
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def wsgi(self) -> PrefixDispatcher:
        routes = {f"/api/{name}": app for name, app in self.apps.items()}
        return PrefixDispatcher(self.apps["enrolment"], routes,
                                {n: r.readiness_checks() for n, r in self.runtimes.items()})

    def start(self) -> None:
        """Declare every queue before any relay runs (the in-memory broker
        drops what no queue is bound to), then start the workers."""
        for runtime in self.runtimes.values():
            runtime.declare_queues()
        for runtime in self.runtimes.values():
            self.threads.extend(runtime.start_worker(self.stop))

    def shutdown(self, timeout: float = 10.0) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=timeout)
        for runtime in self.runtimes.values():
            runtime.engine.dispose()


def build_system(environ: dict | None = None) -> System:
    """Every service with its own settings (its own database), prepared:
    migrated, and seeded where a service seeds itself on first start."""
    env = dict(os.environ if environ is None else environ)
    runtimes, apps = {}, {}
    for name in SERVICES:
        bootstrap = importlib.import_module(f"{name}.bootstrap")
        runtime: ServiceRuntime = bootstrap.build_runtime(ServiceSettings.from_env(name, env),
                                                          environ=env)
        bootstrap.prepare(runtime, environ=env)
        runtimes[name] = runtime
        apps[name] = importlib.import_module(f"{name}.app").create_app(runtime)
    return System(runtimes, apps)
