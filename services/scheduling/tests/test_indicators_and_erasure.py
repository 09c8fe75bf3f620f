"""The funder's indicators, what scheduling tells about one person, and
roster.erased: names go, ids, roles, certificates and figures stay."""
from __future__ import annotations

import csv
import io
import uuid

import pytest
from openpyxl import load_workbook

from coalizione_common.clock import parse_instant

from .builders import deliver, roster
from tests.support.pdf import pdf_text

from .trained import open_edition


@pytest.fixture
def edition(tmp_path):
    edition = open_edition(tmp_path)
    [day] = edition.of_kind("in_person")
    webinar = next(w for w in edition.of_kind("webinar") if edition.members(w["id"]))
    members = edition.members(day["id"])
    edition.present = {day["id"]: members[:-1]}
    edition.mark(day["id"], {**{pid: True for pid in members[:-1]}, members[-1]: False})
    edition.present[webinar["id"]] = edition.members(webinar["id"])[:2]
    edition.mark(webinar["id"], {pid: True for pid in edition.present[webinar["id"]]})
    return edition


def _hours(session):
    return (parse_instant(session["ends_at"]) - parse_instant(session["starts_at"])
            ).total_seconds() / 3600


def test_the_indicators_count_people_and_bodies_present_and_the_hours_held(edition):
    response = edition.get("/indicators", headers=edition.viewer)
    assert response.status_code == 200
    figures = response.json
    trained = {pid for people in edition.present.values() for pid in people}
    bodies = {edition.people[pid]["adhesion_id"] for pid in trained}
    totals = figures["totals"]
    assert totals["people_trained"] == len(trained) and totals["bodies_trained"] == len(bodies)
    assert figures["sessions_held"] == {"in_person": 1, "webinar": 1, "total": 2}
    held = [edition.sessions[s] for s in edition.present]
    assert figures["hours_delivered"]["total"] == round(sum(map(_hours, held)), 1)
    assert totals["participant_hours"] == round(
        sum(_hours(edition.sessions[s]) * len(p) for s, p in edition.present.items()), 1)
    assert figures["by_region"] == [{"region": "Molise", "bodies_trained": len(bodies),
                                     "people_trained": len(trained)}]
    assert sum(p["people_trained"] for p in figures["by_province"]) == len(trained)
    assert figures["by_kind"][0]["kind"] == "comune"
    roles = {r["role"]: r["people_trained"] for r in figures["by_role"]}
    assert list(roles)[:3] == ["amministratore", "dirigente", "funzionario"]
    assert roles == {r: sum(1 for pid in trained if edition.people[pid]["role"] == r)
                     for r in roles}
    assert figures["generated_at"].startswith("2017-06-20T08:0")


def test_the_indicators_as_csv_xlsx_and_pdf(edition):
    figures = edition.get("/indicators", headers=edition.viewer).json
    as_csv = edition.get("/indicators?format=csv", headers=edition.viewer)
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    assert as_csv.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["dimensione", "valore", "enti_formati", "persone_formate"]
    assert ["regione", "Molise", str(figures["totals"]["bodies_trained"]),
            str(figures["totals"]["people_trained"])] == rows[2][:4]
    modes = {r[1]: r for r in rows if r[0] == "modalita"}
    assert modes["totale"][4] == "2" and "," in modes["totale"][5]

    as_xlsx = edition.get("/indicators?format=xlsx", headers=edition.viewer)
    book = load_workbook(io.BytesIO(as_xlsx.data))
    assert book.sheetnames == ["Totali", "Regioni", "Province", "Tipi di ente", "Ruoli",
                               "Sessioni e ore"]
    assert list(book["Regioni"].iter_rows(values_only=True))[1] == (
        "Molise", figures["totals"]["bodies_trained"], figures["totals"]["people_trained"])

    as_pdf = edition.get("/indicators?format=pdf", headers=edition.viewer)
    assert as_pdf.mimetype == "application/pdf"
    text = pdf_text(as_pdf.data)
    assert "Indicatori di realizzazione" in text and "Persone formate" in text
    assert "Molise" in text and "Comune" in text

    wrong = edition.get("/indicators?format=doc", headers=edition.viewer)
    assert wrong.status_code == 422 and wrong.json["errors"][0]["field"] == "format"
    assert edition.get("/indicators").status_code == 401


