"""The embedded platform (all services and the console in one process, the
in-memory bus, e-mail as .eml files) with helpers that walk a body through
enrolment, confirmation and a published plan, as the office sees it."""
from __future__ import annotations

import email
import email.policy
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.test import Client

from coalizione_embedded.system import build_system
from tests.support.services import embedded_environ

TOKEN = "console-tests-operator-token"
PASSWORD = "password-di-prova-lunga"
NOW = "2017-06-20T09:00:00+02:00"


def wait_until(predicate, timeout: float = 30.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return predicate()


@dataclass
class Body:
    code: str
    name: str
    adhesion_id: str = ""
    contact: str = ""
    participants: list[dict] = field(default_factory=list)


class Platform:
    def __init__(self, folder: Path, **extra: str):
        self.folder = folder
        env = embedded_environ(folder, REGISTRY_SEED="0", COALIZIONE_NOW=NOW,
                               COALIZIONE_OPERATOR_TOKEN=TOKEN, SCHEDULING_TIME_LIMIT="5",
                               CONSOLE_ADMIN_USER="ufficio", CONSOLE_ADMIN_PASSWORD=PASSWORD,
                               **extra)
        self.environ = env
        self.system = build_system(env)
        self.system.start()
        self.client = Client(self.system.wsgi())
        self.server = None

    # HTTP ------------------------------------------------------------------
    def api(self, method: str, path: str, body=None, token: str | None = TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = self.client.open(path, method=method, json=body, headers=headers)
        return response.status_code, (response.json if response.is_json else
                                      response.get_data(as_text=True))

    def serve(self) -> str:
        """Serve the platform on a free loopback port (for the browser)."""
        self.server = make_server("127.0.0.1", 0, self.system.wsgi(), threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        if self.server is not None:
            self.server.shutdown()
        self.system.shutdown()

    # e-mail ------------------------------------------------------------------
    def mails_to(self, address: str) -> list:
        found = []
        for path in sorted((self.folder / "mail").glob("**/*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in (message.get("To") or ""):
                found.append(message)
        return found

    @staticmethod
    def text(message) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    # the journey ---------------------------------------------------------------
    def new_body(self, region: str = "Emilia-Romagna", province: str = "FC",
                 kind: str = "unione_di_comuni") -> Body:
        tag = uuid.uuid4().hex[:6]
        body = Body(f"IPA-c{tag}", f"Unione Valle Console {tag}")
        status, entity = self.api("PUT", f"/api/registry/v1/ops/entities/{body.code}", {
            "name": body.name, "kind": kind, "region": region, "province": province,
            "lat": 44.14, "lon": 12.24})
        assert status == 201, entity
        assert wait_until(lambda: any(
            i["code"] == body.code for i in self.api(
                "GET", f"/api/enrolment/v1/entities?q={body.code}")[1].get("items", []))), \
            "the enrolment replica never learnt the body"
        return body

    def enrol(self, body: Body, roles=("funzionario", "dirigente")) -> Body:
        tag = body.code[-6:]
        body.contact = f"referente.{tag}@unione.example.it"
        body.participants = [{"name": f"Persona {n} {tag}", "role": role,
                              "email": f"p{n}.{tag}@unione.example.it", "office": "Servizi sociali"}
                             for n, role in enumerate(roles)]
        status, adhesion = self.api("POST", "/api/enrolment/v1/adhesions", {
            "entity_code": body.code,
            "contact": {"name": f"Referente {tag}", "role": "dirigente", "email": body.contact,
                        "phone": "0547 356111"},
            "participants": body.participants, "webinar_topics": [],
            "privacy_notice_read": True}, token=None)
        assert status == 201, adhesion
        body.adhesion_id = adhesion["id"]
        return body

    def confirm(self, body: Body) -> None:
        mails = wait_until(lambda: self.mails_to(body.contact), 30)
        assert mails, "no confirmation e-mail"
        token = re.search(r"/conferma\?token=([^\s\"<>&]+)", self.text(mails[0])).group(1)
        status, answer = self.api("POST", f"/api/enrolment/v1/adhesions/{body.adhesion_id}/confirm",
                                  {"token": token}, token=None)
        assert status == 200, answer

    def publish_plan(self, body: Body) -> str:
        """Propose and publish; the id of the local day the body went to."""
        def placed():
            status, plan = self.api("POST", "/api/scheduling/v1/plans/propose", {})
            return status == 200 and any(a["adhesion_id"] == body.adhesion_id
                                         for a in plan.get("assignments", []))
        assert wait_until(placed, 60, 0.5), "scheduling never placed the body"
        status, plan = self.api("POST", "/api/scheduling/v1/plans/publish", {})
        assert status == 201, plan
        return next(a["session_id"] for a in plan["assignments"]
                    if a["adhesion_id"] == body.adhesion_id)

    def participant_ids(self, session_id: str) -> list[str]:
        status, found = self.api("GET", f"/api/scheduling/v1/sessions/{session_id}/participants")
        assert status == 200, found
        return [p["participant_id"] for p in found["items"]]
