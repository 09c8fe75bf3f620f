"""Operations endpoints, the OpenAPI document and the resync request."""
from __future__ import annotations

import csv
import dataclasses
import io
import re

from openpyxl import load_workbook

from coalizione_common.auth import create_token
from enrolment import handlers
from tests.support.services import build_service

from .builders import API, adhesion, bearer, outbox
from .conftest import WINDOW


def enrol_three(client):
    forli = client.post(f"{API}/adhesions", json=adhesion(participants=3)).json
    unione = client.post(f"{API}/adhesions", json=adhesion("U00001", participants=1)).json
    bolzano = client.post(f"{API}/adhesions", json=adhesion("021008", participants=2)).json
    client.post(f"{API}/adhesions/{unione['id']}/withdraw", headers=bearer(unione["token"]))
    return forli, unione, bolzano


def test_operations_need_a_viewer_token(client):
    assert client.get(f"{API}/adhesions").status_code == 401
    assert client.get(f"{API}/stats").status_code == 401
    assert client.get(f"{API}/stats", headers=bearer("nope")).status_code == 401


def test_the_list_filters_by_status_and_region(client, runtime):
    forli, unione, bolzano = enrol_three(client)
    token = bearer(create_token(runtime, "viewer"))
    every = client.get(f"{API}/adhesions", headers=token).json["items"]
    assert [a["id"] for a in every] == [forli["id"], unione["id"], bolzano["id"]]
    assert every[0]["contact"]["email"] == "maria.rossi@comune.forli.fc.it"
    pending = client.get(f"{API}/adhesions?status=pending_confirmation&region=Emilia-Romagna",
                         headers=token).json["items"]
    assert [a["id"] for a in pending] == [forli["id"]]
    bad = client.get(f"{API}/adhesions?status=maybe&format=pdf", headers=token)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json["errors"]] == ["status", "format"]


def test_the_csv_export_has_one_row_per_adhesion(client, runtime):
    forli, _, _ = enrol_three(client)
    r = client.get(f"{API}/adhesions?format=csv&status=pending_confirmation",
                   headers=bearer(create_token(runtime, "viewer")))
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["entity_name"] for row in rows] == ["Forlì", "Bolzano/Bozen"]
    assert rows[0]["id"] == forli["id"] and rows[0]["participants"] == "3"
    assert rows[0]["amministratori"] == "1" and rows[0]["webinar_topics"] == "accoglienza-integrata msna"


def test_the_xlsx_export_has_adhesions_and_participants(client, runtime):
    enrol_three(client)
    r = client.get(f"{API}/adhesions?format=xlsx", headers=bearer(create_token(runtime, "viewer")))
    book = load_workbook(io.BytesIO(r.data), read_only=True)
    assert book.sheetnames == ["Adesioni", "Partecipanti"]
    adhesions = list(book["Adesioni"].values)
    assert adhesions[0][:4] == ("id", "status", "entity_code", "entity_name")
    assert len(adhesions) == 4
    people = list(book["Partecipanti"].values)
    assert len(people) == 1 + 3 + 1 + 2
    assert people[1][6] == "Persona 0"


def test_exports_never_turn_what_was_typed_on_the_form_into_a_formula(client, runtime):
    evil = '=HYPERLINK("http://evil.example","Clicca")'
    body = adhesion()
    body["contact"]["name"] = evil
    body["participants"][0]["office"] = "@SUM(1+1)"
    assert client.post(f"{API}/adhesions", json=body).status_code == 201
    token = bearer(create_token(runtime, "viewer"))
    r = client.get(f"{API}/adhesions?format=csv", headers=token)
    [row] = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert row["contact_name"] == "'" + evil and row["contact_phone"].startswith("'+39")
    book = load_workbook(io.BytesIO(client.get(f"{API}/adhesions?format=xlsx",
                                               headers=token).data))
    contact = book["Adesioni"].cell(row=2, column=9)
    assert contact.value == evil and contact.data_type == "s"
    office = book["Partecipanti"].cell(row=2, column=10)
    assert office.value == "@SUM(1+1)" and office.data_type == "s"


def test_stats_count_active_bodies_and_participants(client, runtime):
    enrol_three(client)
    stats = client.get(f"{API}/stats", headers=bearer(create_token(runtime, "viewer"))).json
    assert stats["bodies"]["total"] == 2
    assert stats["bodies"]["by_region"] == {"Emilia-Romagna": 1,
                                            "Trentino-Alto Adige/Südtirol": 1}
    assert stats["bodies"]["by_province"] == {"BZ": 1, "FC": 1}
    assert stats["bodies"]["by_kind"] == {"comune": 2}
    assert stats["participants"]["total"] == 5
    assert stats["participants"]["by_role"] == {"amministratore": 2, "dirigente": 1,
                                                "funzionario": 2}
    assert stats["participants"]["by_province"] == {"BZ": 2, "FC": 3}
    assert stats["participants"]["by_region_and_role"]["Emilia-Romagna"]["funzionario"] == 1


def test_openapi_describes_every_route_and_the_problem_types(client, app):
    doc = client.get(f"{API}/openapi.json").json
    assert doc["openapi"].startswith("3.")
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API):
            path = re.sub(r"<(\w+)>", r"{\1}", rule.rule[len(API):])
            assert path in doc["paths"], path
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert method.lower() in doc["paths"][path], (path, method)
    post = doc["paths"]["/adhesions"]["post"]["responses"]
    described = " ".join(v["description"] for v in post.values())
    for kind in ("validation", "unknown-entity", "not-eligible", "already-enrolled",
                 "enrolment-closed"):
        assert kind in described


