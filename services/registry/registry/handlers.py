"""Use cases of the registry."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.envelope import Envelope
from coalizione_common.runtime import ServiceRuntime

from .adapters.orm import entities

ENTITY_FIELDS = ("code", "name", "kind", "province", "region", "population", "population_date",
                 "eligible", "eligibility_reason", "lat", "lon")


def entity_document(row) -> dict:
    return {name: getattr(row, name) for name in ENTITY_FIELDS}


def resync(runtime: ServiceRuntime, session: Session, envelope: Envelope) -> int:
    """Announce every entity again (``registry.resync.requested``)."""
    count = 0
    for row in session.execute(select(entities).order_by(entities.c.code)):
        runtime.emit(session, "registry.entity.upserted", row.code, entity_document(row))
        count += 1
    return count
