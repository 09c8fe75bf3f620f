"""The form's fields, read back from a POST and mapped to the API's
shape; the API's error paths mapped back to the form's field ids."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..edition import Edition

PARTICIPANT_FIELDS = ("name", "role", "email", "office")
CONTACT_FIELDS = ("name", "role", "email", "phone")
_ROW = re.compile(r"^p-(\d+)-(name|role|email|office|id)$")


def empty_participant() -> dict:
    return {"id": "", "name": "", "role": "", "email": "", "office": ""}


@dataclass
class Draft:
    """Everything typed into the scheda, kept as typed."""

    ente: str = ""
    entity_code: str = ""
    contact: dict = field(default_factory=lambda: {k: "" for k in CONTACT_FIELDS})
    participants: list[dict] = field(default_factory=lambda: [empty_participant()])
    topics: list[str] = field(default_factory=list)
    privacy: bool = False

    @classmethod
    def from_form(cls, form, edition: Edition) -> "Draft":
        rows: dict[int, dict] = {}
        for key, value in form.items():
            match = _ROW.match(key)
            if match:
                rows.setdefault(int(match.group(1)), empty_participant())[match.group(2)] = value
        participants = [rows[i] for i in sorted(rows)][:edition.max_participants + 1]
        picked = form.get("entity_choice", "").strip()
        return cls(
            # a candidate picked from the list wins over the text typed
            ente="" if picked else form.get("ente", "").strip(),
            entity_code=picked or form.get("entity_code", "").strip(),
            contact={k: form.get(f"contact_{k}", "").strip() for k in CONTACT_FIELDS},
            participants=participants or [empty_participant()],
            topics=[t for t in form.getlist("topics") if t in edition.topic_ids()],
            privacy=form.get("privacy") == "1",
        )

    @classmethod
    def from_adhesion(cls, adhesion: dict) -> "Draft":
        return cls(
            ente=adhesion["entity_name"], entity_code=adhesion["entity_code"],
            contact={k: adhesion["contact"].get(k) or "" for k in CONTACT_FIELDS},
            participants=[{"id": p["id"], **{k: p[k] or "" for k in PARTICIPANT_FIELDS}}
                          for p in adhesion["participants"]] or [empty_participant()],
            topics=list(adhesion["webinar_topics"]), privacy=True)

    def payload(self) -> dict:
        """The body the API would receive."""
        return {
            "entity_code": self.entity_code,
            "contact": dict(self.contact),
            "participants": [{k: v for k, v in p.items() if k != "id" or v}
                             for p in self.participants],
            "webinar_topics": list(self.topics),
            "privacy_notice_read": self.privacy,
        }


def field_id(path: str) -> str:
    """``participants[1].email`` -> ``p-1-email``; ``contact.phone`` ->
    ``contact_phone``; the ids the form gives its inputs."""
    if path == "entity_code":
        return "ente"
    if path.startswith("contact."):
        return "contact_" + path.split(".", 1)[1]
    if path == "contact":
        return "contact_name"
    match = re.match(r"^participants\[(\d+)\](?:\.(\w+))?$", path)
    if match:
        return f"p-{match.group(1)}-{match.group(2) or 'name'}"
    if path == "participants":
        return "participants"
    if path.startswith("webinar_topics"):
        return "topics"
    if path == "privacy_notice_read":
        return "privacy"
    return "form"


FIELD_NAMES = {"name": "nome e cognome", "role": "ruolo", "email": "e-mail",
               "phone": "telefono", "office": "ufficio", "id": "identificativo"}


def whose(field: str) -> str:
    """Which person and field an error is about, for the error summary,
    where "Indica l'indirizzo e-mail." alone would not say whose:
    ``p-1-email`` -> ``Partecipante n. 2, e-mail: ``."""
    if field.startswith("contact_"):
        return f"Referente, {FIELD_NAMES.get(field[8:], field[8:])}: "
    match = re.match(r"^p-(\d+)-(\w+)$", field)
    if match:
        return (f"Partecipante n. {int(match.group(1)) + 1}, "
                f"{FIELD_NAMES.get(match.group(2), match.group(2))}: ")
    return ""


def form_errors(errors: list[dict]) -> dict[str, str]:
    """First message per form field, in the order the API gave them."""
    found: dict[str, str] = {}
    for error in errors:
        found.setdefault(field_id(error["field"]), error["message"])
    return found
