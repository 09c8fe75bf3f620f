"""The delivery log as a state machine: queued -> sending -> sent | retry | failed.

A delivery is written in the transaction of the event that calls for it,
with an id derived from (occasion, template, recipient): the same event
handled twice, or two events that call for the same message, leave one
row. The :class:`Sender` sends outside any database transaction:

1. claim: in one short transaction, lock up to ``claim_batch`` due rows
   (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so scaled-out workers never
   share one), mark them ``sending`` and count their attempt;
2. hand each stored message (its Message-ID fixed at rendering) to the
   transport, one after the other, over one SMTP connection;
3. right after each, record its outcome and announce it
   (``notification.sent`` or ``notification.failed``) in one transaction.

A worker that dies during step 2 leaves its claimed rows ``sending``; once
``sending_lease`` has passed another sender claims them again. If the server
had already accepted the one message in flight, it is sent a second time
with the same Message-ID (the window described in the service's README);
the others had not gone out.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from email import message_from_string, policy
from email.utils import format_datetime, formataddr

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from coalizione_common.db import insert_new

from .adapters.orm import deliveries, people
from .adapters.transport import PermanentFailure, TransientFailure, session_of, without_addresses
from .messages import assemble, message_id, render

log = logging.getLogger("notify.deliveries")

NAMESPACE = uuid.UUID("5d0c7f7e-2a7b-4b8e-9a52-6f1c0e1a7c11")
QUEUED, SENDING, SENT, RETRY, FAILED = "queued", "sending", "sent", "retry", "failed"
STATES = (QUEUED, SENDING, SENT, RETRY, FAILED)
# A sender's SMTP connection is closed after this long without a message
# (its periodic runs notice it, every NOTIFY_SENDER_INTERVAL).
SMTP_KEEP_IDLE = 10.0


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: ``id`` is a person id (or an entity code),
    the only way events name them."""

    id: str
    name: str
    email: str


