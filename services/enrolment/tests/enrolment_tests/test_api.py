"""The adhesion API: every problem type and validation rule, the lifecycle
and its events, through the Flask test client on SQLite."""
from __future__ import annotations

import dataclasses

import pytest

from coalizione_common.auth import create_token
from coalizione_common.clock import Clock, parse_instant

from .builders import API, adhesion, bearer, outbox


def submit(client, body=None, **overrides):
    return client.post(f"{API}/adhesions", json=body if body is not None else adhesion(**overrides))


def confirm_token_of(runtime, adhesion_id):
    roster = [e for e in outbox(runtime, "roster.updated") if e["subject"] == adhesion_id]
    link = [e["data"]["links"]["confirm"] for e in roster if "confirm" in e["data"]["links"]][-1]
    return link.split("token=")[1]


def move_clock(runtime, instant: str):
    runtime.settings = dataclasses.replace(runtime.settings, clock=Clock(parse_instant(instant)))


def test_topics_are_the_edition_catalogue(client):
    r = client.get(f"{API}/topics")
    assert r.status_code == 200
    assert len(r.json["items"]) == 8
    assert {"id": "msna", "title": "Minori stranieri non accompagnati"} in r.json["items"]
    assert r.json["edition"]["deadline"] == "2017-06-30T21:59:59Z"
    assert r.json["edition"]["open"] is True


def test_submitting_returns_201_with_location_and_pending_status(client):
    r = submit(client)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "pending_confirmation"
    assert r.headers["Location"] == f"{API}/adhesions/{r.json['id']}"
    assert r.json["entity"]["name"] == "Forlì"
    assert [p["role"] for p in r.json["participants"]] == ["amministratore", "funzionario"]
    assert r.json["token"]


def test_submitting_writes_the_events_of_docs_events_md(client, runtime):
    r = submit(client, participants=3)
    submitted, roster = outbox(runtime, "adhesion."), outbox(runtime, "roster.")
    assert [e["type"] for e in submitted] == ["adhesion.submitted"]
    data = submitted[0]["data"]
    assert data["adhesion_id"] == r.json["id"] == submitted[0]["subject"]
    assert data["edition"] == "coalizione-2017"
    assert data["entity"] == {"code": "040012", "name": "Forlì", "kind": "comune",
                              "province": "FC", "region": "Emilia-Romagna", "population": 116434}
    assert data["participants_by_role"] == {"amministratore": 1, "dirigente": 1, "funzionario": 1}
    assert data["webinar_topics"] == ["accoglienza-integrata", "msna"]
    assert data["submitted_at"] == "2017-06-20T07:00:00Z"[:17] + data["submitted_at"][17:]
    assert "email" not in str(data)
    assert [e["type"] for e in roster] == ["roster.updated"]
    personal = roster[0]["data"]
    assert personal["reason"] == "submitted" and personal["status"] == "pending_confirmation"
    assert personal["contact"]["email"] == "maria.rossi@comune.forli.fc.it"
    assert personal["contact"]["id"] and all(p["id"] for p in personal["participants"])
    assert personal["links"]["confirm"].startswith(
        f"http://127.0.0.1:8000/adesione/{r.json['id']}/conferma?token=")
    assert personal["links"]["manage"] == (f"http://127.0.0.1:8000/adesione/{r.json['id']}"
                                           f"?token={r.json['token']}")
    assert personal["confirm_expires_at"] > personal["changed_at"]


def test_only_the_token_hash_is_stored(client, runtime):
    r = submit(client)
    with runtime.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT * FROM adhesions").one()
    assert r.json["token"] not in [str(v) for v in row]
    assert confirm_token_of(runtime, r.json["id"]) not in [str(v) for v in row]


