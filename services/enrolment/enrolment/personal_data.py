"""What the enrolment holds about one person (the GDPR right of access):
every adhesion where they are the contact or a participant."""
from __future__ import annotations

from sqlalchemy import select

from coalizione_common.runtime import ServiceRuntime

from .adapters.orm import adhesions, people
from .domain.errors import PersonNotFound
from .events import instant


def records_of(runtime: ServiceRuntime, person_id: str | None = None,
               email: str | None = None) -> list[dict]:
    """The records of one person id, or of every person with this e-mail
    address (case ignored), oldest adhesion first; :class:`PersonNotFound`
    when there is none. Erased people still answer by id, with empty data."""
    statement = (select(people, adhesions.c.entity_code, adhesions.c.entity_name,
                        adhesions.c.status.label("adhesion_status"), adhesions.c.submitted_at)
                 .join(adhesions, adhesions.c.id == people.c.adhesion_id))
    if person_id is not None:
        statement = statement.where(people.c.id == person_id)
    else:
        statement = statement.where(people.c.email == email.strip().lower())
    statement = statement.order_by(adhesions.c.submitted_at, people.c.adhesion_id,
                                   people.c.position, people.c.kind)
    with runtime.engine.connect() as conn:
        rows = conn.execute(statement).all()
    if not rows:
        raise PersonNotFound("Nessun dato personale corrisponde alla ricerca.")
    return [_record(row) for row in rows]


def _record(row) -> dict:
    record = {"person_id": row.id, "adhesion_id": row.adhesion_id,
              "entity_code": row.entity_code, "entity_name": row.entity_name,
              "as": row.kind, "name": row.name, "role": row.role, "email": row.email}
    if row.kind == "contact":
        record["phone"] = row.phone
    else:
        record["office"] = row.office
    record.update(adhesion_status=row.adhesion_status, submitted_at=instant(row.submitted_at),
                  erased_at=instant(row.erased_at))
    return record
