"""The event contract of docs/events/ as validators: one JSON Schema
(draft 2020-12) per event type, sharing envelope.schema.json and
common.schema.json by relative reference."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "docs" / "events"
EXAMPLES = SCHEMAS / "examples"
SHARED = ("envelope.schema.json", "common.schema.json")
SERVICE_SOURCES = {f"/coalizione/{s}" for s in ("registry", "enrolment", "scheduling", "notify")}


def schema_files() -> dict[str, Path]:
    """Event type -> its schema file."""
    return {p.name[: -len(".schema.json")]: p for p in sorted(SCHEMAS.glob("*.schema.json"))
            if p.name not in SHARED}


@lru_cache(maxsize=1)
def registry() -> Registry:
    resources = [(p.name, Resource.from_contents(json.loads(p.read_text()), DRAFT202012))
                 for p in SCHEMAS.glob("*.schema.json")]
    return Registry().with_resources(resources)


@lru_cache(maxsize=None)
def validator(event_type: str) -> Draft202012Validator:
    path = schema_files()[event_type]
    return Draft202012Validator(json.loads(path.read_text()), registry=registry(),
                                format_checker=FormatChecker())


def problems(envelope: dict) -> list[str]:
    """Why ``envelope`` breaks the contract (empty when it keeps it)."""
    event_type = envelope.get("type") if isinstance(envelope, dict) else None
    if event_type not in schema_files():
        return [f"no schema for event type {event_type!r} in docs/events/"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '(envelope)'}: {e.message}"
            for e in sorted(validator(event_type).iter_errors(envelope), key=lambda e: list(e.path))]


def examples() -> dict[str, dict]:
    return {p.name[: -len(".json")]: json.loads(p.read_text()) for p in sorted(EXAMPLES.glob("*.json"))}