def test_an_erasure_blanks_names_everywhere_and_changes_no_figure(edition):
    [day] = edition.of_kind("in_person")
    issued = edition.post("/certificates", headers=edition.operator, json={}).json["issued"]
    before = edition.get("/indicators", headers=edition.viewer).json
    person_id = edition.present[day["id"]][0]
    person = edition.people[person_id]
    adhesion_id = person["adhesion_id"]
    erasure = ("roster.erased", {"adhesion_id": adhesion_id, "person_ids": [person_id]})
    deliver(edition.runtime, erasure)
    deliver(edition.runtime, erasure)  # a second erasure of the same people changes nothing

    people = {p["participant_id"]: p for p in edition.get(
        f"/sessions/{day['id']}/participants", headers=edition.viewer).json["items"]}
    assert people[person_id] | {"present": True} == people[person_id]
    assert (people[person_id]["name"], people[person_id]["office"]) == (None, None)
    assert people[person_id]["erased"] is True and people[person_id]["role"] == person["role"]
    others = [p for pid, p in people.items() if pid != person_id]
    assert all(p["name"] and not p["erased"] for p in others)

    register = pdf_text(edition.get(f"/sessions/{day['id']}/register.pdf",
                                    headers=edition.viewer).data)
    assert "(dati cancellati)" in register and person["name"] not in register

    certificate = next(c for c in issued if c["participant_id"] == person_id)
    checked = edition.get(f"/certificates/verify/{certificate['code']}").json
    assert checked["valid"] is True and checked["holder_name"] is None and checked["erased"]
    page = edition.client.get(f"/verifica/{certificate['code']}").get_data(as_text=True)
    assert "Attestato valido" in page and person["name"] not in page
    assert "dati personali cancellati" in page

    after = edition.get("/indicators", headers=edition.viewer).json
    assert {**after, "generated_at": None} == {**before, "generated_at": None}

    # a later roster of the adhesion does not bring the erased name back
    row = edition.adhesions[adhesion_id]
    ids = [pid for pid, p in edition.people.items() if p["adhesion_id"] == adhesion_id]
    deliver(edition.runtime, roster(adhesion_id, row, len(ids), ("reti-coalizioni-locali",),
                                    participant_ids=ids))
    again = edition.get(f"/people/{person_id}", headers=edition.operator).json
    assert again["name"] is None and again["erased"] is True


def test_what_scheduling_holds_about_one_person(edition):
    [day] = edition.of_kind("in_person")
    person_id = edition.present[day["id"]][0]
    person = edition.people[person_id]
    edition.post("/certificates", headers=edition.operator, json={"session_id": day["id"]})
    response = edition.get(f"/people/{person_id}", headers=edition.operator)
    assert response.status_code == 200
    found = response.json
    assert (found["name"], found["role"], found["office"]) == (
        person["name"], person["role"], person["office"])
    assert found["adhesion"]["adhesion_id"] == person["adhesion_id"]
    assert found["adhesion"]["status"] == "confirmed"
    sessions = {s["session_id"]: s for s in found["sessions"]}
    assert sessions[day["id"]]["present"] is True
    assert sessions[day["id"]]["assignment_status"] == "active"
    assert [c["participant_id"] for c in found["certificates"]] == [person_id]
    assert "email" not in str(found)

    assert edition.get(f"/people/{person_id}", headers=edition.viewer).status_code == 403
    unknown = edition.get(f"/people/{uuid.uuid4()}", headers=edition.operator)
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    assert edition.get("/people/%25", headers=edition.operator).status_code == 404
