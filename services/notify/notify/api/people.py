"""What notify sent to one person, for a data subject's access request
(operator): templates, subjects, states, and the address while it is kept."""
from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.auth import require_role
from coalizione_common.http import Problem
from coalizione_common.clock import format_instant

from .. import replica
from ..adapters.orm import certificates, deliveries, people

bp = Blueprint("notify_people", __name__, url_prefix="/api/notify/v1")


def _subject(row) -> str | None:
    """The stored subject; for rows older than that column, the message's."""
    if row.subject is not None or row.message is None:
        return row.subject
    from email import message_from_string, policy
    return str(message_from_string(row.message, policy=policy.default).get("Subject", "")) or None


@bp.get("/people/<person_id>")
@require_role("operator")
def person_deliveries(person_id: str):
    """What notify holds about one person: the roster entry it addresses
    them by, their certificates, and every delivery to them."""
    runtime = current_app.extensions["runtime"]
    with Session(runtime.engine) as session:
        rows = session.execute(select(deliveries).where(deliveries.c.recipient_id == person_id)
                               .order_by(deliveries.c.created_at, deliveries.c.id)).all()
        entry = session.execute(select(people).where(people.c.person_id == person_id)
                                ).mappings().first()
        issued = session.execute(select(certificates).where(
            certificates.c.participant_id == person_id)).mappings().all()
        erased = replica.is_erased(session, person_id)
    if not rows and entry is None and not issued:
        raise Problem(404, "not-found", "Nothing about this person",
                      f"notify holds nothing about person {person_id}.")
    return {"person_id": person_id, "erased": erased,
            "roster": None if entry is None else {
                "adhesion_id": entry["adhesion_id"], "is_contact": entry["is_contact"],
                "name": entry["name"], "role": entry["role"], "email": entry["email"],
                "office": entry["office"], "phone": entry["phone"]},
            "certificates": [{"certificate_id": c["certificate_id"], "code": c["code"],
                              "holder_name": c["holder_name"], "hours": c["hours"],
                              "issued_at": format_instant(c["issued_at"])} for c in issued],
            "items": [{
                "id": row.id, "template": row.template, "subject": _subject(row),
                "status": row.state, "reason": row.reason, "adhesion_id": row.adhesion_id,
                "created_at": format_instant(row.created_at), "sent_at": format_instant(row.sent_at),
                "recipient_address": None if erased else row.recipient_address,
            } for row in rows]}
