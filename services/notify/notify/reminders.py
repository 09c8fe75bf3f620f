"""Periodic reminders; running them again adds nothing, since each message
is owed to one occasion whose id is fixed:

- ``session_reminder``: ``reminder_days`` before each scheduled session, to
  its participants and their contact; the occasion names the session and
  its start, so a rescheduled session is reminded again at its new date;
- ``deadline_reminder``: from ``deadline_reminder_days`` before the
  enrolment deadline, to the contact of every adhesion still waiting for
  its confirmation.
"""
from __future__ import annotations

import zlib
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from coalizione_common.db import is_postgres

from . import replica
from .deliveries import forget_old_messages, queue
from .handlers import session_notice, adhesion_context, recipient

PERIODIC_EVENT = "periodic"
_LOCK_KEY = zlib.crc32(b"coalizione.notify.reminders") & 0x7FFFFFFF


def _alone(session: Session) -> bool:
    """On PostgreSQL, one worker at a time runs the reminders (the others
    skip this round); the delivery ids would keep them from doubling
    anyway, but not from rendering the same messages in parallel."""
    if not is_postgres(session.get_bind()):
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"),
                                {"k": _LOCK_KEY}).scalar())


def session_reminders(runtime) -> int:
    now = runtime.clock.now()
    until = now + timedelta(days=runtime.notify.reminder_days)
    count = 0
    with Session(runtime.engine) as session, session.begin():
        if not _alone(session):
            return 0
        for training in replica.upcoming_sessions(session, now, until):
            occasion = f"reminder:{training['session_id']}:{training['starts_at'].isoformat()}"
            for assignment in replica.active_assignments(session,
                                                         session_id=training["session_id"]):
                session_notice(runtime, session, occasion=occasion, event_id=PERIODIC_EVENT,
                                template="session_reminder", training=training,
                                assignment=assignment,
                                extra={"days": runtime.notify.reminder_days})
                count += 1
    return count


def deadline_reminders(runtime) -> int:
    config = runtime.notify
    now = runtime.clock.now()
    if not (config.deadline - timedelta(days=config.deadline_reminder_days) <= now < config.deadline):
        return 0
    count = 0
    with Session(runtime.engine) as session, session.begin():
        if not _alone(session):
            return 0
        for adhesion_id in replica.pending_adhesions(session):
            adhesion = replica.adhesion(session, adhesion_id)
            if adhesion is None or adhesion["contact"] is None:
                continue
            expires = adhesion["confirm_expires_at"]
            usable = adhesion["confirm_url"] and (expires is None or expires > now)
            context = adhesion_context(adhesion)
            context.update(deadline=config.deadline,
                           confirm_url=adhesion["confirm_url"] if usable else None)
            created = queue(session, runtime,
                            occasion=f"deadline:{config.deadline.isoformat()}:{adhesion_id}",
                            event_id=PERIODIC_EVENT, template="deadline_reminder",
                            recipient=recipient(adhesion["contact"]), context=context,
                            adhesion_id=adhesion_id, subject_id=adhesion_id)
            count += created is not None
    return count


def run(runtime) -> None:
    """The worker's periodic housekeeping: reminders, then retention."""
    session_reminders(runtime)
    deadline_reminders(runtime)
    forget_old_messages(runtime)

