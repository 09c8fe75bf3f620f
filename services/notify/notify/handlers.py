"""Use cases: one function per consumed event. Each keeps the replica
current and records the deliveries the event calls for, in the consumer's
transaction; the sender sends them afterwards.

Which message goes to whom:

- ``roster.updated`` (reason ``submitted`` or ``confirmation_requested``,
  with ``links.confirm``): the confirmation request, to the contact;
  ``confirmed``: the receipt with the scheda as PDF; ``updated`` and
  ``withdrawn``: their receipts. Always to the body's contact.
- an assignment to a session whose session and roster are known: the
  invitation (local day or webinar, with an .ics) to each participant it
  names (every participant of the body when it names none), and the
  overview to the contact. Whichever of session.scheduled,
  assignment.created and roster.updated arrives last makes it possible;
  the invitation's id is derived from the assignment, so it goes once.
- ``session.rescheduled`` and ``session.cancelled``: a notice (with the
  updated or cancelling .ics) to the same people; ``assignment.cancelled``:
  a notice to the people of that assignment; ``assignment.updated`` (the
  body's people changed): invitations to those added, a notice to those
  removed.
- ``roster.certificate.issued``: the certificate of attendance, as PDF, to
  its holder, once per certificate.
"""
from __future__ import annotations

import logging
import os
import signal
import time

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from coalizione_common.envelope import Envelope

from . import certificates, replica
from .deliveries import Recipient, Sender, erase_recipients, queue, record_undeliverable
from .documents import ROLE_LABELS, certificate_pdf, scheda_pdf, session_ics

log = logging.getLogger("notify.handlers")

ROSTER_TEMPLATES = {"submitted": "confirmation_request",
                    "confirmation_requested": "confirmation_request",
                    "confirmed": "adhesion_confirmed", "updated": "adhesion_updated",
                    "withdrawn": "adhesion_withdrawn"}
INVITATIONS = {"in_person": "invitation_local_day", "webinar": "invitation_webinar"}


def recipient(person: dict) -> Recipient:
    return Recipient(person["person_id"], person["name"], person["email"])


def adhesion_context(adhesion: dict) -> dict:
    return {"adhesion": adhesion, "entity": adhesion["entity"], "contact": adhesion["contact"],
            "participants": adhesion["participants"], "manage_url": adhesion["manage_url"]}


# roster and adhesions ---------------------------------------------------------
def roster_updated(runtime, session: Session, envelope: Envelope) -> None:
    data = envelope.data
    now = runtime.clock.now()
    current = replica.apply_roster(session, data, now)
    if not current:
        log.info("roster of %s older than the one stored", data["adhesion_id"])
    adhesion, waiting = replica.adhesion_and_waiting(session, data["adhesion_id"])
    template = ROSTER_TEMPLATES.get(data.get("reason") or "")
    links = data.get("links") or {}
    contact = adhesion["contact"] if adhesion else None
    if template == "confirmation_request" and not links.get("confirm"):
        log.warning("roster.updated %s asks for confirmation without a link", envelope.id)
        template = None
    if template == "confirmation_request" and not current \
            and adhesion["status"] != "pending_confirmation":
        template = None  # it arrived late: the adhesion was confirmed or withdrawn since
    if template and contact:
        context = adhesion_context(adhesion)
        context.update(confirm_url=links.get("confirm"),
                       confirm_expires_at=replica.instant(data.get("confirm_expires_at")),
                       status=data.get("status"), reason=data.get("reason"))
        attachments = ()
        if template in ("adhesion_confirmed", "adhesion_updated"):
            snapshot = dict(adhesion, status=data.get("status") or adhesion["status"])
            attachments = lambda: [scheda_pdf(snapshot, contact, adhesion["participants"], now)]
        queue(session, runtime, occasion=envelope.id, event_id=envelope.id, template=template,
              recipient=recipient(contact), context=context, adhesion_id=adhesion["adhesion_id"],
              subject_id=adhesion["adhesion_id"], attachments=attachments,
              check_existing=False)
    if adhesion and adhesion["status"] != "withdrawn" and waiting.assignments:
        invite(runtime, session, envelope, adhesion_id=adhesion["adhesion_id"])
    if current and waiting.certificates:
        send_waiting_certificates(runtime, session, data["adhesion_id"])
    _fault_after_commit(runtime, session)


