"""Builders for services under test: SQLite files under a temporary folder
and the in-memory bus with names no other test uses."""
from __future__ import annotations

import importlib
import uuid
from pathlib import Path

from coalizione_common.clock import Clock, parse_instant
from coalizione_common.config import BusSettings, ServiceSettings
from coalizione_common.runtime import ServiceRuntime


def memory_bus(**overrides) -> BusSettings:
    tag = f"m{uuid.uuid4().hex[:10]}"
    return BusSettings(url="memory://", exchange=f"{tag}.events", dead_exchange=f"{tag}.dead",
                       queue_prefix=f"{tag}.", **overrides)


def settings_for(service: str, folder: Path, bus: BusSettings | None = None,
                 now: str | None = None, database_url: str | None = None,
                 **extra) -> ServiceSettings:
    return ServiceSettings(
        service=service,
        database_url=database_url or f"sqlite:///{folder / f'{service}.db'}",
        bus=bus or memory_bus(),
        clock=Clock(parse_instant(now)) if now else Clock(),
        **extra)


def build_service(service: str, folder: Path, **kwargs) -> ServiceRuntime:
    """A service's runtime, its database migrated (and seeded, for services
    that seed themselves), not yet running its worker."""
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    runtime = bootstrap.build_runtime(settings_for(service, folder, **kwargs))
    bootstrap.prepare(runtime)
    return runtime


def embedded_environ(folder: Path, **extra: str) -> dict[str, str]:
    """Environment of an embedded process isolated in ``folder``."""
    tag = f"m{uuid.uuid4().hex[:10]}"
    env = {"COALIZIONE_VAR_DIR": str(folder), "AMQP_URL": "memory://",
           "COALIZIONE_EXCHANGE": f"{tag}.events", "COALIZIONE_DEAD_EXCHANGE": f"{tag}.dead",
           "COALIZIONE_QUEUE_PREFIX": f"{tag}."}
    env.update(extra)
    return env
