"""Eligibility as a rule of the edition, its Italian reason, and the text
normalisation behind search (no I/O)."""
from __future__ import annotations

import json

import pytest

from registry.domain.edition import load_edition
from registry.domain.entity import EntityRecord, document, eligibility, fingerprint
from registry.domain.text import fold, long_date, thousands

EDITION = load_edition({})


def comune(population: int | None, latest: int | None = None) -> EntityRecord:
    figures = {}
    if population is not None:
        figures["2011-10-09"] = population
    if latest is not None:
        figures["2023-01-01"] = latest
    return EntityRecord(code="999001", name="Prova", kind="comune", region="Lazio",
                        province="RM", figures=figures)


@pytest.mark.parametrize("population, eligible", [
    (4999, False), (5000, True), (5001, True), (149999, True), (150000, True), (150001, False)])
def test_comuni_are_eligible_from_5000_to_150000_inclusive(population, eligible):
    assert eligibility(comune(population), EDITION).eligible is eligible


def test_the_reason_states_figure_date_and_threshold():
    below = eligibility(comune(4987), EDITION).reason
    assert "popolazione legale 4.987" in below and "9 ottobre 2011" in below
    assert "censimento 2011" in below and "sotto la soglia minima di 5.000" in below
    above = eligibility(comune(171000), EDITION).reason
    assert "171.000" in above and "sopra la soglia massima di 150.000" in above
    inside = eligibility(comune(12345), EDITION).reason
    assert "12.345" in inside and "entro i limiti di 5.000–150.000" in inside


def test_a_comune_without_a_figure_is_not_eligible_and_the_reason_says_so():
    rule = eligibility(comune(None, latest=6000), EDITION)
    assert not rule.eligible
    assert "non disponibile" in rule.reason and "9 ottobre 2011" in rule.reason


def test_the_document_shows_the_newest_figure_beside_the_one_that_counts():
    doc = document(comune(4992, latest=5460), EDITION)
    assert (doc["population"], doc["population_date"]) == (4992, "2011-10-09")
    assert (doc["population_latest"], doc["population_latest_date"]) == (5460, "2023-01-01")
    assert doc["eligible"] is False and doc["edition"] == "coalizione-2017"


def test_supra_municipal_bodies_are_eligible_but_not_non_administrative_units():
    union = EntityRecord(code="IPA-uc", name="Unione", kind="unione_di_comuni", region="Piemonte")
    unit = EntityRecord(code="UTS-030", name="Udine", kind="unita_non_amministrativa",
                        region="Friuli-Venezia Giulia")
    assert eligibility(union, EDITION).eligible
    assert "senza soglia" in eligibility(union, EDITION).reason
    assert not eligibility(unit, EDITION).eligible


def test_the_rule_is_configuration(tmp_path):
    editions = {"prova-2030": {"title": "Prova 2030",
                               "population": {"date": "2023-01-01", "label": "popolazione residente",
                                              "source": "ISTAT"},
                               "comuni": {"min_population": 1000, "max_population": 2000},
                               "eligible_body_kinds": []}}
    path = tmp_path / "editions.json"
    path.write_text(json.dumps(editions))
    edition = load_edition({"REGISTRY_EDITIONS_FILE": str(path), "REGISTRY_EDITION": "prova-2030"})
    rule = eligibility(comune(4000, latest=1500), edition)
    assert rule.eligible and "popolazione residente 1.500 al 1 gennaio 2023" in rule.reason
    with pytest.raises(ValueError, match="REGISTRY_EDITION"):
        load_edition({"REGISTRY_EDITIONS_FILE": str(path), "REGISTRY_EDITION": "nessuna"})


def test_fingerprints_change_with_any_field():
    doc = document(comune(5000), EDITION)
    assert fingerprint(doc) == fingerprint(dict(doc))
    assert fingerprint(doc) != fingerprint({**doc, "lat": 1.0})


def test_folding_ignores_case_accents_and_punctuation():
    assert fold("Forlì") == "forli"
    assert fold("Sant'Agata de' Goti") == "sant agata de goti"
    assert fold("Bolzano/Bozen").split() == ["bolzano", "bozen"]
    assert fold("SÜDTIROL") == "sudtirol"
    assert thousands(1234567) == "1.234.567" and long_date("2011-10-09") == "9 ottobre 2011"