VALIDATION_CASES = [
    ("entity_code", lambda b: b.pop("entity_code")),
    ("contact", lambda b: b.pop("contact")),
    ("contact.name", lambda b: b["contact"].update(name="  ")),
    ("contact.role", lambda b: b["contact"].update(role="sindaco")),
    ("contact.role", lambda b: b["contact"].pop("role")),
    ("contact.email", lambda b: b["contact"].update(email="maria.rossi@")),
    ("contact.email", lambda b: b["contact"].pop("email")),
    ("contact.phone", lambda b: b["contact"].update(phone="chiamami")),
    ("contact.phone", lambda b: b["contact"].pop("phone")),
    ("contact.name", lambda b: b["contact"].update(name="x" * 201)),
    ("contact.name", lambda b: b["contact"].update(name=42)),
    ("participants", lambda b: b.update(participants=[])),
    ("participants", lambda b: b.pop("participants")),
    ("participants", lambda b: b.update(participants=b["participants"] * 16)),
    ("participants[1]", lambda b: b["participants"].__setitem__(1, "Persona")),
    ("participants[1].name", lambda b: b["participants"][1].pop("name")),
    ("participants[0].role", lambda b: b["participants"][0].update(role="assessore")),
    ("participants[1].email", lambda b: b["participants"][1].update(email="persona1.it")),
    ("participants[0].office", lambda b: b["participants"][0].update(office="")),
    ("participants[1].email",
     lambda b: b["participants"][1].update(email=b["participants"][0]["email"].upper())),
    ("webinar_topics[1]", lambda b: b.update(webinar_topics=["msna", "astrologia"])),
    ("webinar_topics", lambda b: b.update(webinar_topics="msna")),
    ("privacy_notice_read", lambda b: b.update(privacy_notice_read=False)),
    ("privacy_notice_read", lambda b: b.update(privacy_notice_read="yes")),
    ("privacy_notice_read", lambda b: b.pop("privacy_notice_read")),
]


@pytest.mark.parametrize("field,spoil", VALIDATION_CASES,
                         ids=[f"{f}-{i}" for i, (f, _) in enumerate(VALIDATION_CASES)])
def test_each_validation_rule_is_a_422_naming_the_field(client, runtime, field, spoil):
    body = adhesion()
    spoil(body)
    r = submit(client, body)
    assert r.status_code == 422
    assert r.mimetype == "application/problem+json"
    assert r.json["type"].endswith("/validation")
    assert [e["field"] for e in r.json["errors"]] == [field]
    assert r.json["errors"][0]["message"]
    assert outbox(runtime, "adhesion.") == []


def test_thirty_participants_are_accepted(client):
    assert submit(client, participants=30).status_code == 201


def test_a_numeric_entity_code_and_no_topics_are_accepted(client):
    body = adhesion(webinar_topics=[])
    body["entity_code"] = "U00001"
    assert submit(client, body).status_code == 201


def test_several_errors_are_all_reported_in_field_order(client):
    body = adhesion()
    body["contact"]["email"] = "nope"
    body["participants"][0]["email"] = "nope"
    body["privacy_notice_read"] = False
    r = submit(client, body)
    assert [e["field"] for e in r.json["errors"]] == ["contact.email", "participants[0].email",
                                                      "privacy_notice_read"]


def test_a_body_that_is_not_json_is_415_and_broken_json_is_400(client):
    r = client.post(f"{API}/adhesions", data="entity_code=1",
                    content_type="application/x-www-form-urlencoded")
    assert r.status_code == 415 and r.json["type"].endswith("/unsupported-media-type")
    r = client.post(f"{API}/adhesions", data="{nope", content_type="application/json")
    assert r.status_code == 400 and r.json["type"].endswith("/bad-request")
    r = client.post(f"{API}/adhesions", json=["a list"])
    assert r.status_code == 422 and r.json["errors"][0]["field"] == ""


def test_an_unknown_body_is_422_unknown_entity(client):
    r = submit(client, entity_code="999999")
    assert r.status_code == 422
    assert r.json["type"].endswith("/unknown-entity")


