"""A session's people and its printable attendance register."""
from __future__ import annotations

import uuid

import pytest

from tests.support.pdf import pdf_text

from .trained import open_edition


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    return open_edition(tmp_path_factory.mktemp("registers"))


def test_the_participants_of_a_session_carry_names_bodies_and_attendance(edition):
    [day] = edition.of_kind("in_person")
    members = edition.members(day["id"])
    first, second = members[:2]
    edition.mark(day["id"], {first: True, second: False})
    listed = edition.get(f"/sessions/{day['id']}/participants", headers=edition.viewer)
    assert listed.status_code == 200
    items = listed.json["items"]
    assert sorted(p["participant_id"] for p in items) == sorted(members)
    by_id = {p["participant_id"]: p for p in items}
    assert by_id[first]["present"] is True and by_id[second]["present"] is False
    assert {p["present"] for p in items if p["participant_id"] not in (first, second)} == {None}
    known = edition.people[first]
    assert by_id[first] | {"present": None} == {
        "participant_id": first, "name": known["name"], "role": known["role"],
        "office": known["office"], "erased": False, "adhesion_id": known["adhesion_id"],
        "entity_code": edition.adhesions[known["adhesion_id"]]["codice_istat"],
        "entity_name": known["entity_name"], "present": None}
    order = [(p["entity_name"], p["name"]) for p in items]
    assert order == sorted(order)


def test_the_register_is_a_signature_sheet_of_the_sessions_people(edition):
    [day] = edition.of_kind("in_person")
    response = edition.get(f"/sessions/{day['id']}/register.pdf", headers=edition.viewer)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for heading in ("Cognome e nome", "Ente", "Ruolo", "Firma (entrata)", "Firma (uscita)"):
        assert heading in text
    assert "Registro presenze" in text and "Giornata in presenza" in text
    assert day["venue"]["name"] in text and "(ora italiana)" in text
    names = [edition.people[pid]["name"] for pid in edition.members(day["id"])]
    assert all(name in text for name in names)
    assert text.index(sorted(names)[0]) < text.index(sorted(names)[-1]) or len(
        {edition.people[pid]["entity_name"] for pid in edition.members(day["id"])}) > 1
    assert f"{len(names) + 5}" in text  # the blank rows for walk-ins are numbered on
    assert "Pagina 1 di" in text


def test_a_webinar_register_gives_the_link(edition):
    webinar = next(w for w in edition.of_kind("webinar") if edition.members(w["id"]))
    text = pdf_text(edition.get(f"/sessions/{webinar['id']}/register.pdf",
                                headers=edition.viewer).data)
    assert "Webinar" in text and webinar["join_url"] in text and "Collegamento" in text


def test_unknown_sessions_and_missing_tokens_are_problems(edition):
    unknown = str(uuid.uuid4())
    for path in (f"/sessions/{unknown}/register.pdf", f"/sessions/{unknown}/participants"):
        response = edition.get(path, headers=edition.viewer)
        assert response.status_code == 404 and response.mimetype == "application/problem+json"
        assert edition.get(path).status_code == 401
