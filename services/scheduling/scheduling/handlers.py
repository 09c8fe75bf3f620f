"""Use cases of the scheduling service."""
from __future__ import annotations

from sqlalchemy.orm import Session

from coalizione_common.db import upsert
from coalizione_common.envelope import Envelope
from coalizione_common.runtime import ServiceRuntime

from .adapters.orm import entities


def record_entity_location(runtime: ServiceRuntime, session: Session, envelope: Envelope) -> None:
    """Keep each body's name, region and coordinates from ``registry.entity.upserted``."""
    entity = envelope.data
    upsert(session, entities, {
        "code": entity["code"], "name": entity["name"], "kind": entity["kind"],
        "province": entity.get("province"), "region": entity.get("region"),
        "lat": entity.get("lat"), "lon": entity.get("lon"), "updated_at": runtime.clock.now(),
    }, key=("code",))
