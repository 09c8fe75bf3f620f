"""The registry's HTTP API through the Flask test client, checked against
its own OpenAPI document."""
from __future__ import annotations

import dataclasses

import jsonschema
import pytest

from registry.app import create_app

from .conftest import count, upserts

OPERATOR = "operator-token-for-tests"


@pytest.fixture(scope="module")
def client(shared_registry):
    return create_app(shared_registry).test_client()


@pytest.fixture
def ops_client(registry):
    registry.settings = dataclasses.replace(registry.settings, operator_token=OPERATOR)
    return create_app(registry).test_client()


@pytest.fixture(scope="module")
def openapi(client):
    document = client.get("/api/registry/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    return document


def conforms(openapi, instance, schema_name):
    schema = {**openapi["components"]["schemas"][schema_name],
              "$schema": "https://json-schema.org/draft/2020-12/schema"}
    jsonschema.validate(instance, schema, format_checker=jsonschema.FormatChecker())


def auth(token=OPERATOR):
    return {"Authorization": f"Bearer {token}"}


def test_search_answers_a_page_and_a_cursor(client, openapi):
    r = client.get("/api/registry/v1/entities?q=forli&limit=2")
    assert r.status_code == 200
    assert [d["name"] for d in r.json["items"]] == ["Forlì", "Forlimpopoli"]
    assert r.json["next"]
    following = client.get(f"/api/registry/v1/entities?q=forli&limit=2&cursor={r.json['next']}")
    assert [d["name"] for d in following.json["items"]][0] == "Forlì del Sannio"
    for item in r.json["items"] + following.json["items"]:
        conforms(openapi, item, "Entity")


def test_filters_over_http(client):
    r = client.get("/api/registry/v1/entities?region=Emilia-Romagna&province=fc&kind=comune"
                   "&eligible=true&limit=100")
    items = r.json["items"]
    assert items and all(d["province"] == "FC" and d["eligible"] and d["kind"] == "comune"
                         for d in items)
    assert "Forlì" in [d["name"] for d in items]
    assert all(d["province"] == "FC" for d in items)
    bodies = client.get("/api/registry/v1/entities?q=torino&kind=citta_metropolitana").json
    assert [d["code"] for d in bodies["items"]] == ["UTS-201"]


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"),
    ("eligible=maybe", "eligible"), ("kind=castello", "kind"), ("province=FCX", "province"),
    ("cursor=not-a-cursor", "cursor"), ("q=" + "a" * 101, "q"), ("colour=blue", "colour"),
    ("q=a&q=b", "q"),
])
def test_bad_query_parameters_are_400_problems(client, openapi, query, field):
    r = client.get(f"/api/registry/v1/entities?{query}")
    assert r.status_code == 400 and r.mimetype == "application/problem+json"
    assert field in [e["field"] for e in r.json["errors"]]
    conforms(openapi, r.json, "Problem")


def test_every_bad_parameter_is_reported_at_once(client):
    r = client.get("/api/registry/v1/entities?limit=0&kind=x&eligible=forse")
    assert {e["field"] for e in r.json["errors"]} == {"limit", "kind", "eligible"}


def test_lookup_by_code_and_404(client, openapi):
    r = client.get("/api/registry/v1/entities/040012")
    assert r.status_code == 200 and r.json["name"] == "Forlì"
    conforms(openapi, r.json, "Entity")
    conforms(openapi, client.get("/api/registry/v1/entities/UTS-201").json, "Entity")
    missing = client.get("/api/registry/v1/entities/999999")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    conforms(openapi, missing.json, "Problem")


