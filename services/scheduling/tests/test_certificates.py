"""Certificates of attendance: issued once to each person present at a
session that was not cancelled, announced with roster.certificate.issued,
checked by anyone holding the code."""
from __future__ import annotations

import uuid

import pytest

from tests.contract.schemas import problems

from .builders import outbox
from .trained import open_edition


@pytest.fixture
def edition(tmp_path):
    return open_edition(tmp_path)


def _hours(session):
    from coalizione_common.clock import parse_instant
    return (parse_instant(session["ends_at"]) - parse_instant(session["starts_at"])
            ).total_seconds() / 3600


def test_present_people_get_one_certificate_each_announced_without_names(edition):
    [day] = edition.of_kind("in_person")
    webinar = next(w for w in edition.of_kind("webinar") if edition.members(w["id"]))
    in_webinar = edition.members(webinar["id"])[:1]
    members = edition.members(day["id"])
    came = in_webinar + [pid for pid in members if pid not in in_webinar][:2]
    stayed_home = next(pid for pid in members if pid not in came)
    edition.mark(day["id"], {**{pid: True for pid in came}, stayed_home: False})
    edition.mark(webinar["id"], {pid: True for pid in in_webinar})

    issued = edition.post("/certificates", headers=edition.operator,
                          json={"session_id": day["id"]})
    assert issued.status_code == 200 and issued.json["already_issued"] == 0
    certificates = {c["participant_id"]: c for c in issued.json["issued"]}
    assert set(certificates) == set(came)
    both = certificates[in_webinar[0]]
    assert [s["session_id"] for s in both["sessions"]] == sorted(
        [day["id"], webinar["id"]], key=lambda i: edition.sessions[i]["starts_at"])
    assert both["hours"] == round(_hours(day) + _hours(webinar), 1)
    only_day = certificates[next(pid for pid in came if pid not in in_webinar)]
    assert only_day["hours"] == round(_hours(day), 1) and len(only_day["sessions"]) == 1
    person = edition.people[both["participant_id"]]
    assert both["holder_name"] == person["name"] and both["role"] == person["role"]
    assert both["verify_path"] == f"/verifica/{both['code']}"
    assert len({c["code"] for c in certificates.values()}) == len(came)

    events = outbox(edition.runtime, "roster.certificate.issued")
    assert sorted(e["data"]["participant_id"] for e in events) == sorted(came)
    assert all(problems(e) == [] for e in events)
    event = next(e for e in events if e["data"]["participant_id"] == both["participant_id"])
    assert event["subject"] == both["adhesion_id"] and event["data"]["code"] == both["code"]
    assert person["name"] not in str(event) and person["email"] not in str(event)

    again = edition.post("/certificates", headers=edition.operator, json={})
    assert again.json == {"issued": [], "already_issued": len(came)}
    assert len(outbox(edition.runtime, "roster.certificate.issued")) == len(came)


def test_scopes_filters_and_cancelled_sessions(edition):
    [day] = edition.of_kind("in_person")
    webinars = edition.of_kind("webinar")
    adhesion_id = next(iter(edition.adhesions))
    mine = [pid for pid, p in edition.people.items() if p["adhesion_id"] == adhesion_id]
    others = [pid for pid in edition.members(day["id"]) if pid not in mine]
    edition.mark(day["id"], {pid: True for pid in mine + others})
    cancelled = next(w for w in webinars if edition.members(w["id"]))
    edition.mark(cancelled["id"], {pid: True for pid in edition.members(cancelled["id"])})
    assert edition.post(f"/sessions/{cancelled['id']}/cancel", headers=edition.operator,
                        json={"reason": "Relatore indisponibile"}).status_code == 200

    first = edition.post("/certificates", headers=edition.operator,
                         json={"adhesion_id": adhesion_id})
    assert sorted(c["participant_id"] for c in first.json["issued"]) == sorted(mine)
    assert all(cancelled["id"] not in {s["session_id"] for s in c["sessions"]}
               for c in first.json["issued"])
    nobody = edition.post("/certificates", headers=edition.operator,
                          json={"session_id": cancelled["id"]})
    assert nobody.json == {"issued": [], "already_issued": 0}
    rest = edition.post("/certificates", headers=edition.operator, json={})
    assert sorted(c["participant_id"] for c in rest.json["issued"]) == sorted(others)
    assert rest.json["already_issued"] == len(mine)

    listed = edition.get("/certificates", headers=edition.viewer).json["items"]
    assert len(listed) == len(mine) + len(others)
    by_adhesion = edition.get(f"/certificates?adhesion_id={adhesion_id}",
                              headers=edition.viewer).json["items"]
    assert sorted(c["participant_id"] for c in by_adhesion) == sorted(mine)
    by_session = edition.get(f"/certificates?session_id={day['id']}", headers=edition.viewer)
    assert len(by_session.json["items"]) == len(listed)
    one = edition.get(f"/certificates?participant_id={mine[0]}", headers=edition.viewer)
    assert [c["participant_id"] for c in one.json["items"]] == [mine[0]]
    assert edition.get("/certificates").status_code == 401


