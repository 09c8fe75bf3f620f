"""Events as the registry and the enrolment publish them (docs/events.md)."""
from __future__ import annotations

import json
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.envelope import Envelope


def entity_upserted(row: dict) -> tuple[str, dict]:
    return "registry.entity.upserted", {
        "code": row["codice_istat"], "name": row["denominazione"], "kind": "comune",
        "province": row["sigla_provincia"], "region": row["regione"],
        "population": int(row["popolazione_censimento_2011"] or 0),
        "population_date": "2011-10-09", "eligible": True, "eligibility_reason": "",
        "lat": float(row["lat"]), "lon": float(row["lon"])}


def roster(adhesion_id: str, row: dict, people: int, topics=(), status="confirmed",
           participant_ids=None) -> tuple[str, dict]:
    ids = participant_ids or [str(uuid.uuid4()) for _ in range(people)]
    roles = ("amministratore", "dirigente", "funzionario")
    return "roster.updated", {
        "adhesion_id": adhesion_id, "edition": "2017", "reason": "confirmed", "status": status,
        "entity": {"code": row["codice_istat"], "name": row["denominazione"], "kind": "comune",
                   "province": row["sigla_provincia"], "region": row["regione"]},
        "contact": {"id": str(uuid.uuid4()), "name": "Referente", "role": "dirigente",
                    "email": "referente@example.org", "phone": "0543 000000"},
        "participants": [{"id": pid, "name": f"Persona {i}", "role": roles[i % 3],
                          "email": f"p{i}@example.org", "office": "Ufficio"}
                         for i, pid in enumerate(ids)],
        "webinar_topics": list(topics), "changed_at": "2017-06-10T08:00:00Z"}


def confirmed(adhesion_id: str, code: str) -> tuple[str, dict]:
    return "adhesion.confirmed", {"adhesion_id": adhesion_id, "entity_code": code,
                                  "confirmed_at": "2017-06-10T08:00:00Z"}


def withdrawn(adhesion_id: str, code: str) -> tuple[str, dict]:
    return "adhesion.withdrawn", {"adhesion_id": adhesion_id, "entity_code": code,
                                  "withdrawn_at": "2017-06-20T08:00:00Z"}


def deliver(runtime, *events: tuple[str, dict]) -> None:
    """Run the consuming handlers as the consumer would, one transaction per event."""
    handlers = {}
    for sub in runtime.subscriptions:
        for pattern in sub.patterns:
            handlers[pattern] = sub.handler
    for type_, data in events:
        source = "registry" if type_.startswith("registry") else "enrolment"
        envelope = Envelope.new(type_, source, data.get("adhesion_id") or data.get("code"), data,
                                runtime.clock.now())
        with Session(runtime.engine) as session, session.begin():
            handlers[type_](session, envelope)


def outbox(runtime, type_=None) -> list[dict]:
    """The bodies of the events the service wrote to its outbox (of
    ``type_`` only, when given), oldest first."""
    table = runtime.metadata.tables["outbox"]
    with runtime.engine.connect() as conn:
        query = select(table.c.body).order_by(table.c.id)
        if type_:
            query = query.where(table.c.type == type_)
        return [json.loads(b) for b in conn.execute(query).scalars()]
