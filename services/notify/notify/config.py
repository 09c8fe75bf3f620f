"""The notify service's own settings, read once from the environment
(the shared ones, such as ``SMTP_URL``, come with ``ServiceSettings``)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import make_url

from coalizione_common.clock import parse_instant
from coalizione_common.config import ServiceSettings, public_base_url, var_dir

DEFAULT_DEADLINE = "2017-06-30T23:59:59+02:00"


def _floats(raw: str, name: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"{name} must be comma-separated seconds, got {raw!r}") from None
    if not values or any(v < 0 for v in values):
        raise ValueError(f"{name} must list at least one non-negative delay")
    return values


@dataclass(frozen=True)
class NotifyConfig:
    """How and when notify sends.

    ``retry_backoff`` lists the delays (seconds) before the 2nd, 3rd, ...
    attempt after a transient SMTP error; the last one repeats until
    ``max_attempts`` is reached, then the delivery fails.
    """

    smtp_url: str | None = None
    mail_dir: Path = Path("var/mail")
    mail_from: str = "Programma CO-AliZIONE <coalizione@localhost>"
    retry_backoff: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0, 3600.0)
    max_attempts: int = 8
    smtp_timeout: float = 30.0
    smtp_helo: str | None = None
    sender_interval: float = 1.0
    sender_threads: int = 4
    sender_batch: int = 200
    claim_batch: int = 4
    sending_lease: float = 300.0
    reminder_days: float = 2.0
    reminder_interval: float = 300.0
    deadline: datetime = parse_instant(DEFAULT_DEADLINE)
    deadline_reminder_days: float = 7.0
    retention_days: float = 365.0
    public_base_url: str = "http://127.0.0.1:8000"
    # How to reach the programme office (e-mail, phone), which messages name
    # where they say to write to it; empty: they name no address.
    office_contact: str = ""
    fault: str = ""

    @property
    def from_address(self) -> str:
        return _address(self.mail_from)

    @property
    def message_id_domain(self) -> str:
        return self.from_address.rpartition("@")[2] or "coalizione.local"

    def backoff(self, attempt: int) -> timedelta:
        """The wait after the ``attempt``-th attempt failed transiently."""
        delays = self.retry_backoff
        return timedelta(seconds=delays[min(attempt, len(delays)) - 1])

    @classmethod
    def from_env(cls, settings: ServiceSettings, environ: dict | None = None) -> "NotifyConfig":
        env = environ if environ is not None else os.environ
        defaults = cls()

        def number(name: str, default: float) -> float:
            raw = env.get(name, "").strip()
            if not raw:
                return default
            try:
                return float(raw)
            except ValueError:
                raise ValueError(f"{name} must be a number, got {raw!r}") from None

        backoff = env.get("NOTIFY_RETRY_BACKOFF", "").strip()
        deadline = env.get("NOTIFY_DEADLINE", "").strip()
        return cls(
            smtp_url=settings.smtp_url,
            mail_dir=mail_dir(settings, env),
            mail_from=env.get("NOTIFY_MAIL_FROM") or defaults.mail_from,
            retry_backoff=_floats(backoff, "NOTIFY_RETRY_BACKOFF") if backoff else defaults.retry_backoff,
            max_attempts=int(number("NOTIFY_MAX_ATTEMPTS", defaults.max_attempts)),
            smtp_timeout=number("NOTIFY_SMTP_TIMEOUT", defaults.smtp_timeout),
            smtp_helo=env.get("NOTIFY_SMTP_HELO") or None,
            sender_interval=number("NOTIFY_SENDER_INTERVAL", defaults.sender_interval),
            sender_threads=max(1, int(number("NOTIFY_SENDER_THREADS", defaults.sender_threads))),
            claim_batch=max(1, int(number("NOTIFY_CLAIM_BATCH", defaults.claim_batch))),
            sending_lease=number("NOTIFY_SENDING_LEASE", defaults.sending_lease),
            reminder_days=number("NOTIFY_REMINDER_DAYS", defaults.reminder_days),
            reminder_interval=number("NOTIFY_REMINDER_INTERVAL", defaults.reminder_interval),
            deadline=parse_instant(deadline) if deadline else defaults.deadline,
            deadline_reminder_days=number("NOTIFY_DEADLINE_REMINDER_DAYS",
                                          defaults.deadline_reminder_days),
            retention_days=number("NOTIFY_RETENTION_DAYS", defaults.retention_days),
            public_base_url=public_base_url(env),
            office_contact=(env.get("NOTIFY_OFFICE_CONTACT") or "").strip(),
            fault=env.get("NOTIFY_FAULT", ""),
        )


@lru_cache(maxsize=8)
def _address(mailbox: str) -> str:
    """The address of ``Name <address>`` (parsed once per value: every
    message asks for it)."""
    return parseaddr(mailbox)[1]


def mail_dir(settings: ServiceSettings, env) -> Path:
    """Where .eml files go without SMTP: ``NOTIFY_MAIL_DIR``, else
    ``<COALIZIONE_VAR_DIR>/mail``, else next to the service's SQLite file
    (``var/notify.db`` gives ``var/mail``), else ``var/mail``."""
    if env.get("NOTIFY_MAIL_DIR"):
        return Path(env["NOTIFY_MAIL_DIR"])
    if env.get("COALIZIONE_VAR_DIR"):
        return var_dir(env) / "mail"
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).parent / "mail"
    return var_dir(env) / "mail"
