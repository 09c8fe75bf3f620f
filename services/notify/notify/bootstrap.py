"""Wiring in one place: settings, database, bus, consumers, the sender and
the reminders."""
from __future__ import annotations

from pathlib import Path

from coalizione_common.config import ServiceSettings
from coalizione_common.runtime import PeriodicJob, ServiceRuntime

from . import consumers, reminders
from .adapters.orm import metadata
from .adapters.transport import transport_for
from .config import NotifyConfig
from .deliveries import Sender

MIGRATIONS = Path(__file__).parent / "migrations"


def build_runtime(settings: ServiceSettings | None = None, config: NotifyConfig | None = None,
                  transport=None, environ: dict | None = None, **kwargs) -> ServiceRuntime:
    """The service's runtime; ``runtime.notify`` holds its own settings
    (from ``environ``, by default the process environment) and
    ``runtime.transport`` where messages go."""
    settings = settings or ServiceSettings.from_env("notify", environ)
    runtime = ServiceRuntime(settings, metadata, MIGRATIONS, **kwargs)
    runtime.notify = config or NotifyConfig.from_env(settings, environ)
    runtime.transport = transport or transport_for(runtime.notify)
    runtime.subscriptions.extend(consumers.subscriptions(runtime))
    sender = Sender(runtime, keep_connection=True)
    # Several senders: each claims its own rows (SKIP LOCKED), and most of a
    # message's time is spent waiting for the SMTP server.
    for n in range(1, runtime.notify.sender_threads + 1):
        runtime.periodic.append(PeriodicJob(f"sender-{n}", runtime.notify.sender_interval,
                                            lambda: sender.run_once(runtime.notify.sender_batch),
                                            wake_on_events=True))
    runtime.periodic.append(PeriodicJob("reminders", runtime.notify.reminder_interval,
                                        lambda: reminders.run(runtime)))
    return runtime


def prepare(runtime: ServiceRuntime, environ: dict | None = None) -> None:
    """Make the database ready before the service starts."""
    runtime.migrate()
