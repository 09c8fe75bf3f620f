"""Entities (comuni and supra-municipal bodies), their eligibility and the
document that the API returns and ``registry.entity.upserted`` carries."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from .edition import Edition
from .text import long_date, thousands

KIND_LABELS = {
    "comune": "comune",
    "unione_di_comuni": "unione di comuni",
    "comunita_montana": "comunità montana",
    "unione_montana": "unione montana",
    "comunita_isolana": "comunità isolana",
    "consorzio_di_comuni": "consorzio di comuni",
    "provincia": "provincia",
    "provincia_autonoma": "provincia autonoma",
    "citta_metropolitana": "città metropolitana",
    "libero_consorzio": "libero consorzio comunale",
    "unita_non_amministrativa": "unità territoriale non amministrativa",
}
KINDS = tuple(KIND_LABELS)
BODY_KINDS = tuple(k for k in KINDS if k != "comune")

# The fields of CONTRACT.md, in the order documents list them.
CONTRACT_FIELDS = ("code", "name", "kind", "province", "region", "population", "population_date",
                   "eligible", "eligibility_reason", "lat", "lon")


@dataclass(frozen=True)
class EntityRecord:
    """What a source says about an entity, before any edition's rule.

    ``figures`` maps the reference date (ISO) of each population figure to
    its value; ``extra`` holds further facts passed through to the document
    (other-language name, sigla's unit, members of a body ...).
    """

    code: str
    name: str
    kind: str
    region: str | None
    province: str | None = None
    lat: float | None = None
    lon: float | None = None
    figures: dict[str, int] = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reason: str


def eligibility(record: EntityRecord, edition: Edition) -> Eligibility:
    """The edition's rule, with an Italian reason that states the figure,
    its date and the threshold."""
    bounds = (f"{edition.title} ammette i comuni da {thousands(edition.min_population)} "
              f"a {thousands(edition.max_population)} abitanti")
    if record.kind != "comune":
        label = KIND_LABELS.get(record.kind, record.kind)
        if record.kind in edition.eligible_body_kinds:
            return Eligibility(True, f"ente sovracomunale ({label}): ammesso a {edition.title} "
                                     "senza soglia di popolazione")
        return Eligibility(False, f"{label}: non è tra gli enti ammessi a {edition.title}")
    when = f"al {long_date(edition.population_date)} ({edition.population_source})"
    figure = record.figures.get(edition.population_date)
    if figure is None:
        return Eligibility(False, f"{edition.population_label} {when} non disponibile: senza "
                                  f"questo dato il comune non è ammissibile ({bounds})")
    stated = f"{edition.population_label} {thousands(figure)} {when}"
    if figure < edition.min_population:
        return Eligibility(False, f"{stated}: sotto la soglia minima di "
                                  f"{thousands(edition.min_population)} abitanti ({bounds})")
    if figure > edition.max_population:
        return Eligibility(False, f"{stated}: sopra la soglia massima di "
                                  f"{thousands(edition.max_population)} abitanti ({bounds})")
    return Eligibility(True, f"{stated}: entro i limiti di {thousands(edition.min_population)}"
                             f"–{thousands(edition.max_population)} abitanti di {edition.title}")


def document(record: EntityRecord, edition: Edition) -> dict:
    """The Entity of CONTRACT.md plus the newest figure beside the one that
    counts (``population_latest``, ``population_latest_date``), the
    edition the eligibility refers to, and the record's extra facts."""
    rule = eligibility(record, edition)
    population_date = edition.population_date
    population = record.figures.get(population_date)
    if population is None and record.kind != "comune" and record.figures:
        population_date = max(record.figures)
        population = record.figures[population_date]
    if population is None:
        population_date = None
    latest_date = max(record.figures) if record.figures else None
    doc = {
        "code": record.code, "name": record.name, "kind": record.kind,
        "province": record.province, "region": record.region,
        "population": population, "population_date": population_date,
        "eligible": rule.eligible, "eligibility_reason": rule.reason,
        "lat": record.lat, "lon": record.lon,
        "population_latest": record.figures.get(latest_date) if latest_date else None,
        "population_latest_date": latest_date,
        "edition": edition.id,
    }
    for key, value in record.extra.items():
        doc.setdefault(key, value)
    return doc


def fingerprint(doc: dict) -> str:
    """A digest of everything a consumer would see: equal digests, nothing
    to announce."""
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
