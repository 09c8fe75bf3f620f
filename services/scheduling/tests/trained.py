"""A small edition that has taken place: a few bodies of Molise planned
(local day and webinars), people marked present or absent. Shared by the
tests of registers, certificates, indicators and erasure."""
from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field

from coalizione_common.auth import create_token
from scheduling.app import create_app
from tests.support.services import build_service

from .builders import confirmed, deliver, entity_upserted, roster
from .conftest import load_comuni

TOPICS = ("reti-coalizioni-locali",)


@dataclass
class Edition:
    client: object
    runtime: object
    adhesions: dict  # adhesion id -> comuni.csv row
    people: dict = field(default_factory=dict)  # participant id -> roster entry
    sessions: dict = field(default_factory=dict)  # session id -> session view

    @property
    def viewer(self):
        return self.client.viewer

    @property
    def operator(self):
        return self.client.operator

    def get(self, path, **kwargs):
        return self.client.get(f"/api/scheduling/v1{path}", **kwargs)

    def post(self, path, **kwargs):
        return self.client.post(f"/api/scheduling/v1{path}", **kwargs)

    def put(self, path, **kwargs):
        return self.client.put(f"/api/scheduling/v1{path}", **kwargs)

    def of_kind(self, kind):
        return sorted((s for s in self.sessions.values() if s["kind"] == kind),
                      key=lambda s: s["starts_at"])

    def mark(self, session_id, present: dict[str, bool]):
        response = self.put(f"/sessions/{session_id}/attendance", headers=self.operator,
                            json={"records": [{"participant_id": pid, "present": value}
                                              for pid, value in present.items()]})
        assert response.status_code == 200, response.json
        return response

    def members(self, session_id) -> list[str]:
        return [pid for a in self.get(f"/sessions/{session_id}", headers=self.viewer)
                .json["assignments"] for pid in a["participant_ids"]]


def open_edition(tmp_path, bodies=4, people=3) -> Edition:
    rows = [r for r in load_comuni() if r["regione"] == "Molise"
            and r["popolazione_censimento_2011"]
            and 5000 <= int(r["popolazione_censimento_2011"]) <= 150000][:bodies]
    runtime = build_service("scheduling", tmp_path, now="2017-06-20T08:00:00Z")
    runtime.planning = dataclasses.replace(runtime.planning, time_limit=5, webinar_min_bodies=2,
                                           days_target=1, solver_workers=1)
    runtime.settings = dataclasses.replace(runtime.settings, operator_token="op-token")
    deliver(runtime, *(entity_upserted(r) for r in rows))
    client = create_app(runtime).test_client()
    client.viewer = {"Authorization": f"Bearer {create_token(runtime, 'viewer')}"}
    client.operator = {"Authorization": "Bearer op-token"}
    edition = Edition(client, runtime, {})
    for row in rows:
        adhesion_id = str(uuid.uuid4())
        event = roster(adhesion_id, row, people, TOPICS, status="pending_confirmation")
        for person in event[1]["participants"]:
            person["name"] = f"{person['name']} {row['denominazione']}"
            edition.people[person["id"]] = person | {"adhesion_id": adhesion_id,
                                                     "entity_name": row["denominazione"]}
        deliver(runtime, event, confirmed(adhesion_id, row["codice_istat"]))
        edition.adhesions[adhesion_id] = row
    published = edition.post("/plans/publish", headers=edition.operator, json={})
    assert published.status_code == 201, published.json
    edition.sessions = {s["id"]: s for s in edition.get("/sessions", headers=edition.viewer)
                        .json["items"]}
    return edition