def test_openapi_lists_every_route_of_the_app(client, openapi):
    app = client.application
    routes = {rule.rule.removeprefix("/api/registry/v1").replace("<code>", "{code}")
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/registry/v1")}
    assert routes == set(openapi["paths"])
    assert "ISTAT" in openapi["info"]["x-data-attribution"]


def test_operations_need_an_operator_token(ops_client):
    r = ops_client.put("/api/registry/v1/ops/entities/IPA-x", json={})
    assert r.status_code == 401 and r.mimetype == "application/problem+json"
    assert ops_client.post("/api/registry/v1/ops/imports", data="x",
                           headers=auth("wrong")).status_code == 401


def test_an_operator_adds_then_changes_a_body(ops_client, registry, openapi):
    body = {"name": "Unione Montana Valsesia", "kind": "unione_montana", "region": "Piemonte",
            "province": "VC", "members": ["002002", "002158"]}
    before = len(upserts(registry))
    r = ops_client.put("/api/registry/v1/ops/entities/IPA-ucvalsesia", json=body, headers=auth())
    assert r.status_code == 201 and r.json["eligible"] and r.json["lat"] is not None
    conforms(openapi, r.json, "Entity")
    found = ops_client.get("/api/registry/v1/entities?q=valsesia&kind=unione_montana").json
    assert [d["code"] for d in found["items"]] == ["IPA-ucvalsesia"]
    again = ops_client.put("/api/registry/v1/ops/entities/IPA-ucvalsesia", json=body,
                           headers=auth())
    assert again.status_code == 200 and len(upserts(registry)) == before + 1
    changed = ops_client.put("/api/registry/v1/ops/entities/IPA-ucvalsesia",
                             json={**body, "population": 30000, "population_date": "2023-01-01"},
                             headers=auth())
    assert changed.json["population"] == 30000 and len(upserts(registry)) == before + 2


def test_a_bad_body_is_a_422_naming_each_field(ops_client, openapi):
    r = ops_client.put("/api/registry/v1/ops/entities/IPA-x",
                       json={"name": "", "kind": "comune", "population": 5, "colour": "red"},
                       headers=auth())
    assert r.status_code == 422
    assert {e["field"] for e in r.json["errors"]} >= {"name", "kind", "region",
                                                       "population_date", "colour"}
    conforms(openapi, r.json, "Problem")
    comune = ops_client.put("/api/registry/v1/ops/entities/040012",
                            json={"name": "X", "kind": "provincia", "region": "Lazio"},
                            headers=auth())
    assert comune.status_code == 422


def test_a_csv_of_bodies_is_imported_whole_or_not_at_all(ops_client, registry, openapi):
    good = ("code,name,kind,region,province\n"
            "IPA-uc1,Unione dei Comuni Uno,unione_di_comuni,Toscana,FI\n"
            "IPA-cm1,Comunità Montana Due,comunita_montana,Lazio,RI\n")
    bad = good + "IPA-x,,unione_di_comuni,Toscana,FI\nIPA-uc1,Doppio,unione_di_comuni,Toscana,\n"
    entities_before = count(registry)
    r = ops_client.post("/api/registry/v1/ops/imports", data=bad, content_type="text/csv",
                        headers=auth())
    assert r.status_code == 422 and r.json["lines"] == [4, 5]
    conforms(openapi, r.json, "Problem")
    assert count(registry) == entities_before
    r = ops_client.post("/api/registry/v1/ops/imports", data=good, content_type="text/csv",
                        headers=auth())
    assert r.status_code == 200 and r.json["created"] == 2
    conforms(openapi, r.json, "ImportResult")
    assert count(registry) == entities_before + 2


def test_a_code_with_a_trailing_newline_is_not_a_code(ops_client):
    body = {"name": "Unione Montana Valsesia", "kind": "unione_montana", "region": "Piemonte",
            "province": "VC", "members": ["002002", "002158"]}
    r = ops_client.put("/api/registry/v1/ops/entities/IPA-x%0A", json=body, headers=auth())
    assert r.status_code in (404, 422), r.get_data(as_text=True)
    assert ops_client.get("/api/registry/v1/entities?province=VC%0A").status_code in (400, 422)