def test_an_ineligible_body_is_422_not_eligible_with_the_reason(client):
    r = submit(client, entity_code="037006")
    assert r.status_code == 422
    assert r.json["type"].endswith("/not-eligible")
    assert r.json["reason"] == "popolazione 371.337 al censimento 2011: sopra la soglia di 150.000"
    assert "150.000" in r.json["detail"]


def test_a_second_adhesion_for_the_body_is_409_and_reveals_nothing_of_the_first(client, runtime):
    first = submit(client)
    other = adhesion()
    other["contact"] = {"name": "Intruso", "role": "funzionario", "email": "x@y.it",
                        "phone": "0543 1"}
    r = submit(client, other)
    assert r.status_code == 409
    assert r.json["type"].endswith("/already-enrolled")
    text = r.get_data(as_text=True)
    for secret in ("Maria", "maria.rossi", first.json["id"], "0543 712111"):
        assert secret not in text
    assert len(outbox(runtime, "adhesion.submitted")) == 1


def test_after_the_deadline_submitting_is_403_enrolment_closed(client, runtime):
    move_clock(runtime, "2017-07-01T00:00:00+02:00")
    r = submit(client)
    assert r.status_code == 403
    assert r.json["type"].endswith("/enrolment-closed")
    assert client.get(f"{API}/topics").json["edition"]["open"] is False


def test_the_last_second_before_the_deadline_is_still_open(client, runtime):
    move_clock(runtime, "2017-06-30T23:59:58+02:00")
    assert submit(client).status_code == 201


# reading, changing, withdrawing -------------------------------------------------
def test_the_adhesion_is_read_with_its_own_token_in_header_or_query(client):
    r = submit(client)
    url = r.headers["Location"]
    assert client.get(url, headers=bearer(r.json["token"])).json["id"] == r.json["id"]
    assert client.get(f"{url}?token={r.json['token']}").status_code == 200
    assert "token" not in client.get(url, headers=bearer(r.json["token"])).json


def test_reading_without_or_with_a_wrong_token_is_401(client):
    url = submit(client).headers["Location"]
    assert client.get(url).status_code == 401
    other = submit(client, entity_code="040013")
    r = client.get(url, headers=bearer(other.json["token"]))
    assert r.status_code == 401 and r.json["type"].endswith("/unauthorized")


def test_an_unknown_adhesion_is_404(client):
    r = client.get(f"{API}/adhesions/nope", headers=bearer("x"))
    assert r.status_code == 404 and r.json["type"].endswith("/not-found")


def test_operations_tokens_read_and_only_operators_change(client, runtime):
    r = submit(client)
    url = r.headers["Location"]
    viewer, operator = create_token(runtime, "viewer"), create_token(runtime, "operator")
    assert client.get(url, headers=bearer(viewer)).status_code == 200
    denied = client.patch(url, json={"webinar_topics": []}, headers=bearer(viewer))
    assert denied.status_code == 403 and denied.json["type"].endswith("/forbidden")
    assert client.patch(url, json={"webinar_topics": []}, headers=bearer(operator)).status_code == 200