def test_bad_requests_to_issue_are_problems(edition):
    issue = lambda **kw: edition.post("/certificates", **kw)  # noqa: E731
    assert issue(json={}).status_code == 401
    assert issue(headers=edition.viewer, json={}).status_code == 403
    not_object = issue(headers=edition.operator, data="[]", content_type="application/json")
    assert not_object.status_code == 400
    wrong = issue(headers=edition.operator, json={"session_id": 5, "adhesion_id": ""})
    assert wrong.status_code == 422
    assert {e["field"] for e in wrong.json["errors"]} == {"session_id", "adhesion_id"}
    for field in ("session_id", "adhesion_id"):
        unknown = issue(headers=edition.operator, json={field: str(uuid.uuid4())})
        assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"


def test_anyone_checks_a_code_in_json_or_on_the_public_page(edition):
    [day] = edition.of_kind("in_person")
    pid = edition.members(day["id"])[0]
    edition.mark(day["id"], {pid: True})
    [certificate] = edition.post("/certificates", headers=edition.operator,
                                 json={}).json["issued"]
    code = certificate["code"]
    person = edition.people[pid]

    typed = code.replace("-", "").lower()
    checked = edition.get(f"/certificates/verify/{typed}")
    assert checked.status_code == 200
    assert checked.json == {"valid": True, "superseded": False, "revoked": False, "code": code,
                            "holder_name": person["name"], "erased": False, "entity_name": person["entity_name"],
                            "role": person["role"], "hours": certificate["hours"],
                            "sessions": certificate["sessions"],
                            "issued_at": certificate["issued_at"]}
    missing = edition.get("/certificates/verify/AAAA-BBBB-CCCC")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert edition.get("/certificates/verify/not-a-code").status_code == 404

    page = edition.client.get(f"/verifica/{code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "Attestato valido" in html and person["name"] in html and code in html
    assert person["entity_name"] in html and "20 giugno 2017" in html
    assert 'lang="it"' in html and "<script" not in html
    by_form = edition.client.get(f"/verifica?codice={code[:4].lower()} {code[5:]}")
    assert by_form.status_code == 200 and "Attestato valido" in by_form.get_data(as_text=True)

    unknown = edition.client.get("/verifica/AAAA-BBBB-CCCC")
    html = unknown.get_data(as_text=True)
    assert unknown.status_code == 404 and "Codice non trovato" in html
    assert 'name="codice"' in html and "AAAA-BBBB-CCCC" in html
    form = edition.client.get("/verifica")
    assert form.status_code == 200 and 'name="codice"' in form.get_data(as_text=True)
    hostile = edition.client.get("/verifica?codice=<b>x</b>")
    assert hostile.status_code == 404 and "<b>x</b>" not in hostile.get_data(as_text=True)


def test_a_person_who_attends_more_later_gets_a_new_certificate_that_supersedes_the_old(
        edition):
    [day] = edition.of_kind("in_person")
    webinar = next(w for w in edition.of_kind("webinar") if edition.members(w["id"]))
    pid = edition.members(webinar["id"])[0]
    assert pid in edition.members(day["id"])
    edition.mark(day["id"], {pid: True})
    [first] = edition.post("/certificates", headers=edition.operator,
                           json={"session_id": day["id"]}).json["issued"]
    assert len(first["sessions"]) == 1 and first["replaces"] is None

    edition.mark(webinar["id"], {pid: True})
    issued = edition.post("/certificates", headers=edition.operator, json={}).json
    [second] = [c for c in issued["issued"] if c["participant_id"] == pid]
    assert second["replaces"] == first["id"] and second["code"] != first["code"]
    assert len(second["sessions"]) == 2 and second["hours"] > first["hours"]
    [event] = [e for e in outbox(edition.runtime, "roster.certificate.issued")
               if e["data"]["certificate_id"] == second["id"]]
    assert event["data"]["replaces"] == first["id"] and problems(event) == []

    old = edition.get(f"/certificates/verify/{first['code']}").json
    assert old["valid"] is False and old["superseded"] is True
    assert edition.get(f"/certificates/verify/{second['code']}").json["valid"] is True
    page = edition.client.get(f"/verifica/{first['code']}").get_data(as_text=True)
    assert "Attestato sostituito" in page and second["code"] not in page
    listed = edition.get(f"/certificates?participant_id={pid}", headers=edition.operator).json
    assert {c["id"]: c["superseded_by"] for c in listed["items"]} == {
        first["id"]: second["id"], second["id"]: None}

    again = edition.post("/certificates", headers=edition.operator, json={}).json
    assert [c for c in again["issued"] if c["participant_id"] == pid] == []


def test_a_presence_corrected_to_an_absence_revokes_the_certificate_that_lists_it(edition):
    [day] = edition.of_kind("in_person")
    webinar = next(w for w in edition.of_kind("webinar") if edition.members(w["id"]))
    both = edition.members(webinar["id"])[0]
    only_day = next(pid for pid in edition.members(day["id"]) if pid != both)
    edition.mark(day["id"], {both: True, only_day: True})
    edition.mark(webinar["id"], {both: True})
    issued = {c["participant_id"]: c for c in edition.post(
        "/certificates", headers=edition.operator, json={}).json["issued"]}

    edition.mark(day["id"], {both: False, only_day: False})
    revoked = outbox(edition.runtime, "roster.certificate.revoked")
    assert sorted(e["data"]["certificate_id"] for e in revoked) == sorted(
        issued[pid]["id"] for pid in (both, only_day))
    assert all(problems(e) == [] for e in revoked)
    event = next(e for e in revoked if e["data"]["participant_id"] == both)
    assert event["subject"] == issued[both]["adhesion_id"]
    assert (event["data"]["session_id"], event["data"]["reason"]) == (day["id"],
                                                                      "attendance-corrected")
    for pid in (both, only_day):
        code = issued[pid]["code"]
        checked = edition.get(f"/certificates/verify/{code}").json
        assert (checked["valid"], checked["revoked"], checked["superseded"]) == (False, True, False)
        page = edition.client.get(f"/verifica/{code}").get_data(as_text=True)
        assert "Attestato revocato" in page and "Attestato valido" not in page
    listed = edition.get(f"/certificates?participant_id={both}", headers=edition.operator).json
    assert [c["revoked_at"] is not None for c in listed["items"]] == [True]

    again = {c["participant_id"]: c for c in edition.post(
        "/certificates", headers=edition.operator, json={}).json["issued"]}
    assert set(again) == {both}, "only_day attended nothing any more"
    assert [s["session_id"] for s in again[both]["sessions"]] == [webinar["id"]]
    assert again[both]["replaces"] is None
    assert edition.get(f"/certificates/verify/{again[both]['code']}").json["valid"] is True

    edition.mark(day["id"], {both: False})  # absent again: the new one does not list the day
    assert len(outbox(edition.runtime, "roster.certificate.revoked")) == 2