def delivery_id(occasion: str, template: str, recipient_id: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{occasion}\x1f{template}\x1f{recipient_id}"))


def queue(session: Session, runtime, *, occasion: str, event_id: str, template: str,
          recipient: Recipient, context: dict, adhesion_id: str | None = None,
          subject_id: str | None = None, attachments=(),
          check_existing: bool = True) -> str | None:
    """Record one message to send, unless the same (occasion, template,
    recipient) was recorded before; returns the new delivery's id or None.

    ``attachments`` may be a callable, called only when the message is new.
    Without ``check_existing`` the message is rendered before that is known
    (one statement less): for an occasion that is the event just claimed in
    the inbox, which only a replay finds recorded.
    """
    did = delivery_id(occasion, template, recipient.id)
    if check_existing and session.execute(select(deliveries.c.id)
                                          .where(deliveries.c.id == did)).first():
        return None
    config = runtime.notify
    now = runtime.clock.now()
    # Every message may point to the public site and the programme office
    # and name the edition's deadline.
    rendered = render(template, {"site_url": config.public_base_url, "deadline": config.deadline,
                                 "office_contact": config.office_contact,
                                 **context, "recipient": recipient})
    mid = message_id(did, config.message_id_domain)
    files = attachments() if callable(attachments) else attachments
    message = assemble(rendered, sender=config.mail_from, to_name=recipient.name,
                       to_address=recipient.email, msg_id=mid, date_=now, attachments=files,
                       headers={"X-Coalizione-Template": template})
    if not insert_new(session, deliveries, dict(
            id=did, event_id=event_id, occasion=occasion[:200], template=template,
            recipient_id=recipient.id, recipient_address=recipient.email,
            adhesion_id=adhesion_id, subject_id=subject_id, state=QUEUED, attempts=0,
            message_id=mid, message=message, subject=rendered.subject, next_attempt_at=now,
            created_at=now, updated_at=now)):
        return None
    log.info("queued %s for %s", template, recipient.id, extra={"delivery_id": did})
    return did


def record_undeliverable(session: Session, runtime, *, occasion: str, event_id: str,
                         template: str, recipient_id: str, reason: str,
                         adhesion_id: str | None = None, subject_id: str | None = None) -> str | None:
    """Record a message that cannot be sent at all (no address for the
    person) as ``failed`` with ``reason``, and announce it; once per
    (occasion, template, recipient), like :func:`queue`."""
    did = delivery_id(occasion, template, recipient_id)
    now = runtime.clock.now()
    values = dict(id=did, event_id=event_id, occasion=occasion[:200], template=template,
                  recipient_id=recipient_id, recipient_address=None, adhesion_id=adhesion_id,
                  subject_id=subject_id, state=FAILED, attempts=0, reason=reason,
                  message_id=message_id(did, runtime.notify.message_id_domain), message=None,
                  next_attempt_at=now, created_at=now, updated_at=now)
    if not insert_new(session, deliveries, values):
        return None
    runtime.emit(session, "notification.failed", subject_id,
                 outcome_data(SimpleNamespace(**values), reason))
    log.warning("%s for %s cannot be sent: %s", template, recipient_id, reason,
                extra={"delivery_id": did})
    return did


def outcome_data(row, reason: str | None = None) -> dict:
    data = {"notification_id": row.id, "template": row.template,
            "recipient_id": row.recipient_id, "subject_id": row.subject_id,
            "adhesion_id": row.adhesion_id, "attempts": row.attempts}
    if reason is not None:
        data["reason"] = reason
    return data


class Sender:
    """Moves due deliveries through the transport (see the module docstring).

    Rows are claimed ``claim_batch`` at a time (one short transaction for
    several rows) and each outcome is recorded on its own, right after its
    message went out, so a crash can leave at most one message sent and not
    marked. The messages of one run share an SMTP connection; with
    ``keep_connection`` (the worker's senders) it stays open for the next
    runs, until ``SMTP_KEEP_IDLE`` seconds have passed without a message.
    """

    def __init__(self, runtime, transport=None, keep_connection: bool = False):
        self.runtime = runtime
        self.transport = transport or runtime.transport
        self.keep_connection = keep_connection
        self._local = threading.local()  # each sender thread has its own connection
        # Set while claims fill their batch (more may be due): see
        # bootstrap.sender_jobs; ``on_backlog`` is called when it starts.
        self.backlog = threading.Event()
        self.on_backlog = lambda: None

    @property
    def engine(self):
        return self.runtime.engine

    @property
    def config(self):
        return self.runtime.notify

    def run_once(self, limit: int | None = None) -> int:
        """Attempt every due delivery (at most ``limit``); returns how many."""
        done = 0
        smtp = self._session()
        # One database connection for the run's claims and outcomes (a
        # checkout from the pool pings the server first).
        self._local.db = self.engine.connect()
        try:
            while limit is None or done < limit:
                size = self.config.claim_batch if limit is None \
                    else min(self.config.claim_batch, limit - done)
                rows = self.claim_many(size)
                self._note_backlog(len(rows) == size)
                outcomes = [self.attempt(row, smtp) for n, row in enumerate(rows)
                            if n == 0 or self._within_lease(row)]
                done += len(rows)
                # A short batch means nothing else was due, unless an
                # attempt was put back to be retried (it may be due already).
                if len(rows) < size and RETRY not in outcomes:
                    break
        except BaseException:
            self._close_session()
            raise
        finally:
            self._release_db()
        self._local.used_at = time.monotonic() if done else getattr(self._local, "used_at", 0.0)
        if not self.keep_connection or time.monotonic() - self._local.used_at > SMTP_KEEP_IDLE:
            self._close_session()
        return done

    def _note_backlog(self, full: bool) -> None:
        if full and not self.backlog.is_set():
            self.backlog.set()
            self.on_backlog()
        elif not full:
            self.backlog.clear()

    def _release_db(self) -> None:
        db, self._local.db = getattr(self._local, "db", None), None
        if db is not None:
            db.close()

    @contextmanager
    def _transaction(self):
        """A transaction on the run's connection, else on a new one."""
        db = getattr(self._local, "db", None)
        if db is None:
            with self.engine.begin() as connection:
                yield connection
        else:
            with db.begin():
                yield db

    def _session(self):
        smtp = getattr(self._local, "smtp", None)
        if smtp is None:
            smtp = self._local.smtp = session_of(self.transport)
        return smtp

    def _close_session(self) -> None:
        smtp, self._local.smtp = getattr(self._local, "smtp", None), None
        if smtp is not None:
            smtp.close()

    def _within_lease(self, row) -> bool:
        """Whether a row claimed with others, and not sent yet, may still be
        sent (the first of a batch always is, as when claimed alone): once
        half the lease has passed since its claim, another sender could soon
        take it over, so it is left ``sending`` for that (as if this sender
        had died before sending it)."""
        elapsed = (self.runtime.clock.now() - row.updated_at).total_seconds()
        if elapsed <= self.config.sending_lease / 2:
            return True
        log.warning("delivery %s claimed %.0f s ago: left to be taken over after the lease",
                    row.id, elapsed, extra={"delivery_id": row.id})
        return False

    def claim(self):
        """One due delivery, claimed (see :meth:`claim_many`), or None."""
        rows = self.claim_many(1)
        return rows[0] if rows else None

    def claim_many(self, limit: int) -> list:
        """Up to ``limit`` due deliveries, oldest due first, each marked
        ``sending`` with its attempt counted, in one statement."""
        now = self.runtime.clock.now()
        stale = now - timedelta(seconds=self.config.sending_lease)
        with self._transaction() as connection:
            rows = connection.execute(_CLAIM, {"now": now, "stale": stale,
                                            "limit": max(1, limit)}).all()
        rows.sort(key=lambda row: row.next_attempt_at)
        return [SimpleNamespace(**{**row._asdict(), "updated_at": now}) for row in rows]

    def attempt(self, row, transport=None) -> str:
        """Send one claimed row (through ``transport``, e.g. an SMTP session,
        else the sender's transport) and record the outcome."""
        try:
            (transport or self.transport).send(self.config.from_address, row.recipient_address,
                                               row.message.encode("utf-8"), name=row.id)
        except PermanentFailure as exc:
            return self.record(row, FAILED, exc.reason)
        except TransientFailure as exc:
            return self._transient(row, exc.reason)
        except Exception as exc:  # an unexpected error: never lose the row
            log.exception("sending %s failed unexpectedly", row.id)
            return self._transient(row, without_addresses(f"{type(exc).__name__}: {exc}"))
        if self.config.fault == "kill-after-smtp":
            _die(f"fault hook: accepted {row.id}, dying before marking it sent")
        return self.record(row, SENT, None)

    def _transient(self, row, reason: str) -> str:
        if row.attempts >= self.config.max_attempts:
            return self.record(row, FAILED, f"gave up after {row.attempts} attempts: {reason}")
        return self.record(row, RETRY, reason)

    def record(self, row, state: str, reason: str | None) -> str:
        """Write the outcome of the attempt that claimed ``row``; announce
        final outcomes in the same transaction."""
        now = self.runtime.clock.now()
        values = {"state": state, "reason": reason, "updated_at": now}
        if state == SENT:
            values["sent_at"] = now
        if state == RETRY:
            values["next_attempt_at"] = now + self.config.backoff(row.attempts)
        try:
            changed = self._write_outcome(row, state, reason, values)
        except DBAPIError as exc:
            # The run's connection was lost (e.g. its server process ended)
            # while the message went out: the outcome is written again on a
            # new one (applied once: only while the row is in this attempt).
            if not exc.connection_invalidated or getattr(self._local, "db", None) is None:
                raise
            log.warning("connection lost recording %s: recording it again", row.id)
            self._release_db()
            changed = self._write_outcome(row, state, reason, values)
        if not changed:
            log.warning("delivery %s was taken over by another sender", row.id)
            return state
        level = logging.WARNING if state != SENT else logging.INFO
        log.log(level, "delivery %s: %s%s", row.id, state, f" ({reason})" if reason else "",
                extra={"delivery_id": row.id, "attempt": row.attempts})
        return state


    def _write_outcome(self, row, state: str, reason: str | None, values: dict) -> bool:
        with self._transaction() as connection:
            changed = connection.execute(_OUTCOME, {
                **values, "claimed_id": row.id, "claimed_attempt": row.attempts}).rowcount
            if changed and state == SENT:
                self.runtime.emit(connection, "notification.sent", row.subject_id,
                                  outcome_data(row))
            elif changed and state == FAILED:
                self.runtime.emit(connection, "notification.failed", row.subject_id,
                                  outcome_data(row, reason))
        return bool(changed)


# The sender's statements, built once (building costs more CPU than running
# them). The claim locks due rows (SKIP LOCKED on PostgreSQL), marks them
# ``sending`` and counts their attempt, and returns them.
_NOW = bindparam("now", type_=deliveries.c.updated_at.type)
_DUE = (select(deliveries.c.id)
        .where(or_(and_(deliveries.c.state.in_((QUEUED, RETRY)),
                        deliveries.c.next_attempt_at <= _NOW),
                   and_(deliveries.c.state == SENDING,
                        deliveries.c.updated_at <= bindparam(
                            "stale", type_=deliveries.c.updated_at.type))),
               deliveries.c.message.is_not(None))
        .order_by(deliveries.c.next_attempt_at).limit(bindparam("limit"))
        .with_for_update(skip_locked=True))
_CLAIM = (update(deliveries).where(deliveries.c.id.in_(_DUE.scalar_subquery()))
          .values(state=SENDING, attempts=deliveries.c.attempts + 1, updated_at=_NOW)
          .returning(*deliveries.c))


# An outcome (the columns set come with the parameters), written only while
# the row is in the attempt that claimed it.
_OUTCOME = update(deliveries).where(deliveries.c.id == bindparam("claimed_id"),
                                    deliveries.c.state == SENDING,
                                    deliveries.c.attempts == bindparam("claimed_attempt"))


def _die(reason: str) -> None:
    """Fault injection for the crash tests (``NOTIFY_FAULT``): end the
    process at once, as a power cut or OOM kill would."""
    log.error(reason)
    os.kill(os.getpid(), signal.SIGKILL)


class NotResendable(Exception):
    pass


def resend(runtime, original_id: str) -> str:
    """Queue a new delivery of a sent or failed message, to the person's
    current address, with a new Message-ID; returns the new delivery's id.

    Raises LookupError when there is no such delivery, NotResendable when
    it is still on its way or its content was erased.
    """
    now = runtime.clock.now()
    with Session(runtime.engine) as session, session.begin():
        row = session.execute(select(deliveries).where(deliveries.c.id == original_id)
                              .with_for_update()).first()
        if row is None:
            raise LookupError(original_id)
        if row.state not in (SENT, FAILED):
            raise NotResendable(f"the delivery is {row.state}: it is still on its way")
        if row.message is None:
            raise NotResendable("the message is no longer kept (erased, or past retention)")
        count = session.execute(select(func.count()).select_from(deliveries)
                                .where(deliveries.c.resend_of == original_id)).scalar()
        new_id = str(uuid.uuid5(NAMESPACE, f"resend\x1f{original_id}\x1f{count + 1}"))
        person = session.execute(select(people.c.name, people.c.email)
                                 .where(people.c.person_id == row.recipient_id)).first()
        address = person.email if person else row.recipient_address
        mid = message_id(new_id, runtime.notify.message_id_domain)
        msg = message_from_string(row.message, policy=policy.SMTP)
        msg.replace_header("Message-ID", mid)
        msg.replace_header("Date", format_datetime(now))
        if person:
            msg.replace_header("To", formataddr((person.name, person.email)))
        session.execute(deliveries.insert().values(
            id=new_id, event_id=row.event_id, occasion=f"resend:{original_id}:{count + 1}",
            template=row.template, recipient_id=row.recipient_id, recipient_address=address,
            adhesion_id=row.adhesion_id, subject_id=row.subject_id, state=QUEUED, attempts=0,
            message_id=mid, message=msg.as_string(), subject=row.subject, resend_of=original_id,
            next_attempt_at=now, created_at=now, updated_at=now))
    return new_id


def forget_old_messages(runtime) -> int:
    """Personal data are kept no longer than needed: the stored message and
    address of deliveries that reached a final state more than
    ``retention_days`` ago are dropped (the log row itself stays)."""
    cutoff = runtime.clock.now() - timedelta(days=runtime.notify.retention_days)
    with Session(runtime.engine) as session, session.begin():
        return session.execute(update(deliveries).where(
            deliveries.c.state.in_((SENT, FAILED)), deliveries.c.updated_at < cutoff,
            deliveries.c.message.is_not(None)).values(message=None,
                                                      recipient_address=None)).rowcount


ERASED_REASON = "the recipient's personal data were erased"
MENTION_REASON = "the message names a person whose personal data were erased"


def fail_pending(session: Session, runtime, where, reason: str) -> None:
    """Fail (and announce) the deliveries matching ``where`` that had not
    gone out yet, those being sent included: their message is about to be
    forgotten, so a sender that died while sending could not be taken over
    and the row would stay ``sending`` for good. (A live sender's message
    may still reach the server at that moment; its outcome then changes
    nothing, as for any row taken away from it.)"""
    waiting = and_(where, deliveries.c.state.in_((QUEUED, RETRY, SENDING)))
    for row in session.execute(select(deliveries).where(waiting)).all():
        runtime.emit(session, "notification.failed", row.subject_id, outcome_data(row, reason))
    session.execute(update(deliveries).where(waiting).values(
        state=FAILED, reason=reason, updated_at=runtime.clock.now()))


def message_text(raw: str) -> str:
    """The subject and the decoded text parts (plain and HTML) of a stored message."""
    msg = message_from_string(raw, policy=policy.default)
    parts = [str(msg.get("Subject", ""))]
    for part in msg.walk():
        if part.get_content_maintype() == "text" and not part.is_attachment():
            try:
                parts.append(part.get_content())
            except (LookupError, ValueError):
                continue
    return "\n".join(parts)


def _mentions(text: str, words) -> bool:
    folded = text.casefold()
    return any(word.casefold() in folded for word in words)


def erase_recipients(session: Session, runtime, person_ids: list[str],
                     adhesion_id: str | None = None, mentions=()) -> int:
    """Forget the addresses and messages of erased people; what was still
    waiting to go out to them fails (and is announced as failed).

    ``mentions`` (their names and addresses, taken from the replica before
    it forgot them) are looked for in the other messages of ``adhesion_id``
    (the contact's overviews list the participants): a message that names
    them is forgotten too (failed if still waiting), and so is a subject
    that names them."""
    if not person_ids:
        return 0
    now = runtime.clock.now()
    to_them = deliveries.c.recipient_id.in_(person_ids)
    fail_pending(session, runtime, to_them, ERASED_REASON)
    words = [w for w in {str(m).strip() for m in mentions if m} if len(w) >= 3]
    if words:
        scope = or_(to_them, deliveries.c.adhesion_id == adhesion_id) if adhesion_id else to_them
        for row in session.execute(select(deliveries.c.id, deliveries.c.subject).where(
                scope, deliveries.c.subject.is_not(None))).all():
            if _mentions(row.subject, words):
                session.execute(update(deliveries).where(deliveries.c.id == row.id)
                                .values(subject=None, updated_at=now))
    erased = session.execute(update(deliveries).where(to_them).values(
        recipient_address=None, message=None, updated_at=now)).rowcount
    if words and adhesion_id:
        naming = [row.id for row in session.execute(select(deliveries.c.id, deliveries.c.message)
                                                    .where(deliveries.c.adhesion_id == adhesion_id,
                                                           deliveries.c.message.is_not(None)))
                  if _mentions(message_text(row.message), words)]
        if naming:
            fail_pending(session, runtime, deliveries.c.id.in_(naming), MENTION_REASON)
            session.execute(update(deliveries).where(deliveries.c.id.in_(naming))
                            .values(message=None, updated_at=now))
    return erased
