"""Wiring in one place: settings, database, bus, consumers, the sender and
the reminders."""
from __future__ import annotations

import threading
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
    runtime.periodic.extend(sender_jobs(runtime))
    runtime.periodic.append(PeriodicJob("reminders", runtime.notify.reminder_interval,
                                        lambda: reminders.run(runtime)))
    return runtime


def sender_jobs(runtime: ServiceRuntime) -> list[PeriodicJob]:
    """Several senders: each claims its own rows (SKIP LOCKED), and most of a
    message's time is spent waiting for the SMTP server.

    Every commit of the consumer wakes them all, but a sender looks for
    deliveries only when every sender before it is busy, or while there is
    a backlog (a claim that filled its batch starts one and wakes them all,
    a short claim ends it). Otherwise each commit would cost one empty
    claim per idle sender."""
    sender = Sender(runtime, keep_connection=True)
    count = runtime.notify.sender_threads
    busy = [threading.Event() for _ in range(count)]

    def job(n: int) -> PeriodicJob:
        def run() -> None:
            if not (sender.backlog.is_set() or all(b.is_set() for b in busy[:n])):
                return
            busy[n].set()
            try:
                sender.run_once(runtime.notify.sender_batch)
            finally:
                busy[n].clear()
        return PeriodicJob(f"sender-{n + 1}", runtime.notify.sender_interval, run,
                           wake_on_events=True)

    jobs = [job(n) for n in range(count)]
    sender.on_backlog = lambda: [helper.wake.set() for helper in jobs]
    return jobs


def prepare(runtime: ServiceRuntime, environ: dict | None = None) -> None:
    """Make the database ready before the service starts."""
    runtime.migrate()
