"""Malformed input a client or a bot may send: each gets a 4xx problem
(or an Italian message beside the field), never a 500, and writes nothing."""
from __future__ import annotations

import pytest

from .builders import API, adhesion, outbox
from .test_api import submit


def test_a_role_of_the_wrong_type_is_a_validation_error(client):
    for role in ([], {}, 3, True):
        body = adhesion()
        body["contact"]["role"] = role
        body["participants"][0]["role"] = role
        r = submit(client, body)
        assert r.status_code == 422, (role, r.json)
        assert {"contact.role", "participants[0].role"} <= {e["field"] for e in r.json["errors"]}
    assert outbox(client.application.extensions["runtime"]) == []


@pytest.mark.parametrize("field", ["name", "email", "phone"])
def test_control_characters_in_a_text_are_refused_beside_the_field(client, field):
    body = adhesion()
    body["contact"][field] = body["contact"][field][:3] + "\x00" + body["contact"][field][3:]
    r = submit(client, body)
    assert r.status_code == 422
    [error] = [e for e in r.json["errors"] if e["field"] == f"contact.{field}"]
    assert "caratteri non ammessi" in error["message"]


def test_an_entity_code_with_a_nul_or_of_absurd_length_is_refused(client):
    for code in ("040\x00012", "9" * 500):
        r = submit(client, entity_code=code)
        assert r.status_code == 422 and r.json["errors"][0]["field"] == "entity_code", r.json


def test_a_confirmation_token_that_is_not_a_string_is_an_invalid_link(client):
    created = submit(client)
    for token in (123, ["a"], {"t": 1}, None, True):
        r = client.post(f"{API}/adhesions/{created.json['id']}/confirm", json={"token": token})
        assert 400 <= r.status_code < 500, (token, r.status_code, r.get_data(as_text=True))
        assert r.mimetype == "application/problem+json"


def test_json_nested_too_deeply_is_a_400_not_a_500(client):
    for depth in (10_000, 200_000):
        r = client.post(f"{API}/adhesions", data="[" * depth + "]" * depth,
                        content_type="application/json")
        assert r.status_code == 400 and r.mimetype == "application/problem+json", r.status_code


def test_the_same_participant_twice_in_a_change_is_a_validation_error(client):
    created = submit(client)
    token = created.json["token"]
    person = created.json["participants"][0]
    twice = [{k: person[k] for k in ("id", "name", "role", "email", "office")},
             dict({k: person[k] for k in ("id", "name", "role", "office")},
                  email="altro@comune.example.it")]
    r = client.patch(f"{API}/adhesions/{created.json['id']}?token={token}",
                     json={"participants": twice})
    assert r.status_code == 422, r.json
    assert r.json["errors"] == [{"field": "participants[1].id",
                                 "message": "Lo stesso partecipante compare due volte."}]
    again = client.get(f"{API}/adhesions/{created.json['id']}?token={token}")
    assert again.json["participants"] == created.json["participants"]


def test_a_remove_button_with_a_non_ascii_digit_does_not_break_the_form(client):
    page = client.get("/")
    import re
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    r = client.post("/", data={"csrf_token": csrf, "action": "remove:²", "ente": "Forlì"})
    assert r.status_code < 500, r.status_code
