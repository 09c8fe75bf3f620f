"""Use cases of the enrolment service: one function per command or
consumed event. Each change and the events announcing it commit together."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coalizione_common.db import upsert
from coalizione_common.envelope import Envelope
from coalizione_common import replica
from coalizione_common.outbox import add_to_outbox
from coalizione_common.pipeline import pipelined_transaction
from coalizione_common.runtime import ServiceRuntime

from . import events, tokens
from .adapters import repository as repo
from .adapters.orm import entities
from .domain.errors import (AdhesionNotFound, AdhesionWithdrawn, AlreadyEnrolled,
                            EnrolmentClosed, ExpiredLink, InvalidLink, NotEligible, NotPending,
                            UnknownEntity)
from .domain.text import fold
from .edition import CURRENT


@dataclass(frozen=True)
class Submitted:
    adhesion: dict
    manage_token: str


def _settings(runtime: ServiceRuntime):
    return runtime.enrolment


def manage_url(runtime: ServiceRuntime, adhesion: dict) -> str:
    token = tokens.manage_token(_settings(runtime).secret_key, adhesion["id"],
                                adhesion["manage_nonce"])
    return f"{_settings(runtime).public_base_url}/adesione/{adhesion['id']}?token={token}"


def _confirm_url(runtime: ServiceRuntime, adhesion_id: str, token: str) -> str:
    return f"{_settings(runtime).public_base_url}/adesione/{adhesion_id}/conferma?token={token}"


def _ensure_open(runtime: ServiceRuntime) -> None:
    if not CURRENT.is_open(runtime.clock.now()):
        raise EnrolmentClosed(
            f"Le adesioni a {CURRENT.name} si sono chiuse il "
            f"{CURRENT.deadline.strftime('%d/%m/%Y alle %H:%M')} (ora italiana).")


def _new_confirmation(runtime: ServiceRuntime, now):
    token = tokens.confirm_token()
    return token, tokens.digest(token), now + timedelta(hours=_settings(runtime).confirm_ttl_hours)


def submit_adhesion(runtime: ServiceRuntime, values: dict) -> Submitted:
    """Record a new adhesion (pending confirmation); ``values`` were checked
    by :func:`domain.validation.check_submission`."""
    _ensure_open(runtime)
    now = runtime.clock.now()
    adhesion_id = str(uuid.uuid4())
    nonce = tokens.new_nonce()
    manage = tokens.manage_token(_settings(runtime).secret_key, adhesion_id, nonce)
    confirm, confirm_hash, expires = _new_confirmation(runtime, now)
    try:
        # A Core connection, not an ORM session: this is the hot path, two
        # round trips on PostgreSQL (the replica's row; the inserts).
        with runtime.engine.connect() as conn, pipelined_transaction(conn) as tx:
            entity = repo.entity_for_enrolment(tx, CURRENT.id, values["entity_code"])
            if entity is None:
                raise UnknownEntity(f"Nessun ente con codice {values['entity_code']!r} "
                                    "nell'anagrafe degli enti.", entity_code=values["entity_code"])
            if not entity.eligible:
                raise NotEligible(f"{entity.name} non può aderire: {entity.eligibility_reason}",
                                  entity_code=entity.code, reason=entity.eligibility_reason)
            if entity.taken:
                raise _already_enrolled(entity)
            row = {"id": adhesion_id, "edition": CURRENT.id, "entity_code": entity.code,
                   "entity_name": entity.name, "entity_kind": entity.kind,
                   "province": entity.province, "region": entity.region,
                   "population": entity.population, "status": "pending_confirmation",
                   "webinar_topics": json.dumps(values["webinar_topics"]),
                   "privacy_notice_read_at": now, "manage_token_hash": tokens.digest(manage),
                   "manage_nonce": nonce, "confirm_token_hash": confirm_hash,
                   "confirm_expires_at": expires, "submitted_at": now, "updated_at": now}
            contact, participants = repo.insert_adhesion(tx, row, values["contact"],
                                                         values["participants"])
            adhesion = dict(row, webinar_topics=list(values["webinar_topics"]),
                            contact=contact, participants=participants, confirmed_at=None,
                            withdrawn_at=None, version=1)
            _emit(runtime, conn, adhesion_id, [
                ("adhesion.submitted", events.submitted(adhesion)),
                ("roster.updated", events.roster(
                    adhesion, "submitted", now, manage_url(runtime, adhesion),
                    _confirm_url(runtime, adhesion_id, confirm), expires))])
    except IntegrityError:
        # Another submission for the same body committed first.
        with Session(runtime.engine) as session:
            raise _already_enrolled(repo.get_entity(session, values["entity_code"])) from None
    return Submitted(adhesion, manage)


def _emit(runtime: ServiceRuntime, session, subject: str,
          announced: list[tuple[str, dict]]) -> None:
    """``runtime.emit`` for the events of one change, written to the outbox
    with one statement (same envelopes, same transaction)."""
    now = runtime.clock.now()
    add_to_outbox(session, runtime.outbox,
                  [Envelope.new(type, runtime.name, subject, data, now) for type, data in announced],
                  now)


def _already_enrolled(entity) -> AlreadyEnrolled:
    return AlreadyEnrolled(f"{entity.name} ha già un'adesione a {CURRENT.name}. Il referente "
                           "può modificarla dal link ricevuto per e-mail.",
                           entity_code=entity.code)


def _load(session: Session, adhesion_id: str, lock: bool = True) -> dict:
    adhesion = repo.load(session, adhesion_id, lock=lock and repo.locks_rows(session))
    if adhesion is None:
        raise AdhesionNotFound("Nessuna adesione con questo identificativo.")
    return adhesion


def get_adhesion(runtime: ServiceRuntime, adhesion_id: str) -> dict:
    with Session(runtime.engine) as session:
        return _load(session, adhesion_id, lock=False)


def check_confirmation_link(runtime: ServiceRuntime, adhesion_id: str, token: str) -> dict:
    """The adhesion a confirmation link is for, if it is still usable."""
    with Session(runtime.engine) as session:
        adhesion = repo.load(session, adhesion_id)
    return _usable_confirmation(runtime, adhesion, token)


def _usable_confirmation(runtime, adhesion, token) -> dict:
    if adhesion is None or not tokens.matches(token, adhesion["confirm_token_hash"]):
        if adhesion is not None and adhesion["status"] == "confirmed" and token:
            raise NotPending("Questa adesione è già confermata: il link si può usare una sola "
                             "volta.")
        raise InvalidLink("Il link di conferma non è valido o è già stato usato.")
    if adhesion["status"] != "pending_confirmation":
        raise InvalidLink("Il link di conferma non è più valido.")
    expires = adhesion["confirm_expires_at"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=runtime.clock.now().tzinfo)
    if runtime.clock.now() > expires:
        raise ExpiredLink("Il link di conferma è scaduto: chiedine uno nuovo dalla pagina di "
                          "adesione.")
    return adhesion


def confirm_adhesion(runtime: ServiceRuntime, adhesion_id: str, token: str) -> dict:
    """Use a single-use confirmation link: pending_confirmation -> confirmed."""
    with Session(runtime.engine) as session, session.begin():
        adhesion = _usable_confirmation(runtime, _load(session, adhesion_id), token)
        now = runtime.clock.now()  # after the lock: instants follow the order of the changes
        repo.change(session, adhesion_id, status="confirmed", confirmed_at=now, updated_at=now,
                    confirm_token_hash=None, confirm_expires_at=None)
        adhesion = repo.load(session, adhesion_id)
        runtime.emit(session, "adhesion.confirmed", adhesion_id, events.confirmed(adhesion))
        runtime.emit(session, "roster.updated", adhesion_id, events.roster(
            adhesion, "confirmed", now, manage_url(runtime, adhesion)))
    return adhesion


def update_adhesion(runtime: ServiceRuntime, adhesion_id: str, changes: dict) -> dict:
    """Change contact, participants or topics (checked by ``check_changes``)
    until the deadline; people who stay keep their ids, except those whose
    data were erased."""
    _ensure_open(runtime)
    with Session(runtime.engine) as session, session.begin():
        adhesion = _load(session, adhesion_id)
        now = runtime.clock.now()
        if adhesion["status"] == "withdrawn":
            raise AdhesionWithdrawn("L'adesione è stata ritirata e non si può più modificare.")
        # Someone whose data were erased and who is entered again is a new
        # person: the other services erased that id for good.
        contact = changes.get("contact")
        if contact is not None:
            current = adhesion["contact"]
            contact = dict(contact, id=None if current.get("erased_at") else current["id"])
        participants = changes.get("participants")
        if participants is not None:
            own = {p["id"] for p in adhesion["participants"] if not p.get("erased_at")}
            participants = [dict(p, id=p.get("id") if p.get("id") in own else None)
                            for p in participants]
        repo.write_people(session, adhesion_id, contact, participants)
        values = {"updated_at": now}
        if "webinar_topics" in changes:
            values["webinar_topics"] = json.dumps(changes["webinar_topics"])
        repo.change(session, adhesion_id, **values)
        adhesion = repo.load(session, adhesion_id)
        runtime.emit(session, "adhesion.updated", adhesion_id, events.updated(adhesion))
        runtime.emit(session, "roster.updated", adhesion_id, events.roster(
            adhesion, "updated", now, manage_url(runtime, adhesion)))
    return adhesion


def withdraw_adhesion(runtime: ServiceRuntime, adhesion_id: str) -> dict:
    """Withdraw an adhesion; the body may then enrol again."""
    with Session(runtime.engine) as session, session.begin():
        adhesion = _load(session, adhesion_id)
        now = runtime.clock.now()
        if adhesion["status"] == "withdrawn":
            raise AdhesionWithdrawn("L'adesione è già stata ritirata.")
        repo.change(session, adhesion_id, status="withdrawn", withdrawn_at=now, updated_at=now,
                    confirm_token_hash=None, confirm_expires_at=None)
        adhesion = repo.load(session, adhesion_id)
        runtime.emit(session, "adhesion.withdrawn", adhesion_id, events.withdrawn(adhesion))
        runtime.emit(session, "roster.updated", adhesion_id, events.roster(
            adhesion, "withdrawn", now, manage_url(runtime, adhesion)))
    return adhesion


def request_confirmation(runtime: ServiceRuntime, adhesion_id: str) -> bool:
    """Issue a new confirmation link for a pending adhesion (the old one
    stops working); False when there is nothing to confirm or nobody to
    send it to (the contact's data were erased). The adhesion is locked
    first: a confirmation or withdrawal in flight must not get a new link."""
    with Session(runtime.engine) as session, session.begin():
        adhesion = repo.load(session, adhesion_id, lock=repo.locks_rows(session))
        now = runtime.clock.now()
        if adhesion is None or adhesion["status"] != "pending_confirmation" \
                or not (adhesion["contact"] or {}).get("email"):
            return False
        confirm, confirm_hash, expires = _new_confirmation(runtime, now)
        repo.change(session, adhesion_id, confirm_token_hash=confirm_hash,
                    confirm_expires_at=expires)
        adhesion = repo.load(session, adhesion_id)
        runtime.emit(session, "roster.updated", adhesion_id, events.roster(
            adhesion, "confirmation_requested", now, manage_url(runtime, adhesion),
            _confirm_url(runtime, adhesion_id, confirm), expires))
    return True


def request_confirmation_for_entity(runtime: ServiceRuntime, entity_code: str) -> bool:
    with Session(runtime.engine) as session:
        adhesion_id = repo.active_adhesion_id(session, CURRENT.id, entity_code)
    return bool(adhesion_id) and request_confirmation(runtime, adhesion_id)


# consumed events -------------------------------------------------------------
def replicate_entity(runtime: ServiceRuntime, session: Session, envelope: Envelope) -> None:
    """Keep the local registry replica in step with ``registry.entity.upserted``."""
    entity = envelope.data
    upsert(session, entities, {
        "code": entity["code"], "name": entity["name"], "search_name": fold(entity["name"]),
        "kind": entity["kind"],
        "province": entity.get("province"), "region": entity.get("region"),
        "population": entity.get("population"), "eligible": bool(entity.get("eligible")),
        "eligibility_reason": entity.get("eligibility_reason") or "",
        "updated_at": runtime.clock.now(),
    }, key=("code",))


def request_resync_if_empty(runtime: ServiceRuntime) -> bool:
    """Ask the registry for every entity while the replica is empty, at
    most once per ``resync_interval`` (see :mod:`coalizione_common.replica`)."""
    return replica.request_resync_if_empty(runtime, entities, _settings(runtime).resync_interval)
