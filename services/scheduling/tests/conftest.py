"""Fixtures of the scheduling tests: the real coordinates of the comuni."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from scheduling.domain.localdays import Body

REPO = Path(__file__).resolve().parents[3]
CANDIDATES = (REPO.parent / "shared" / "data" / "comuni.csv",
              REPO / "services" / "registry" / "registry" / "data" / "comuni.csv")


def load_comuni() -> list[dict]:
    """Rows of comuni.csv with codes kept as text."""
    for path in CANDIDATES:
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                return list(csv.DictReader(handle))
    pytest.fail(f"comuni.csv not found in {', '.join(map(str, CANDIDATES))}")


@pytest.fixture(scope="session")
def comuni() -> list[dict]:
    return load_comuni()


def eligible_bodies(rows: list[dict], regions: set[str] | None = None,
                    participants=lambda row: 4) -> list[Body]:
    bodies = []
    for row in rows:
        population = row["popolazione_censimento_2011"]
        if not population or not 5000 <= int(population) <= 150000:
            continue
        if regions is not None and row["regione"] not in regions:
            continue
        bodies.append(Body(row["codice_istat"], row["codice_istat"], row["regione"],
                           float(row["lat"]), float(row["lon"]), participants(row),
                           int(population)))
    return bodies
