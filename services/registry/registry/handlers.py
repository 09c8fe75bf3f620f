"""Use cases of the registry: import entities, change one body, replay all."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from coalizione_common.envelope import Envelope
from coalizione_common.runtime import ServiceRuntime

from .adapters.orm import catalog, entities
from .adapters.sources import parse_file
from .domain.entity import CONTRACT_FIELDS, EntityRecord, document, fingerprint
from .search import row_document

UPSERTED = "registry.entity.upserted"
DATA_DIR = Path(__file__).parent / "data"
BUNDLED_FILES = (DATA_DIR / "comuni.csv", DATA_DIR / "unita_territoriali_sovracomunali.csv")


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    @property
    def announced(self) -> int:
        return len(self.created) + len(self.updated)

    def as_dict(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated),
                "unchanged": self.unchanged, "announced": self.announced}


def import_records(runtime: ServiceRuntime, session: Session,
                   records: list[EntityRecord]) -> ImportResult:
    """Insert or update ``records`` inside the caller's transaction and
    announce each new or changed entity; unchanged ones are left alone."""
    conn = session.connection()
    conn.execute(select(catalog.c.version).where(catalog.c.id == 1).with_for_update())
    fingerprints = select(entities.c.code, entities.c.fingerprint)
    if len(records) <= 500:
        fingerprints = fingerprints.where(entities.c.code.in_([r.code for r in records]))
    existing = dict(conn.execute(fingerprints).all())
    records = _place_bodies(conn, records)
    now = runtime.clock.now()
    result, inserts, updates, announcements = ImportResult(), [], [], []
    for record in records:
        doc = document(record, runtime.edition)
        digest = fingerprint(doc)
        previous = existing.get(record.code)
        if previous == digest:
            result.unchanged += 1
            continue
        values = _row_values(doc, digest, now)
        if previous is None:
            inserts.append({**values, "created_at": now})
            result.created.append(record.code)
        else:
            updates.append({**values, "b_code": values.pop("code")})
            result.updated.append(record.code)
        announcements.append((record.code, doc))
        existing[record.code] = digest
    runtime.emit_many(session, UPSERTED, announcements)
    if inserts:
        conn.execute(insert(entities), inserts)
    if updates:
        conn.execute(update(entities).where(entities.c.code == bindparam("b_code")), updates)
    if inserts or updates:
        _bump_catalog(conn, now)
    return result


def import_files(runtime: ServiceRuntime, paths) -> ImportResult:
    """Parse every file first (any error rejects them all), then import
    them in one transaction."""
    records: list[EntityRecord] = []
    for path in paths:
        records.extend(parse_file(path)[1])
    with Session(runtime.engine) as session, session.begin():
        result = import_records(runtime, session, records)
    runtime.search.invalidate()
    return result


def import_bundled(runtime: ServiceRuntime) -> ImportResult:
    """The ISTAT comuni and supra-municipal units shipped with the service."""
    return import_files(runtime, BUNDLED_FILES)


def is_empty(runtime: ServiceRuntime) -> bool:
    with runtime.engine.connect() as conn:
        return conn.execute(select(entities.c.code).limit(1)).first() is None


def get_entity(runtime: ServiceRuntime, code: str) -> dict | None:
    with runtime.engine.connect() as conn:
        row = conn.execute(select(entities).where(entities.c.code == code)).first()
    return row_document(row) if row else None


def resync(runtime: ServiceRuntime, session: Session, envelope: Envelope) -> int:
    """Announce every entity again (``registry.resync.requested``)."""
    rows = session.execute(select(entities).order_by(entities.c.code)).all()
    runtime.emit_many(session, UPSERTED, [(row.code, row_document(row)) for row in rows])
    return len(rows)


# helpers ---------------------------------------------------------------------------
def _row_values(doc: dict, digest: str, now) -> dict:
    values = {name: doc[name] for name in CONTRACT_FIELDS}
    details = {k: v for k, v in doc.items() if k not in CONTRACT_FIELDS}
    values.update(details=json.dumps(details, ensure_ascii=False, sort_keys=True),
                  fingerprint=digest, updated_at=now)
    return values


def _bump_catalog(conn, now) -> None:
    bumped = conn.execute(update(catalog).where(catalog.c.id == 1)
                          .values(version=catalog.c.version + 1, changed_at=now))
    if bumped.rowcount == 0:
        conn.execute(insert(catalog).values(id=1, version=1, changed_at=now))


def _place_bodies(conn, records: list[EntityRecord]) -> list[EntityRecord]:
    """Give bodies without coordinates those of their seat: the given seat
    comune, else the centre of their members, else (ISTAT units) their most
    populous capoluogo."""
    if all(r.kind == "comune" or r.lat is not None for r in records):
        return records
    wanted = None
    if not any(r.extra.get("uts_code") for r in records if r.kind != "comune" and r.lat is None):
        wanted = {c for r in records for c in (r.extra.get("seat"), *r.extra.get("members", ()))
                  if c}
    comuni = _comuni_facts(conn, wanted)
    comuni.update({r.code: (r.lat, r.lon, r.extra.get("uts_code"), r.extra.get("capoluogo"),
                            r.figures.get(max(r.figures)) if r.figures else 0)
                   for r in records if r.kind == "comune"})
    capoluoghi: dict[str, list[tuple[int, str]]] = {}
    for code, facts in comuni.items():
        if facts[3] and facts[2]:
            capoluoghi.setdefault(facts[2], []).append((facts[4] or 0, code))
    placed = []
    for record in records:
        if record.kind == "comune" or record.lat is not None:
            placed.append(record)
            continue
        seat = record.extra.get("seat")
        if seat is None and record.extra.get("uts_code"):
            candidates = capoluoghi.get(record.extra["uts_code"])
            seat = max(candidates)[1] if candidates else None
        points = []
        if seat in comuni:
            points = [comuni[seat][:2]]
        elif record.extra.get("members"):
            points = [comuni[m][:2] for m in record.extra["members"] if m in comuni]
        points = [p for p in points if p[0] is not None]
        if not points:
            placed.append(record)
            continue
        extra = dict(record.extra, seat=seat) if seat in comuni else record.extra
        placed.append(replace(record, lat=round(sum(p[0] for p in points) / len(points), 6),
                              lon=round(sum(p[1] for p in points) / len(points), 6), extra=extra))
    return placed


def _comuni_facts(conn, codes: set[str] | None = None) -> dict[str, tuple]:
    """(lat, lon, unit, capoluogo, population) of the stored comuni (only
    ``codes`` when given)."""
    facts = {}
    query = (select(entities.c.code, entities.c.lat, entities.c.lon, entities.c.population,
                    entities.c.details).where(entities.c.kind == "comune"))
    if codes is not None:
        query = query.where(entities.c.code.in_(sorted(codes)))
    rows = conn.execute(query)
    for row in rows:
        details = json.loads(row.details or "{}")
        facts[row.code] = (row.lat, row.lon, details.get("uts_code"), details.get("capoluogo"),
                           details.get("population_latest") or row.population or 0)
    return facts
