"""Personal data: kept until the edition's retention period ends, then
erased by the worker (or the command line); erased or exported on request
for one person. Erasure leaves every figure as it was."""
from __future__ import annotations

import csv
import io
import json
import logging
from datetime import datetime

from openpyxl import load_workbook

from coalizione_common.auth import create_token
from coalizione_common.cli import main
from enrolment import erasure
from enrolment.cli import commands
from enrolment.edition import CURRENT, ROME

from .builders import API, adhesion, bearer, outbox
from .test_api import confirm_token_of, move_clock
from .test_operations import enrol_three

AFTER_RETENTION = "2020-07-31T00:00:01+02:00"
ERASED_CONTACT = {"name": None, "email": None, "phone": None}


def erased_events(runtime) -> list[dict]:
    return [e["data"] for e in outbox(runtime, "roster.erased")]


def people_ids(adhesion: dict) -> list[str]:
    return sorted([adhesion["contact"]["id"]] + [p["id"] for p in adhesion["participants"]])


def retention_job(runtime):
    return next(job for job in runtime.periodic if job.name == "retention")


def test_personal_data_expire_730_days_after_the_end_of_the_activities(client):
    assert CURRENT.activities_until == datetime(2018, 7, 31, 23, 59, 59, tzinfo=ROME)
    assert CURRENT.personal_data_expire_at == datetime(2020, 7, 30, 23, 59, 59, tzinfo=ROME)
    edition = client.get(f"{API}/edition").json
    assert edition["retention_days"] == 730
    assert edition["personal_data_expire_at"] == "2020-07-30T21:59:59Z"


def test_the_retention_job_erases_everyone_once_the_period_is_over_and_the_figures_stay(
        client, runtime):
    enrolled = enrol_three(client)
    viewer = bearer(create_token(runtime, "viewer"))
    before = client.get(f"{API}/stats", headers=viewer).json

    move_clock(runtime, "2020-07-30T23:59:00+02:00")
    retention_job(runtime).run()
    assert erased_events(runtime) == []

    move_clock(runtime, AFTER_RETENTION)
    retention_job(runtime).run()
    assert sorted(erased_events(runtime), key=lambda e: e["adhesion_id"]) == sorted(
        ({"adhesion_id": a["id"], "person_ids": people_ids(a)} for a in enrolled),
        key=lambda e: e["adhesion_id"])
    after = client.get(f"{API}/stats", headers=viewer).json
    assert {k: v for k, v in after.items() if k != "as_of"} == \
        {k: v for k, v in before.items() if k != "as_of"}

    items = client.get(f"{API}/adhesions", headers=viewer).json["items"]
    assert [a["status"] for a in items] == ["pending_confirmation", "withdrawn",
                                            "pending_confirmation"]
    for item, original in zip(items, enrolled):
        assert item["entity"]["code"] == original["entity"]["code"]
        assert item["contact"]["erased_at"].startswith("2020-07-30T22:00:")
        assert item["contact"] == dict(ERASED_CONTACT, id=original["contact"]["id"],
                                       role="dirigente", erased_at=item["contact"]["erased_at"])
        assert [(p["id"], p["role"], p["name"], p["email"], p["office"])
                for p in item["participants"]] == [
            (p["id"], p["role"], None, None, None) for p in original["participants"]]
        assert item["webinar_topics"] == original["webinar_topics"]

    retention_job(runtime).run()
    assert len(erased_events(runtime)) == 3


def test_erased_data_are_empty_in_the_csv_and_xlsx_exports(client, runtime):
    enrol_three(client)
    move_clock(runtime, AFTER_RETENTION)
    erasure.erase_expired(runtime)
    viewer = bearer(create_token(runtime, "viewer"))
    text = client.get(f"{API}/adhesions?format=csv", headers=viewer).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(r["contact_name"], r["contact_email"], r["contact_phone"], r["participants"])
            for r in rows] == [("", "", "", "3"), ("", "", "", "1"), ("", "", "", "2")]
    assert "@" not in text
    book = load_workbook(io.BytesIO(client.get(f"{API}/adhesions?format=xlsx",
                                               headers=viewer).data))
    people = list(book["Partecipanti"].values)[1:]
    assert len(people) == 6 and {(row[6], row[8]) for row in people} == {(None, None)}
    assert {row[7] for row in people} == {"amministratore", "funzionario", "dirigente"}


