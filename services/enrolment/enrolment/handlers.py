"""Use cases of the enrolment service."""
from __future__ import annotations

from sqlalchemy.orm import Session

from coalizione_common.db import upsert
from coalizione_common.envelope import Envelope
from coalizione_common.runtime import ServiceRuntime

from .adapters.orm import entities


def replicate_entity(runtime: ServiceRuntime, session: Session, envelope: Envelope) -> None:
    """Keep the local registry replica in step with ``registry.entity.upserted``."""
    entity = envelope.data
    upsert(session, entities, {
        "code": entity["code"], "name": entity["name"], "kind": entity["kind"],
        "province": entity.get("province"), "region": entity.get("region"),
        "population": entity.get("population"), "eligible": bool(entity.get("eligible")),
        "eligibility_reason": entity.get("eligibility_reason") or "",
        "updated_at": runtime.clock.now(),
    }, key=("code",))
