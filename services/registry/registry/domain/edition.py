"""A programme edition's eligibility rule, read from configuration.

The rules live in ``registry/data/editions.json`` (or the file named by
``REGISTRY_EDITIONS_FILE``); ``REGISTRY_EDITION`` picks one of them.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_EDITION = "coalizione-2017"
BUNDLED_EDITIONS = Path(__file__).resolve().parent.parent / "data" / "editions.json"


@dataclass(frozen=True)
class Edition:
    id: str
    title: str
    population_date: str        # which figure counts, by its reference date (ISO)
    population_label: str       # "popolazione legale"
    population_source: str      # "censimento 2011"
    min_population: int
    max_population: int
    eligible_body_kinds: frozenset[str]

    @classmethod
    def from_dict(cls, id: str, doc: dict) -> "Edition":
        try:
            return cls(
                id=id, title=doc["title"],
                population_date=doc["population"]["date"],
                population_label=doc["population"]["label"],
                population_source=doc["population"]["source"],
                min_population=int(doc["comuni"]["min_population"]),
                max_population=int(doc["comuni"]["max_population"]),
                eligible_body_kinds=frozenset(doc["eligible_body_kinds"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"edition {id!r} is incomplete or malformed: {exc!r}") from None


def load_edition(environ: dict | None = None) -> Edition:
    env = os.environ if environ is None else environ
    path = Path(env.get("REGISTRY_EDITIONS_FILE") or BUNDLED_EDITIONS)
    wanted = env.get("REGISTRY_EDITION") or DEFAULT_EDITION
    editions = json.loads(path.read_text(encoding="utf-8"))
    if wanted not in editions:
        raise ValueError(f"REGISTRY_EDITION={wanted!r} is not among the editions of {path}: "
                         f"{', '.join(sorted(editions))}")
    return Edition.from_dict(wanted, editions[wanted])