def test_changing_keeps_the_ids_of_people_who_stay_and_emits_updated(client, runtime):
    r = submit(client, participants=2)
    url, token = r.headers["Location"], r.json["token"]
    kept = r.json["participants"][1]
    new = {"name": "Nuova Persona", "role": "dirigente", "email": "nuova@comune.it",
           "office": "Ragioneria"}
    changed = client.patch(url, headers=bearer(token), json={
        "participants": [kept, new], "webinar_topics": ["politiche-abitative"],
        "contact": dict(r.json["contact"], phone="0543 000000")})
    assert changed.status_code == 200, changed.json
    assert changed.json["participants"][0]["id"] == kept["id"]
    assert changed.json["participants"][1]["id"] not in {p["id"] for p in r.json["participants"]}
    assert changed.json["contact"]["id"] == r.json["contact"]["id"]
    assert changed.json["contact"]["phone"] == "0543 000000"
    updated = outbox(runtime, "adhesion.updated")[-1]["data"]
    assert updated == {"adhesion_id": r.json["id"], "edition": "coalizione-2017",
                       "entity_code": "040012", "entity": {
                           "code": "040012", "name": "Forlì", "kind": "comune",
                           "province": "FC", "region": "Emilia-Romagna",
                           "population": updated["entity"]["population"]},
                       "status": "pending_confirmation",
                       "participants_by_role": {"amministratore": 0, "dirigente": 1,
                                                "funzionario": 1},
                       "webinar_topics": ["politiche-abitative"],
                       "submitted_at": updated["submitted_at"], "confirmed_at": None,
                       "updated_at": updated["updated_at"]}
    assert "contact" not in updated and "participants" not in updated
    roster = outbox(runtime, "roster.updated")[-1]["data"]
    assert roster["reason"] == "updated" and "confirm" not in roster["links"]
    assert roster["participants"][0]["id"] == kept["id"]
    assert roster["links"]["manage"].endswith(f"token={token}")


