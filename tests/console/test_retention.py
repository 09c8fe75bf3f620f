"""GDPR on the whole platform: when the edition's retention period is over,
the retention job erases the participants' personal data in enrolment, and
scheduling and notify erase their copies; the funder's indicators and the
adhesion figures stay exactly as they were."""
from __future__ import annotations

import json
import subprocess
import sys

from .platform import wait_until

AFTER_RETENTION = "2021-01-01T09:00:00+01:00"


def _without_time(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k not in ("generated_at", "as_of")}


def test_the_retention_job_removes_personal_data_and_keeps_the_indicators(planned):
    platform, body, session_id = planned
    ids = platform.participant_ids(session_id)
    status, _ = platform.api("PUT", f"/api/scheduling/v1/sessions/{session_id}/attendance",
                             {"records": [{"participant_id": p, "present": True} for p in ids]})
    assert status == 200
    status, issued = platform.api("POST", "/api/scheduling/v1/certificates", {})
    assert status == 200 and len(issued["issued"]) == 2, issued
    code = issued["issued"][0]["code"]
    for person in body.participants:
        assert wait_until(lambda: platform.mails_to(person["email"]), 30)

    for pid in ids:
        status, held = platform.api("GET", f"/api/scheduling/v1/people/{pid}")
        assert status == 200 and "Persona " in json.dumps(held), held
        status, held = platform.api("GET", f"/api/notify/v1/people/{pid}")
        assert status == 200 and "unione.example.it" in json.dumps(held), held

    status, indicators_before = platform.api("GET", "/api/scheduling/v1/indicators")
    assert status == 200 and indicators_before["totals"]["people_trained"] == 2, indicators_before
    status, stats_before = platform.api("GET", "/api/enrolment/v1/stats")
    assert status == 200

    # the job, as the worker runs it, once the period is over (its CLI form)
    job = subprocess.run([sys.executable, "-m", "enrolment", "erase-expired"],
                         env=platform.environ | {"COALIZIONE_NOW": AFTER_RETENTION},
                         capture_output=True, text=True, timeout=120)
    assert job.returncode == 0, job.stderr
    counts = json.loads(job.stdout.strip().splitlines()[-1])
    assert counts["adhesions"] == 1, counts

    # enrolment: names, e-mails, phones and offices are gone; roles and counts stay
    status, adhesion = platform.api("GET", f"/api/enrolment/v1/adhesions/{body.adhesion_id}")
    assert status == 200, adhesion
    people = [adhesion["contact"], *adhesion["participants"]]
    assert all(not p.get("name") and not p.get("email") for p in people), people
    assert sorted(p["role"] for p in adhesion["participants"]) == ["dirigente", "funzionario"]
    for person in body.participants:
        assert platform.api("GET", f"/api/enrolment/v1/people?email={person['email']}")[0] == 404

    # scheduling and notify follow roster.erased
    def erased_everywhere():
        for pid in ids:
            status, held = platform.api("GET", f"/api/scheduling/v1/people/{pid}")
            if status == 200 and json.dumps(held).find("Persona ") >= 0:
                return False
            status, held = platform.api("GET", f"/api/notify/v1/people/{pid}")
            if status == 200 and "unione.example.it" in json.dumps(held):
                return False
        return True
    assert wait_until(erased_everywhere, 30), "a service kept personal data"
    page = platform.client.get(f"/verifica/{code}").get_data(as_text=True)
    assert "Attestato valido" in page and "Persona " not in page

    # the figures are unchanged
    status, indicators_after = platform.api("GET", "/api/scheduling/v1/indicators")
    assert _without_time(indicators_after) == _without_time(indicators_before)
    status, stats_after = platform.api("GET", "/api/enrolment/v1/stats")
    assert _without_time(stats_after) == _without_time(stats_before)

    # the adhesion lives on without the data: a withdrawal still announces a
    # roster (ids and roles, names and e-mails null) that matches the contract
    status, withdrawn = platform.api("POST",
                                     f"/api/enrolment/v1/adhesions/{body.adhesion_id}/withdraw")
    assert status == 200 and withdrawn["status"] == "withdrawn", withdrawn

    # and running the job again changes nothing
    again = subprocess.run([sys.executable, "-m", "enrolment", "erase-expired"],
                           env=platform.environ | {"COALIZIONE_NOW": AFTER_RETENTION},
                           capture_output=True, text=True, timeout=120)
    assert json.loads(again.stdout.strip().splitlines()[-1])["adhesions"] == 0
