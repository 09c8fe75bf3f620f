"""Wiring in one place: settings, database, bus and consumers."""
from __future__ import annotations

from pathlib import Path

from coalizione_common.config import ServiceSettings
from coalizione_common.replica import request_resync_if_empty
from coalizione_common.runtime import PeriodicJob, ServiceRuntime

from . import consumers
from .adapters.orm import entities, metadata
from .config import PlanningConfig


def build_runtime(settings: ServiceSettings | None = None, planning: PlanningConfig | None = None,
                  environ: dict | None = None, **kwargs) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or ServiceSettings.from_env("scheduling", environ), metadata,
                             Path(__file__).parent / "migrations", **kwargs)
    runtime.planning = planning or PlanningConfig.from_env(environ)
    runtime.subscriptions.extend(consumers.subscriptions(runtime))
    runtime.periodic.append(PeriodicJob("resync", runtime.planning.resync_check, lambda:
                                        request_resync_if_empty(runtime, entities,
                                                                runtime.planning.resync_interval)))
    return runtime


def prepare(runtime: ServiceRuntime, environ: dict | None = None) -> None:
    """Make the database ready before the service starts."""
    runtime.migrate()