def test_a_change_is_validated_like_a_submission(client):
    r = submit(client)
    bad = client.patch(r.headers["Location"], headers=bearer(r.json["token"]),
                       json={"participants": [{"name": "A", "role": "x", "email": "a@b.it",
                                               "office": "U"}], "entity_code": "040013"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"entity_code", "participants[0].role"}
    empty = client.patch(r.headers["Location"], headers=bearer(r.json["token"]), json={})
    assert empty.status_code == 422


def test_changes_after_the_deadline_are_403_enrolment_closed(client, runtime):
    r = submit(client)
    move_clock(runtime, "2017-07-01T08:00:00+02:00")
    late = client.patch(r.headers["Location"], headers=bearer(r.json["token"]),
                        json={"webinar_topics": []})
    assert late.status_code == 403 and late.json["type"].endswith("/enrolment-closed")


def test_withdrawing_emits_withdrawn_and_frees_the_body(client, runtime):
    r = submit(client)
    url, token = r.headers["Location"], r.json["token"]
    gone = client.post(f"{url}/withdraw", headers=bearer(token))
    assert gone.status_code == 200 and gone.json["status"] == "withdrawn"
    event = outbox(runtime, "adhesion.withdrawn")[0]["data"]
    assert event["adhesion_id"] == r.json["id"] and event["entity_code"] == "040012"
    assert outbox(runtime, "roster.updated")[-1]["data"]["reason"] == "withdrawn"
    again = client.post(f"{url}/withdraw", headers=bearer(token))
    assert again.status_code == 409 and again.json["type"].endswith("/withdrawn")
    change = client.patch(url, headers=bearer(token), json={"webinar_topics": []})
    assert change.status_code == 409
    assert submit(client).status_code == 201


def test_withdrawing_needs_the_token(client):
    r = submit(client)
    assert client.post(f"{r.headers['Location']}/withdraw").status_code == 401


# confirmation ------------------------------------------------------------------------
def test_the_confirmation_token_confirms_once(client, runtime):
    r = submit(client)
    token = confirm_token_of(runtime, r.json["id"])
    url = f"{API}/adhesions/{r.json['id']}/confirm"
    done = client.post(url, json={"token": token})
    assert done.status_code == 200 and done.json["status"] == "confirmed"
    event = outbox(runtime, "adhesion.confirmed")[0]
    assert event["data"]["adhesion_id"] == r.json["id"] and event["data"]["confirmed_at"]
    roster = outbox(runtime, "roster.updated")[-1]["data"]
    assert roster["reason"] == "confirmed" and "confirm" not in roster["links"]
    again = client.post(url, json={"token": token})
    assert again.status_code == 409 and again.json["type"].endswith("/not-pending")
    assert len(outbox(runtime, "adhesion.confirmed")) == 1


def test_a_wrong_confirmation_token_is_403_and_an_expired_one_410(client, runtime):
    r = submit(client)
    url = f"{API}/adhesions/{r.json['id']}/confirm"
    wrong = client.post(url, json={"token": "guess"})
    assert wrong.status_code == 403 and wrong.json["type"].endswith("/invalid-link")
    assert client.post(url, json={"token": r.json["token"]}).status_code == 403
    move_clock(runtime, "2017-06-28T09:00:00+02:00")
    late = client.post(url, json={"token": confirm_token_of(runtime, r.json["id"])})
    assert late.status_code == 410 and late.json["type"].endswith("/link-expired")


def test_a_new_confirmation_link_replaces_the_old_one(client, runtime):
    r = submit(client)
    old = confirm_token_of(runtime, r.json["id"])
    resent = client.post(f"{API}/adhesions/{r.json['id']}/confirmation",
                         headers=bearer(r.json["token"]))
    assert resent.status_code == 202
    event = outbox(runtime, "roster.updated")[-1]["data"]
    assert event["reason"] == "confirmation_requested" and event["links"]["confirm"]
    new = confirm_token_of(runtime, r.json["id"])
    assert new != old
    url = f"{API}/adhesions/{r.json['id']}/confirm"
    assert client.post(url, json={"token": old}).status_code == 403
    assert client.post(url, json={"token": new}).status_code == 200
    again = client.post(f"{API}/adhesions/{r.json['id']}/confirmation",
                        headers=bearer(r.json["token"]))
    assert again.status_code == 409


def test_asking_for_the_confirmation_by_entity_answers_the_same_either_way(client, runtime):
    submit(client)
    known = client.post(f"{API}/confirmation-requests", json={"entity_code": "040012"})
    unknown = client.post(f"{API}/confirmation-requests", json={"entity_code": "040013"})
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json
    reasons = [e["data"]["reason"] for e in outbox(runtime, "roster.updated")]
    assert reasons == ["submitted", "confirmation_requested"]
    assert client.post(f"{API}/confirmation-requests", json={}).status_code == 422


# replica search ------------------------------------------------------------------------
@pytest.mark.parametrize("query,first", [("forl", "Forlì"), ("FORLI", "Forlì"),
                                         ("bozen", "Bolzano/Bozen"), ("040013", "Forlimpopoli"),
                                         ("romagna forl", "Unione dei Comuni della Romagna Forlivese")])
def test_the_replica_search_ignores_accents_and_case_and_matches_word_prefixes(client, query,
                                                                               first):
    items = client.get(f"{API}/entities", query_string={"q": query}).json["items"]
    assert items[0]["name"] == first
    assert {"eligible", "eligibility_reason", "province"} <= set(items[0])


def test_the_replica_search_limits_and_validates(client):
    assert len(client.get(f"{API}/entities?q=forl&limit=1").json["items"]) == 1
    assert client.get(f"{API}/entities?q=").json["items"] == []
    assert client.get(f"{API}/entities?q=forl&limit=x").status_code == 422


# rate limit ----------------------------------------------------------------------------
def test_writes_beyond_the_rate_limit_are_429_with_retry_after(client, app):
    app.extensions["enrolment_rate_limiter"].limit = 3
    codes = [submit(client, entity_code="999999").status_code for _ in range(4)]
    assert codes == [422, 422, 422, 429]
    assert client.get(f"{API}/topics").status_code == 200
    r = submit(client)
    assert r.json["type"].endswith("/too-many-requests") and int(r.headers["Retry-After"]) >= 1


def test_a_body_with_a_long_registry_code_can_enrol(client, runtime):
    from .builders import seed
    code = "IPA-" + "u" * 56  # the registry accepts operator codes up to 64 characters
    seed(runtime, [{"code": code, "name": "Unione dei Comuni dal codice lungo",
                    "kind": "unione_di_comuni", "province": "FC", "region": "Emilia-Romagna",
                    "population": None, "eligible": True,
                    "eligibility_reason": "ente sovracomunale: sempre ammesso"}])
    response = submit(client, entity_code=code)
    assert response.status_code == 201, response.json