def roster_erased(runtime, session: Session, envelope: Envelope) -> None:
    """Forget the people (ids stay), their addresses, the messages to them
    and the messages and subjects that name them, and their names on
    certificates."""
    adhesion_id = envelope.data["adhesion_id"]
    person_ids = list(envelope.data.get("person_ids") or [])
    mentions = replica.erase(session, adhesion_id, person_ids, runtime.clock.now())
    erase_recipients(session, runtime, person_ids, adhesion_id=adhesion_id, mentions=mentions)
    certificates.erase_holders(session, person_ids)


def certificate_issued(runtime, session: Session, envelope: Envelope) -> None:
    """Store the certificate and mail it, with its PDF, to its holder. A
    holder whose data were erased makes a failed delivery that says why,
    once. A holder notify has not heard of yet (the roster travels on
    another queue) is waited for: the certificate is kept, and the roster's
    arrival sends it (:func:`send_waiting_certificates`)."""
    data = envelope.data
    holder = replica.person(session, data["participant_id"])
    certificate = certificates.store(session, data, envelope.id,
                                     holder["name"] if holder else None, runtime.clock.now())
    if holder is not None:
        _mail_certificate(runtime, session, certificate, holder, envelope.id)
    elif replica.is_erased(session, certificate["participant_id"]):
        record_undeliverable(session, runtime, recipient_id=certificate["participant_id"],
                             reason="the holder's personal data were erased",
                             **_certificate_occasion(certificate, envelope.id))
    else:
        log.info("certificate %s waits for the roster of its holder %s",
                 certificate["certificate_id"], certificate["participant_id"])


def certificate_revoked(runtime, session: Session, envelope: Envelope) -> None:
    """A presence was corrected: the certificate's e-mail, if still to go
    out, is failed, and a certificate waiting for its holder's roster is no
    longer sent (scheduling's page tells anyone who checks the code)."""
    data = envelope.data
    certificates.revoke(session, runtime, data["certificate_id"], data["participant_id"])


def send_waiting_certificates(runtime, session: Session, adhesion_id: str) -> None:
    """Mail the certificates of this adhesion that came before their
    holder's roster and have no delivery yet."""
    for certificate in certificates.waiting(session, adhesion_id):
        holder = replica.person(session, certificate["participant_id"])
        if holder is not None:
            certificates.name_holder(session, certificate["certificate_id"], holder["name"])
            certificate["holder_name"] = holder["name"]
            _mail_certificate(runtime, session, certificate, holder, certificate["event_id"])


def _certificate_occasion(certificate: dict, event_id: str) -> dict:
    return dict(occasion=certificates.occasion(certificate["certificate_id"]),
                event_id=event_id, template=certificates.TEMPLATE,
                adhesion_id=certificate["adhesion_id"], subject_id=certificate["adhesion_id"])


def _mail_certificate(runtime, session: Session, certificate: dict, holder: dict,
                      event_id: str) -> None:
    verify_url = certificates.verify_url(runtime, certificate)
    name = certificate["holder_name"] or holder["name"]
    queue(session, runtime, recipient=Recipient(holder["person_id"], holder["name"],
                                                holder["email"]),
          context={"certificate": certificate, "verify_url": verify_url,
                   "role_label": ROLE_LABELS.get(certificate["role"], certificate["role"])},
          attachments=lambda: [certificate_pdf(certificate, name, verify_url)],
          **_certificate_occasion(certificate, event_id))


def adhesion_changed(runtime, session: Session, envelope: Envelope) -> None:
    """adhesion.* carry no personal data: they only keep the status current
    (the deadline reminder must not reach a body that has confirmed)."""
    data = envelope.data
    kind = envelope.type.rpartition(".")[2]
    status = {"submitted": "pending_confirmation", "confirmed": "confirmed",
              "withdrawn": "withdrawn"}.get(kind) or data.get("status")
    if not status:
        return
    entity_code = data.get("entity_code") or (data.get("entity") or {}).get("code") or ""
    at = replica.instant(data.get(f"{kind}_at"))
    replica.apply_status(session, data["adhesion_id"], entity_code, status, at,
                         runtime.clock.now())


