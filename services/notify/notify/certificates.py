"""Certificates of attendance (``roster.certificate.issued``): notify keeps
their facts, so the e-mail's PDF can be rendered again for the office,
and mails each one to its holder once, unless scheduling revoked it first
(``roster.certificate.revoked``)."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coalizione_common.db import insert_new

from .adapters.orm import certificates, deliveries
from .deliveries import delivery_id, fail_pending
from .replica import aware, instant

TEMPLATE = "certificate"


def occasion(certificate_id: str) -> str:
    """The certificate, not the event: one message per certificate however
    often (and under whatever event id) it is announced."""
    return f"certificate:{certificate_id}"


def certificate_delivery_id(certificate_id: str, participant_id: str) -> str:
    return delivery_id(occasion(certificate_id), TEMPLATE, participant_id)


def store(session: Session, data: dict, event_id: str, holder_name: str | None, now) -> dict:
    """Keep the facts of an issued certificate (the first announcement
    wins); returns the certificate as stored."""
    code = data["code"]
    insert_new(session, certificates, dict(
        certificate_id=data["certificate_id"], code=code, adhesion_id=data["adhesion_id"],
        entity_code=data.get("entity_code") or "", entity_name=data.get("entity_name") or "",
        participant_id=data["participant_id"], role=data.get("role") or "",
        sessions=[{key: item.get(key) for key in ("session_id", "kind", "title", "starts_at",
                                                  "ends_at")}
                  for item in data.get("sessions") or []],
        hours=float(data.get("hours") or 0), issued_at=instant(data.get("issued_at")) or now,
        verify_path=data.get("verify_path") or f"/verifica/{code}", holder_name=holder_name,
        event_id=event_id, received_at=now))
    return load(session, data["certificate_id"])


def load(session_or_connection, certificate_id: str) -> dict | None:
    """The certificate with its sessions' instants as datetimes, or None."""
    row = session_or_connection.execute(
        select(certificates).where(certificates.c.certificate_id == certificate_id)).first()
    return None if row is None else _as_certificate(row)


def _as_certificate(row) -> dict:
    found = dict(row._mapping)
    found["issued_at"] = aware(found["issued_at"])
    found["sessions"] = sorted(
        ({**item, "starts_at": instant(item.get("starts_at")),
          "ends_at": instant(item.get("ends_at"))} for item in found["sessions"]),
        key=lambda item: (item["starts_at"] is None, item["starts_at"] or 0))
    return found


def waiting(session: Session, adhesion_id: str) -> list[dict]:
    """This adhesion's certificates that no delivery was made for yet (they
    came before their holder's roster)."""
    stored = [_as_certificate(row) for row in session.execute(
        select(certificates).where(certificates.c.adhesion_id == adhesion_id,
                                   certificates.c.revoked_at.is_(None)))]
    expected = {certificate_delivery_id(c["certificate_id"], c["participant_id"]): c
                for c in stored}
    made = set(session.execute(select(deliveries.c.id).where(
        deliveries.c.id.in_(expected))).scalars()) if expected else set()
    return [c for did, c in expected.items() if did not in made]


def revoke(session: Session, runtime, certificate_id: str, participant_id: str) -> None:
    """Record the revocation and fail the certificate's e-mail if it has
    not gone out yet (a revoked certificate is never mailed)."""
    session.execute(update(certificates).where(certificates.c.certificate_id == certificate_id)
                    .values(revoked_at=runtime.clock.now()))
    fail_pending(session, runtime,
                 deliveries.c.id == certificate_delivery_id(certificate_id, participant_id),
                 "the certificate was revoked before it was sent")


def name_holder(session: Session, certificate_id: str, name: str) -> None:
    session.execute(update(certificates).where(certificates.c.certificate_id == certificate_id)
                    .values(holder_name=name))


def erase_holders(session: Session, person_ids: list[str]) -> None:
    session.execute(update(certificates).where(certificates.c.participant_id.in_(person_ids))
                    .values(holder_name=None))


def verify_url(runtime, certificate: dict) -> str:
    path = certificate["verify_path"]
    return runtime.notify.public_base_url + (path if path.startswith("/") else f"/{path}")
