"""Wiring in one place: settings, database, bus and consumers."""
from __future__ import annotations

from pathlib import Path

from coalizione_common.config import ServiceSettings
from coalizione_common.runtime import PeriodicJob, ServiceRuntime

from . import consumers, erasure, handlers
from .adapters.orm import metadata
from .config import EnrolmentSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: ServiceSettings | None = None, enrolment: EnrolmentSettings | None
                  = None, environ: dict | None = None, **kwargs) -> ServiceRuntime:
    """The enrolment's runtime; ``runtime.enrolment`` holds its own settings
    (read from ``environ``, else the process environment)."""
    settings = settings or ServiceSettings.from_env("enrolment", environ)
    runtime = ServiceRuntime(settings, metadata, MIGRATIONS, **kwargs)
    runtime.enrolment = enrolment or EnrolmentSettings.from_env(settings.database_url, environ)
    runtime.subscriptions.extend(consumers.subscriptions(runtime))
    runtime.periodic.append(PeriodicJob("resync", runtime.enrolment.resync_check,
                                        lambda: handlers.request_resync_if_empty(runtime)))
    runtime.periodic.append(PeriodicJob("retention", runtime.enrolment.retention_check,
                                        lambda: erasure.erase_expired(runtime)))
    return runtime


def prepare(runtime: ServiceRuntime, environ: dict | None = None) -> None:
    """Make the database ready before the service starts. (The worker's
    ``resync`` job asks the registry for every entity while the replica is
    empty.)"""
    runtime.migrate()
