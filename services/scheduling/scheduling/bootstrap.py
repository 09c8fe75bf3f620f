"""Wiring in one place: settings, database, bus and consumers."""
from __future__ import annotations

from pathlib import Path

from coalizione_common.config import ServiceSettings
from coalizione_common.runtime import ServiceRuntime

from . import consumers
from .adapters.orm import metadata
from .config import PlanningConfig


def build_runtime(settings: ServiceSettings | None = None, planning: PlanningConfig | None = None,
                  environ: dict | None = None, **kwargs) -> ServiceRuntime:
    runtime = ServiceRuntime(settings or ServiceSettings.from_env("scheduling", environ), metadata,
                             Path(__file__).parent / "migrations", **kwargs)
    runtime.planning = planning or PlanningConfig.from_env(environ)
    runtime.subscriptions.extend(consumers.subscriptions(runtime))
    return runtime


def prepare(runtime: ServiceRuntime, environ: dict | None = None) -> None:
    """Make the database ready before the service starts."""
    runtime.migrate()
