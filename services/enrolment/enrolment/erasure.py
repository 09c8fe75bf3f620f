"""Erasing personal data, at the end of the retention period or on request.

The name, e-mail, phone and office of a person become empty and
``erased_at`` is set; the person's id, kind and role stay, and so does
everything about the adhesion (body, topics, status, dates), so every
figure for the funder is unchanged. Each erasure announces
``roster.erased`` in its own transaction, for scheduling and notify to
erase their copies; a person already erased is skipped, so erasing again
announces nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coalizione_common.runtime import ServiceRuntime

from . import events, tokens
from .adapters import repository as repo
from .adapters.orm import adhesions, people
from .domain.errors import PersonNotFound
from .edition import EDITIONS

BATCH = 200


@dataclass(frozen=True)
class Erased:
    adhesion_id: str
    person_ids: list[str]


def erase_people(runtime: ServiceRuntime, session: Session, adhesion_id: str,
                 person_ids: list[str] | None = None) -> Erased | None:
    """Erase ``person_ids`` of an adhesion (everyone in it when None) in the
    caller's transaction; None when nobody was left to erase. If the
    contact is erased, the adhesion's manage and confirmation links stop
    working. On PostgreSQL the adhesion is locked first, as every change
    of it does: an erasure waits for a change in flight (which deletes and
    inserts its people again) instead of missing its rows or deadlocking."""
    repo.lock_adhesion(session, adhesion_id)
    now = runtime.clock.now()
    statement = update(people).where(people.c.adhesion_id == adhesion_id,
                                     people.c.erased_at.is_(None))
    if person_ids is not None:
        statement = statement.where(people.c.id.in_(person_ids))
    # RETURNING: only the rows this transaction changed (a concurrent
    # erasure of the same people waits for the row locks and finds none).
    rows = session.execute(statement.values(name=None, email=None, phone=None, office=None,
                                            erased_at=now)
                           .returning(people.c.id, people.c.kind)).all()
    if not rows:
        return None
    if any(row.kind == "contact" for row in rows):
        _revoke_links(runtime, session, adhesion_id)
    erased = Erased(adhesion_id, sorted(row.id for row in rows))
    runtime.emit(session, "roster.erased", adhesion_id,
                 events.erased(adhesion_id, erased.person_ids))
    return erased


def _revoke_links(runtime: ServiceRuntime, session: Session, adhesion_id: str) -> None:
    """A new nonce revokes the manage link (tokens.py); the pending
    confirmation link goes."""
    nonce = tokens.new_nonce()
    manage = tokens.manage_token(runtime.enrolment.secret_key, adhesion_id, nonce)
    session.execute(update(adhesions).where(adhesions.c.id == adhesion_id).values(
        manage_nonce=nonce, manage_token_hash=tokens.digest(manage), confirm_token_hash=None,
        confirm_expires_at=None, version=adhesions.c.version + 1))


def erase_person(runtime: ServiceRuntime, person_id: str | None = None,
                 email: str | None = None) -> list[Erased]:
    """Erase one person (by id), or everyone with this e-mail address in
    any adhesion (case ignored). :class:`PersonNotFound` when nobody
    matches; an empty list when they were all erased already."""
    with Session(runtime.engine) as session, session.begin():
        statement = select(people.c.id, people.c.adhesion_id)
        if person_id is not None:
            statement = statement.where(people.c.id == person_id)
        else:
            statement = statement.where(people.c.email == email.strip().lower())
        found: dict[str, list[str]] = {}
        for row in session.execute(statement.order_by(people.c.adhesion_id, people.c.id)):
            found.setdefault(row.adhesion_id, []).append(row.id)
        if not found:
            raise PersonNotFound("Nessuna persona corrisponde: i dati potrebbero essere già "
                                 "stati cancellati.")
        erased = [erase_people(runtime, session, adhesion_id, ids)
                  for adhesion_id, ids in found.items()]
    return [e for e in erased if e is not None]


def erase_expired(runtime: ServiceRuntime) -> list[Erased]:
    """Erase everyone in the adhesions of every edition whose
    ``personal_data_expire_at`` has passed (by the service clock), a batch
    of adhesions per transaction."""
    now = runtime.clock.now()
    done: list[Erased] = []
    for edition in EDITIONS.values():
        if now <= edition.personal_data_expire_at:
            continue
        while True:
            with Session(runtime.engine) as session, session.begin():
                pending = session.execute(
                    select(people.c.adhesion_id).distinct()
                    .join(adhesions, adhesions.c.id == people.c.adhesion_id)
                    .where(adhesions.c.edition == edition.id, people.c.erased_at.is_(None))
                    .order_by(people.c.adhesion_id).limit(BATCH)).scalars().all()
                if not pending:
                    break
                for adhesion_id in pending:
                    erased = erase_people(runtime, session, adhesion_id)
                    if erased is not None:
                        done.append(erased)
    return done
