"""Real responses of the API against its own OpenAPI document: the status
is documented for the operation and the body fits the declared schema."""
from __future__ import annotations

import re

import jsonschema
import pytest

from coalizione_common.auth import create_token

from .builders import API, adhesion, bearer
from .test_api import confirm_token_of


@pytest.fixture
def check(client):
    doc = client.get(f"{API}/openapi.json").json
    jsonschema.Draft202012Validator.check_schema({"components": doc["components"]})

    def check(method: str, path: str, response):
        template = re.sub(r"/adhesions/[^/]+", "/adhesions/{adhesion_id}",
                          path.split("?")[0][len(API):])
        template = re.sub(r"^/people/(?!erasure$)[^/]+$", "/people/{person_id}", template)
        operation = doc["paths"][template][method]
        documented = operation["responses"].get(str(response.status_code))
        assert documented, f"{method.upper()} {template} {response.status_code} not documented"
        content = documented.get("content", {})
        assert response.mimetype in content, (template, response.mimetype, list(content))
        schema = content[response.mimetype]["schema"]
        if response.mimetype.endswith("json"):
            jsonschema.validate(response.json, {**schema, "components": doc["components"]},
                                cls=jsonschema.Draft202012Validator)
        return response
    return check


def test_every_answer_fits_the_document(client, runtime, check):
    url = f"{API}/adhesions"
    created = check("post", url, client.post(url, json=adhesion())).json
    own = f"{url}/{created['id']}"
    for code, status in (("999999", 422), ("037006", 422), ("040012", 409)):
        assert check("post", url, client.post(url, json=adhesion(code))).status_code == status
    invalid = adhesion()
    invalid["participants"][0]["email"] = "x"
    check("post", url, client.post(url, json=invalid))
    check("post", url, client.post(url, data="x", content_type="text/plain"))
    check("get", own, client.get(own, headers=bearer(created["token"])))
    check("get", own, client.get(own))
    check("get", f"{url}/nope", client.get(f"{url}/nope", headers=bearer("x")))
    check("patch", own, client.patch(own, headers=bearer(created["token"]),
                                     json={"webinar_topics": ["msna"]}))
    check("patch", own, client.patch(own, headers=bearer(created["token"]), json={"x": 1}))
    check("post", f"{own}/confirmation", client.post(f"{own}/confirmation",
                                                     headers=bearer(created["token"])))
    token = confirm_token_of(runtime, created["id"])
    check("post", f"{own}/confirm", client.post(f"{own}/confirm", json={"token": "bad"}))
    check("post", f"{own}/confirm", client.post(f"{own}/confirm", json={"token": token}))
    check("post", f"{own}/confirm", client.post(f"{own}/confirm", json={"token": token}))
    check("post", f"{own}/withdraw", client.post(f"{own}/withdraw",
                                                 headers=bearer(created["token"])))
    check("post", f"{own}/withdraw", client.post(f"{own}/withdraw",
                                                 headers=bearer(created["token"])))
    check("post", f"{API}/confirmation-requests",
          client.post(f"{API}/confirmation-requests", json={"entity_code": "040012"}))
    viewer = bearer(create_token(runtime, "viewer"))
    check("get", url, client.get(url, headers=viewer))
    check("get", url, client.get(f"{url}?format=csv", headers=viewer))
    check("get", url, client.get(f"{url}?status=nope", headers=viewer))
    check("get", f"{API}/stats", client.get(f"{API}/stats", headers=viewer))
    check("get", f"{API}/topics", client.get(f"{API}/topics"))
    check("get", f"{API}/edition", client.get(f"{API}/edition"))
    check("get", f"{API}/entities", client.get(f"{API}/entities?q=forl"))


def test_the_personal_data_answers_fit_the_document(client, runtime, check):
    created = client.post(f"{API}/adhesions", json=adhesion()).json
    operator = bearer(create_token(runtime, "operator"))
    viewer = bearer(create_token(runtime, "viewer"))
    people, erasure = f"{API}/people", f"{API}/people/erasure"
    email = created["participants"][0]["email"]
    check("get", people, client.get(f"{people}?email={email}", headers=operator))
    check("get", people, client.get(people, headers=operator))
    check("get", people, client.get(f"{people}?email=x@y.it", headers=operator))
    check("get", people, client.get(f"{people}?email={email}", headers=viewer))
    check("post", erasure, client.post(erasure, json={"email": email}, headers=operator))
    check("post", erasure, client.post(erasure, json={"email": email}, headers=operator))
    check("post", erasure, client.post(erasure, json={}, headers=operator))
    check("post", erasure, client.post(erasure, json={"person_id": created["contact"]["id"]},
                                       headers=viewer))
    check("post", erasure, client.post(erasure, json={"person_id": created["contact"]["id"]},
                                       headers=operator))
    own = f"{people}/{created['contact']['id']}"
    check("get", own, client.get(own, headers=operator))
    check("get", own, client.get(f"{people}/nope", headers=operator))
    url = f"{API}/adhesions"
    check("get", url, client.get(f"{url}?q=forli&kind=comune&province=FC", headers=viewer))
    check("get", f"{url}/{created['id']}", client.get(f"{url}/{created['id']}", headers=viewer))
    check("get", f"{API}/stats", client.get(f"{API}/stats", headers=viewer))
