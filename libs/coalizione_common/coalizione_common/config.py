"""Configuration from the environment only.

Every service reads the same few variables (CONTRACT.md); a per-service
variable such as ``ENROLMENT_DATABASE_URL`` wins over ``DATABASE_URL`` so
that several services can share one process in embedded mode.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .clock import Clock

DEFAULT_EXCHANGE = "coalizione.events"
DEFAULT_DEAD_EXCHANGE = "coalizione.dead"


def public_base_url(environ: dict | None = None) -> str:
    """The origin of the links in e-mails: ``PUBLIC_BASE_URL``, else this
    machine on ``PORT`` (what ``make run`` serves)."""
    env = environ if environ is not None else os.environ
    return (env.get("PUBLIC_BASE_URL") or f"http://127.0.0.1:{env.get('PORT') or 8000}").rstrip("/")


def var_dir(environ: dict | None = None) -> Path:
    env = environ if environ is not None else os.environ
    return Path(env.get("COALIZIONE_VAR_DIR", "var"))


def _float(env: dict, name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None


@dataclass(frozen=True)
class BusSettings:
    """Where events travel: the broker URL and the names on it.

    ``COALIZIONE_EXCHANGE`` and ``COALIZIONE_QUEUE_PREFIX`` exist so that a
    test run can isolate itself on a shared broker; deployments keep the
    defaults of the contract.
    """

    url: str = "memory://"
    exchange: str = DEFAULT_EXCHANGE
    dead_exchange: str = DEFAULT_DEAD_EXCHANGE
    queue_prefix: str = ""
    max_attempts: int = 3
    delivery_limit: int = 10
    heartbeat: float = 30.0

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "BusSettings":
        env = environ if environ is not None else os.environ
        return cls(
            url=env.get("AMQP_URL") or "memory://",
            exchange=env.get("COALIZIONE_EXCHANGE") or DEFAULT_EXCHANGE,
            dead_exchange=env.get("COALIZIONE_DEAD_EXCHANGE") or DEFAULT_DEAD_EXCHANGE,
            queue_prefix=env.get("COALIZIONE_QUEUE_PREFIX", ""),
            max_attempts=int(_float(env, "COALIZIONE_MAX_ATTEMPTS", 3)),
            delivery_limit=int(_float(env, "COALIZIONE_DELIVERY_LIMIT", 10)),
            heartbeat=_float(env, "COALIZIONE_AMQP_HEARTBEAT", 30.0),
        )

    @property
    def is_memory(self) -> bool:
        return self.url.startswith("memory://")


@dataclass(frozen=True)
class ServiceSettings:
    """What every service needs; services extend it with their own fields."""

    service: str
    database_url: str
    bus: BusSettings = field(default_factory=BusSettings)
    smtp_url: str | None = None
    clock: Clock = field(default_factory=Clock)
    relay_poll_interval: float = 0.02
    relay_linger: float = 0.0
    consumer_batch_window: float = 0.005
    consumer_batch_gap: float = 0.001
    operator_token: str | None = None
    viewer_token: str | None = None
    outbox_retention_days: float = 7.0
    event_log: str | None = None

    @classmethod
    def from_env(cls, service: str, environ: dict | None = None, **extra) -> "ServiceSettings":
        env = environ if environ is not None else os.environ
        return cls(
            service=service,
            database_url=database_url(service, env),
            bus=BusSettings.from_env(env),
            smtp_url=env.get("SMTP_URL") or None,
            clock=Clock.from_env(env),
            relay_poll_interval=_float(env, "COALIZIONE_RELAY_POLL_INTERVAL", 0.02),
            relay_linger=_float(env, "COALIZIONE_RELAY_LINGER", 0.0),
            consumer_batch_window=_float(env, "COALIZIONE_CONSUMER_BATCH_WINDOW", 0.005),
            consumer_batch_gap=_float(env, "COALIZIONE_CONSUMER_BATCH_GAP", 0.001),
            operator_token=env.get("COALIZIONE_OPERATOR_TOKEN") or None,
            viewer_token=env.get("COALIZIONE_VIEWER_TOKEN") or None,
            outbox_retention_days=_float(env, "COALIZIONE_OUTBOX_RETENTION_DAYS", 7.0),
            event_log=env.get("COALIZIONE_EVENT_LOG") or None,
            **extra,
        )


def database_url(service: str, environ: dict | None = None) -> str:
    env = environ if environ is not None else os.environ
    specific = env.get(f"{service.upper()}_DATABASE_URL")
    if specific:
        return specific
    if env.get("DATABASE_URL"):
        return env["DATABASE_URL"]
    return f"sqlite:///{var_dir(env) / (service + '.db')}"
