"""The bundled ISTAT data as the registry serves it: counts and known
cases on both sides of the 2017 thresholds."""
from __future__ import annotations

import csv

import pytest

from registry.handlers import BUNDLED_FILES, get_entity

from .conftest import count


def rows_of(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_comune_and_unit_of_the_files_is_an_entity(shared_registry):
    comuni, units = (rows_of(p) for p in BUNDLED_FILES)
    assert len(comuni) == 7896
    from registry.adapters.orm import entities
    assert count(shared_registry, entities, entities.c.kind == "comune") == len(comuni)
    assert count(shared_registry) == len(comuni) + len(units)
    assert len(shared_registry.search.snapshot()) == len(comuni) + len(units)


def test_every_comune_has_an_explained_eligibility(shared_registry):
    comuni = rows_of(BUNDLED_FILES[0])
    eligible_in_file = sum(1 for r in comuni if r["popolazione_censimento_2011"]
                           and 5000 <= int(r["popolazione_censimento_2011"]) <= 150000)
    snapshot = shared_registry.search.snapshot()
    served = [e.doc for e in snapshot.entries if e.kind == "comune"]
    assert sum(d["eligible"] for d in served) == eligible_in_file
    assert all(d["eligibility_reason"] for d in served)


@pytest.mark.parametrize("code, name, population, eligible, phrase", [
    ("086006", "Catenanuova", 4999, False, "sotto la soglia minima di 5.000"),
    ("021029", "Egna/Neumarkt", 4992, False, "sotto la soglia minima di 5.000"),
    ("003154", "Varallo Pombia", 5004, True, "entro i limiti di 5.000–150.000"),
    ("018046", "Certosa di Pavia", 5004, True, "entro i limiti"),
    ("118006", "Cagliari", 149883, True, "entro i limiti"),
    ("039014", "Ravenna", 153740, False, "sopra la soglia massima di 150.000"),
    ("001272", "Torino", 872367, False, "sopra la soglia massima"),
])
def test_known_comuni_across_the_thresholds(shared_registry, code, name, population, eligible,
                                            phrase):
    doc = get_entity(shared_registry, code)
    assert (doc["name"], doc["population"], doc["eligible"]) == (name, population, eligible)
    assert doc["population_date"] == "2011-10-09"
    assert f"{population:,}".replace(",", ".") in doc["eligibility_reason"]
    assert "9 ottobre 2011" in doc["eligibility_reason"] and phrase in doc["eligibility_reason"]
    assert doc["population_latest_date"] == "2023-01-01" and doc["population_latest"] > 0


def test_a_capoluogo_over_150000_is_not_eligible(shared_registry):
    ravenna = get_entity(shared_registry, "039014")
    assert ravenna["capoluogo"] is True and ravenna["eligible"] is False


def test_egna_is_below_by_the_census_though_above_by_the_newest_figure(shared_registry):
    egna = get_entity(shared_registry, "021029")
    assert egna["population_latest"] == 5460 and not egna["eligible"]
    assert egna["name_other_language"] == "Neumarkt"


def test_a_comune_without_a_2011_figure_is_not_eligible(shared_registry):
    misiliscemi = get_entity(shared_registry, "081025")
    assert misiliscemi["population"] is None and misiliscemi["population_date"] is None
    assert not misiliscemi["eligible"] and "non disponibile" in misiliscemi["eligibility_reason"]


def test_bilingual_names_are_found_by_either_name(shared_registry):
    snapshot = shared_registry.search.snapshot()
    for q in ("bozen", "Bolzano", "BOLZANO/BOZEN"):
        assert snapshot.search(q, limit=5)[0][0]["code"] == "021008", q


def test_supra_municipal_units_have_stable_codes_and_a_seat(shared_registry):
    torino = get_entity(shared_registry, "UTS-201")
    assert torino["kind"] == "citta_metropolitana" and torino["eligible"]
    assert torino["name"] == "Città metropolitana di Torino" and torino["province"] == "TO"
    assert torino["seat"] == "001272" and torino["lat"] == get_entity(shared_registry, "001272")["lat"]
    bolzano = get_entity(shared_registry, "UTS-021")
    assert bolzano["kind"] == "provincia_autonoma" and bolzano["eligible"]
    udine = get_entity(shared_registry, "UTS-030")
    assert udine["kind"] == "unita_non_amministrativa" and not udine["eligible"]


def test_sardinian_comuni_keep_the_code_in_force_in_2017(shared_registry):
    cagliari = get_entity(shared_registry, "118006")
    assert cagliari["code_before_2025"] == "092009"