# sessions and assignments -------------------------------------------------------
def people_of(assignment: dict, adhesion: dict) -> list[dict]:
    """The participants an assignment names (all of the body's, if none)."""
    wanted = assignment["participant_ids"]
    if not wanted:
        return adhesion["participants"]
    return [p for p in adhesion["participants"] if p["person_id"] in wanted]


def session_notice(runtime, session: Session, *, occasion: str, event_id: str, template: str,
                    training: dict, assignment: dict, extra: dict | None = None,
                    ics: str | None = "request", withdrawn_too: bool = False) -> None:
    """One message per participant concerned, and the overview to the
    contact; nothing for a withdrawn body unless ``withdrawn_too`` (the
    cancellation that takes the day out of its people's calendars)."""
    adhesion = replica.adhesion(session, assignment["adhesion_id"])
    if adhesion is None or (adhesion["contact"] is None and not adhesion["participants"]):
        log.info("no roster yet for adhesion %s: %s waits", assignment["adhesion_id"], template)
        return
    if adhesion["status"] == "withdrawn" and not withdrawn_too:
        return
    concerned = people_of(assignment, adhesion)
    now = runtime.clock.now()
    audiences = [(p, "participant") for p in concerned]
    # The contact: not once their data were erased, nor after a withdrawal
    # (its receipt told them).
    if adhesion["contact"] is not None and adhesion["status"] != "withdrawn":
        audiences.append((adhesion["contact"], "contact"))
    for person, audience in audiences:
        context = adhesion_context(adhesion)
        context.update(session=training, audience=audience, concerned=concerned, **(extra or {}))
        attachments = ()
        if ics:
            attending = audience == "participant"
            attachments = (lambda p=person, attending=attending: [session_ics(
                training, organizer=runtime.notify.from_address,
                attendee_name=p["name"] if attending else None,
                attendee_email=p["email"] if attending else None, stamp=now,
                cancelled=ics == "cancel")])
        queue(session, runtime, occasion=occasion, event_id=event_id, template=template,
              recipient=recipient(person), context=context,
              adhesion_id=adhesion["adhesion_id"], subject_id=training["session_id"],
              attachments=attachments)


def invite(runtime, session: Session, envelope: Envelope, *, session_id: str | None = None,
           adhesion_id: str | None = None) -> None:
    """Invite everyone owed an invitation among the active assignments of
    a session or of an adhesion (see the module docstring)."""
    for assignment in replica.active_assignments(session, session_id=session_id,
                                                 adhesion_id=adhesion_id):
        training = replica.training_session(session, assignment["session_id"])
        if training is None or training["status"] != "scheduled":
            continue
        if training["ends_at"] <= runtime.clock.now():
            continue
        session_notice(runtime, session, occasion=f"assignment:{assignment['assignment_id']}",
                        event_id=envelope.id, template=INVITATIONS.get(training["kind"],
                                                                       "invitation_local_day"),
                        training=training, assignment=assignment)


def session_scheduled(runtime, session: Session, envelope: Envelope) -> None:
    replica.apply_session(session, envelope.data, "scheduled", runtime.clock.now())
    invite(runtime, session, envelope, session_id=envelope.data["session_id"])


def session_rescheduled(runtime, session: Session, envelope: Envelope) -> None:
    data = envelope.data
    replica.apply_session(session, data, "scheduled", runtime.clock.now())
    training = replica.training_session(session, data["session_id"])
    previous = dict(data.get("previous") or {})
    for key in ("starts_at", "ends_at"):
        previous[key] = replica.instant(previous.get(key))
    for assignment in replica.active_assignments(session, session_id=data["session_id"]):
        session_notice(runtime, session, occasion=envelope.id, event_id=envelope.id,
                        template="session_rescheduled", training=training,
                        assignment=assignment, extra={"previous": previous})