def test_the_command_line_erases_the_expired_data_and_prints_the_counts(client, runtime,
                                                                        capsys, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # main() replaces them
    enrol_three(client)
    move_clock(runtime, AFTER_RETENTION)
    assert main("enrolment", lambda: runtime, ["erase-expired"], extra=commands) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {
        "adhesions": 3, "people": 3 + 3 + 1 + 2}
    assert main("enrolment", lambda: runtime, ["erase-expired"], extra=commands) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == {
        "adhesions": 0, "people": 0}


def test_erasing_the_contact_revokes_the_secret_links(client, runtime):
    created = client.post(f"{API}/adhesions", json=adhesion()).json
    own = f"{API}/adhesions/{created['id']}"
    confirm = confirm_token_of(runtime, created["id"])
    operator = bearer(create_token(runtime, "operator"))
    r = client.post(f"{API}/people/erasure", json={"person_id": created["contact"]["id"]},
                    headers=operator)
    assert r.status_code == 200
    assert r.json == {"erased": [{"adhesion_id": created["id"],
                                  "person_ids": [created["contact"]["id"]]}]}
    assert client.get(own, headers=bearer(created["token"])).status_code == 401
    assert client.get(f"/adesione/{created['id']}?token={created['token']}").status_code == 404
    assert client.post(f"{own}/confirm", json={"token": confirm}).status_code == 403
    sent = len(outbox(runtime, "roster.updated"))
    client.post(f"{API}/confirmation-requests", json={"entity_code": "040012"})
    assert len(outbox(runtime, "roster.updated")) == sent
    kept = client.get(own, headers=operator).json
    assert kept["participants"] == created["participants"] == [
        dict(p, erased_at=None) for p in kept["participants"]]


def test_erasure_by_address_reaches_every_adhesion_once(client, runtime):
    forli, unione, bolzano = enrol_three(client)
    operator = bearer(create_token(runtime, "operator"))
    body = {"email": "  Persona0@Comune.Forli.FC.it"}
    r = client.post(f"{API}/people/erasure", json=body, headers=operator)
    assert r.status_code == 200
    assert sorted(r.json["erased"], key=lambda e: e["adhesion_id"]) == sorted(
        ({"adhesion_id": a["id"], "person_ids": [a["participants"][0]["id"]]}
         for a in (forli, unione, bolzano)), key=lambda e: e["adhesion_id"])
    assert erased_events(runtime) == r.json["erased"]
    again = client.post(f"{API}/people/erasure", json=body, headers=operator)
    assert again.status_code == 404 and again.json["type"].endswith("/not-found")
    by_id = client.post(f"{API}/people/erasure", headers=operator,
                        json={"person_id": forli["participants"][0]["id"]})
    assert by_id.status_code == 200 and by_id.json == {"erased": []}
    assert len(erased_events(runtime)) == 3
    record = client.get(f"{API}/people/{forli['participants'][0]['id']}", headers=operator).json
    assert record["items"][0] | {"erased_at": None} == {
        "person_id": forli["participants"][0]["id"], "adhesion_id": forli["id"],
        "entity_code": "040012", "entity_name": "Forlì", "as": "participant", "name": None,
        "role": "amministratore", "email": None, "office": None,
        "adhesion_status": "pending_confirmation", "submitted_at": forli["submitted_at"],
        "erased_at": None}
    assert record["items"][0]["erased_at"].startswith("2017-06-20T07:00:")
    contact = client.get(f"{API}/adhesions/{forli['id']}", headers=operator).json["contact"]
    assert contact["email"] == "maria.rossi@comune.forli.fc.it"


def test_bad_erasure_requests_are_422_and_need_an_operator(client, runtime):
    operator = bearer(create_token(runtime, "operator"))
    url = f"{API}/people/erasure"
    for body in ({}, {"person_id": "x", "email": "a@b.it"}, {"person_id": 5},
                 {"email": "nobody"}, [], {"person_id": "  "}):
        r = client.post(url, json=body, headers=operator)
        assert r.status_code == 422 and r.json["errors"], body
    assert client.post(url, data="x", content_type="text/plain",
                       headers=operator).status_code == 415
    assert client.post(url, json={"person_id": "nope"}, headers=operator).status_code == 404
    viewer = bearer(create_token(runtime, "viewer"))
    assert client.post(url, json={"person_id": "nope"}, headers=viewer).status_code == 403
    assert client.post(url, json={"person_id": "nope"}).status_code == 401
    assert outbox(runtime, "roster.erased") == []


def test_a_persons_data_are_exported_by_address_or_id_for_operators_only(client, runtime):
    forli, _, bolzano = enrol_three(client)
    operator = bearer(create_token(runtime, "operator"))
    r = client.get(f"{API}/people?email=MARIA.ROSSI@comune.forli.fc.it", headers=operator)
    assert r.status_code == 200
    assert [(i["adhesion_id"], i["as"], i["phone"], i["adhesion_status"])
            for i in r.json["items"]] == [
        (forli["id"], "contact", "+39 0543 712111", "pending_confirmation"),
        (_["id"], "contact", "+39 0543 712111", "withdrawn"),
        (bolzano["id"], "contact", "+39 0543 712111", "pending_confirmation")]
    assert {i["name"] for i in r.json["items"]} == {"Maria Rossi"}
    assert all(i["erased_at"] is None and "office" not in i for i in r.json["items"])
    one = client.get(f"{API}/people/{bolzano['participants'][1]['id']}", headers=operator).json
    assert [(i["entity_name"], i["as"], i["name"], i["office"]) for i in one["items"]] == [
        ("Bolzano/Bozen", "participant", "Persona 1", "Servizi sociali")]
    missing = client.get(f"{API}/people?email=nobody@example.it", headers=operator)
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get(f"{API}/people/nope", headers=operator).status_code == 404
    no_address = client.get(f"{API}/people", headers=operator)
    assert no_address.status_code == 422 and no_address.json["errors"][0]["field"] == "email"
    viewer = bearer(create_token(runtime, "viewer"))
    assert client.get(f"{API}/people?email=maria.rossi@comune.forli.fc.it",
                      headers=viewer).status_code == 403
    assert client.get(f"{API}/people/{forli['contact']['id']}", headers=viewer).status_code == 403


def test_someone_entered_again_after_an_erasure_is_a_new_person(client, runtime):
    created = client.post(f"{API}/adhesions", json=adhesion()).json
    operator = bearer(create_token(runtime, "operator"))
    erased_id = created["participants"][0]["id"]
    kept_id = created["participants"][1]["id"] if len(created["participants"]) > 1 else None
    assert client.post(f"{API}/people/erasure", json={"person_id": erased_id},
                       headers=operator).status_code == 200
    participants = [dict(p, id=p["id"]) for p in created["participants"]]
    participants[0] = {"id": erased_id, "name": "Di nuovo Qui", "role": "funzionario",
                       "email": "di.nuovo@comune.forli.fc.it", "office": "Anagrafe"}
    for p in participants:
        p.pop("erased_at", None)
    r = client.patch(f"{API}/adhesions/{created['id']}", json={"participants": participants},
                     headers=bearer(created["token"]))
    assert r.status_code == 200, r.json
    again = r.json["participants"][0]
    assert again["name"] == "Di nuovo Qui" and again["id"] != erased_id
    assert again["erased_at"] is None
    if kept_id:
        assert r.json["participants"][1]["id"] == kept_id
    roster = outbox(runtime, "roster.updated")[-1]["data"]
    assert erased_id not in [p["id"] for p in roster["participants"]]
