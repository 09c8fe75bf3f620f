"""Payload builders and a seeded replica for the enrolment tests."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.envelope import Envelope
from enrolment import handlers

API = "/api/enrolment/v1"

ENTITIES = [
    {"code": "040012", "name": "Forlì", "kind": "comune", "province": "FC",
     "region": "Emilia-Romagna", "population": 116434, "eligible": True,
     "eligibility_reason": "popolazione 116.434 al censimento 2011: tra 5.000 e 150.000"},
    {"code": "040013", "name": "Forlimpopoli", "kind": "comune", "province": "FC",
     "region": "Emilia-Romagna", "population": 13073, "eligible": True,
     "eligibility_reason": "popolazione 13.073 al censimento 2011: tra 5.000 e 150.000"},
    {"code": "037006", "name": "Bologna", "kind": "comune", "province": "BO",
     "region": "Emilia-Romagna", "population": 371337, "eligible": False,
     "eligibility_reason": "popolazione 371.337 al censimento 2011: sopra la soglia di 150.000"},
    {"code": "021008", "name": "Bolzano/Bozen", "kind": "comune", "province": "BZ",
     "region": "Trentino-Alto Adige/Südtirol", "population": 102575, "eligible": True,
     "eligibility_reason": "popolazione 102.575 al censimento 2011: tra 5.000 e 150.000"},
    {"code": "U00001", "name": "Unione dei Comuni della Romagna Forlivese",
     "kind": "unione_di_comuni", "province": "FC", "region": "Emilia-Romagna",
     "population": 186000, "eligible": True,
     "eligibility_reason": "ente sovracomunale: sempre ammesso"},
    {"code": "001001", "name": "Samone", "kind": "comune", "province": "TO",
     "region": "Piemonte", "population": 1600, "eligible": False,
     "eligibility_reason": "popolazione 1.600 al censimento 2011: sotto la soglia di 5.000"},
    {"code": "022165", "name": "Samone", "kind": "comune", "province": "TN",
     "region": "Trentino-Alto Adige/Südtirol", "population": 560, "eligible": False,
     "eligibility_reason": "popolazione 560 al censimento 2011: sotto la soglia di 5.000"},
]


def entity_event(entity: dict) -> Envelope:
    return Envelope.new("registry.entity.upserted", "registry", entity["code"],
                        dict(entity, population_date="2011-10-09", lat=44.2, lon=12.0),
                        datetime.now(timezone.utc))


def seed(runtime, entities=ENTITIES) -> None:
    """Fill the replica through the consumer's own handler."""
    with Session(runtime.engine) as session, session.begin():
        for entity in entities:
            handlers.replicate_entity(runtime, session, entity_event(entity))


def adhesion(entity_code="040012", participants=2, **overrides) -> dict:
    body = {
        "entity_code": entity_code,
        "contact": {"name": "Maria Rossi", "role": "dirigente",
                    "email": "maria.rossi@comune.forli.fc.it", "phone": "+39 0543 712111"},
        "participants": [
            {"name": f"Persona {i}", "role": ("amministratore", "funzionario", "dirigente")[i % 3],
             "email": f"persona{i}@comune.forli.fc.it", "office": "Servizi sociali"}
            for i in range(participants)],
        "webinar_topics": ["accoglienza-integrata", "msna"],
        "privacy_notice_read": True,
    }
    body.update(overrides)
    return copy.deepcopy(body)


def outbox(runtime, type_prefix: str = "") -> list[dict]:
    """The events written so far, oldest first, as CloudEvents dicts."""
    table = runtime.outbox
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(table.c.body).order_by(table.c.id)).scalars().all()
    docs = [json.loads(b) for b in rows]
    return [d for d in docs if d["type"].startswith(type_prefix)]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def registry_subset(folder, prefixes=("Forl", "Bologna", "Cesena")):
    """A small file in the registry's own import format: the bundled ISTAT
    comuni whose name starts with one of ``prefixes``."""
    from registry.handlers import BUNDLED_FILES
    lines = BUNDLED_FILES[0].read_text(encoding="utf-8").splitlines()
    kept = [lines[0]] + [line for line in lines[1:]
                         if any(line.split(",")[3].startswith(p) for p in prefixes)]
    path = folder / "comuni-subset.csv"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path