def session_cancelled(runtime, session: Session, envelope: Envelope) -> None:
    data = envelope.data
    replica.apply_session(session, data, "cancelled", runtime.clock.now())
    training = replica.training_session(session, data["session_id"])
    for assignment in replica.active_assignments(session, session_id=data["session_id"]):
        session_notice(runtime, session, occasion=envelope.id, event_id=envelope.id,
                        template="session_cancelled", training=training, assignment=assignment,
                        extra={"reason": data.get("reason")}, ics="cancel")


def assignment_created(runtime, session: Session, envelope: Envelope) -> None:
    replica.apply_assignment(session, envelope.data, "active", runtime.clock.now())
    invite(runtime, session, envelope, adhesion_id=envelope.data["adhesion_id"])
    _fault_after_commit(runtime, session)


def assignment_updated(runtime, session: Session, envelope: Envelope) -> None:
    """The body's people changed: those added are invited (everyone else
    already was, under the same assignment, so nothing goes twice), and
    those removed, while notify still knows them, are told."""
    data = envelope.data
    before = replica.assignment(session, data["assignment_id"])
    replica.apply_assignment(session, data, "active", runtime.clock.now())
    invite(runtime, session, envelope, adhesion_id=data["adhesion_id"])
    removed = (set(data.get("previous_participant_ids")
                   or (before or {}).get("participant_ids") or [])
               - set(data.get("participant_ids") or []))
    training = replica.training_session(session, data["session_id"])
    adhesion = replica.adhesion(session, data["adhesion_id"])
    if not removed or training is None or training["status"] != "scheduled" \
            or training["ends_at"] <= runtime.clock.now() or adhesion is None \
            or not any(p["person_id"] in removed for p in adhesion["participants"]):
        return
    session_notice(runtime, session, occasion=envelope.id, event_id=envelope.id,
                    template="assignment_cancelled", training=training,
                    assignment=dict(data, participant_ids=sorted(removed)), ics="cancel",
                    extra={"partial": True})


def assignment_cancelled(runtime, session: Session, envelope: Envelope) -> None:
    data = envelope.data
    before = replica.assignment(session, data["assignment_id"])
    replica.apply_assignment(session, data, "cancelled", runtime.clock.now())
    training = replica.training_session(session, data["session_id"])
    if training is None or (before is not None and before["status"] == "cancelled"):
        return
    if training["status"] == "cancelled":
        return  # the session's cancellation notice already told them
    assignment = dict(before or {}, **{k: v for k, v in data.items() if k in (
        "assignment_id", "session_id", "adhesion_id")})
    assignment["participant_ids"] = list(data.get("participant_ids")
                                         or (before or {}).get("participant_ids") or [])
    session_notice(runtime, session, occasion=envelope.id, event_id=envelope.id,
                    template="assignment_cancelled", training=training, assignment=assignment,
                    ics="cancel", withdrawn_too=training["ends_at"] > runtime.clock.now())


# fault injection ----------------------------------------------------------------
def _fault_after_commit(runtime, session: Session) -> None:
    """``NOTIFY_FAULT=kill-after-commit`` (crash tests only): once the
    handler's transaction has committed, send what it queued, then die
    before the consumer can ack the event to the broker."""
    if runtime.notify.fault != "kill-after-commit":
        return

    def send_then_die(_session):
        # The worker's own sender may claim the delivery first (it is woken
        # by the same commit): wait until someone has sent and marked it.
        deadline = time.monotonic() + 10
        while _pending(runtime) and time.monotonic() < deadline:
            Sender(runtime).run_once()
            time.sleep(0.02)
        log.error("fault hook: dying after commit, before the ack")
        os.kill(os.getpid(), signal.SIGKILL)

    sa_event.listen(session, "after_commit", send_then_die, once=True)


def _pending(runtime) -> int:
    from sqlalchemy import func, select

    from .adapters.orm import deliveries
    from .deliveries import QUEUED, RETRY, SENDING
    with runtime.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(deliveries).where(
            deliveries.c.state.in_((QUEUED, SENDING, RETRY)))).scalar()