def test_a_response_has_the_fields_its_schema_requires(client):
    doc = client.get(f"{API}/openapi.json").json
    created = client.post(f"{API}/adhesions", json=adhesion()).json
    required = doc["components"]["schemas"]["Adhesion"]["required"]
    assert set(required) <= set(created)
    assert set(created) <= set(doc["components"]["schemas"]["Adhesion"]["properties"])
    problem = client.post(f"{API}/adhesions", json=adhesion("999999")).json
    assert set(doc["components"]["schemas"]["Problem"]["required"]) <= set(problem)


def test_an_empty_replica_asks_the_registry_for_a_resync_at_most_once_per_interval(tmp_path):
    runtime = build_service("enrolment", tmp_path, now=WINDOW)
    assert outbox(runtime) == []
    assert handlers.request_resync_if_empty(runtime) is True
    assert [r["data"] for r in outbox(runtime, "registry.resync.requested")] == [
        {"requested_by": "enrolment"}]
    assert handlers.request_resync_if_empty(runtime) is False
    runtime.enrolment = dataclasses.replace(runtime.enrolment, resync_interval=0)
    assert handlers.request_resync_if_empty(runtime) is True
    assert len(outbox(runtime, "registry.resync.requested")) == 2


def test_the_worker_checks_the_replica_periodically(tmp_path):
    runtime = build_service("enrolment", tmp_path, now=WINDOW)
    job = next(j for j in runtime.periodic if j.name == "resync")
    job.run()
    assert len(outbox(runtime, "registry.resync.requested")) == 1


def test_a_filled_replica_asks_for_nothing(runtime):
    assert handlers.request_resync_if_empty(runtime) is False
    assert outbox(runtime) == []


def test_a_replicated_entity_is_updated_in_place(runtime, client):
    from .builders import ENTITIES, seed
    seed(runtime, [dict(ENTITIES[0], eligible=False, eligibility_reason="fuori programma")])
    r = client.post(f"{API}/adhesions", json=adhesion())
    assert r.status_code == 422 and r.json["reason"] == "fuori programma"


def test_stats_give_the_deadline_and_the_active_adhesions_by_rome_day(client, runtime):
    from .test_api import move_clock
    submitted = {}
    for code, when in (("040012", "2017-06-18T23:30:00+02:00"),
                       ("040013", "2017-06-19T00:30:00+02:00"),
                       ("U00001", "2017-06-21T10:00:00+02:00"),
                       ("021008", "2017-06-21T12:00:00+02:00")):
        move_clock(runtime, when)
        submitted[code] = client.post(f"{API}/adhesions", json=adhesion(code)).json
    client.post(f"{API}/adhesions/{submitted['U00001']['id']}/withdraw",
                headers=bearer(submitted["U00001"]["token"]))
    stats = client.get(f"{API}/stats", headers=bearer(create_token(runtime, "viewer"))).json
    assert stats["deadline"] == "2017-06-30T21:59:59Z"
    assert stats["by_day"] == [
        {"date": "2017-06-18", "submitted": 1, "cumulative": 1},
        {"date": "2017-06-19", "submitted": 1, "cumulative": 2},
        {"date": "2017-06-20", "submitted": 0, "cumulative": 2},
        {"date": "2017-06-21", "submitted": 1, "cumulative": 3}]
    assert stats["by_day"][-1]["cumulative"] == stats["bodies"]["total"]
    assert stats["bodies"]["by_kind"] == {"comune": 3}


def test_stats_by_day_are_empty_without_adhesions(client, runtime):
    stats = client.get(f"{API}/stats", headers=bearer(create_token(runtime, "viewer"))).json
    assert stats["by_day"] == [] and stats["bodies"]["total"] == 0


def test_the_list_filters_by_name_kind_and_province_in_every_format(client, runtime):
    forli, unione, bolzano = enrol_three(client)
    forlimpopoli = client.post(f"{API}/adhesions", json=adhesion("040013")).json
    token = bearer(create_token(runtime, "viewer"))

    def ids(query):
        response = client.get(f"{API}/adhesions?{query}", headers=token)
        assert response.status_code == 200, response.json
        return [a["id"] for a in response.json["items"]]
    assert ids("q=forli") == ids("q=FORLÌ") == [forli["id"], unione["id"], forlimpopoli["id"]]
    assert ids("q=romagna%20forl") == [unione["id"]]
    assert ids("kind=unione_di_comuni") == [unione["id"]]
    assert ids("province=bz") == ids("q=Bozen") == [bolzano["id"]]
    assert ids("q=forli&kind=comune&status=pending_confirmation&region=Emilia-Romagna") == [
        forli["id"], forlimpopoli["id"]]
    assert ids("q=nessuno") == []
    r = client.get(f"{API}/adhesions?format=csv&q=forlimp", headers=token)
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["entity_name"] for row in rows] == ["Forlimpopoli"]
    r = client.get(f"{API}/adhesions?format=xlsx&province=BZ", headers=token)
    book = load_workbook(io.BytesIO(r.data), read_only=True)
    assert [row[3] for row in list(book["Adesioni"].values)[1:]] == ["Bolzano/Bozen"]
    assert len(list(book["Partecipanti"].values)) == 1 + 2
