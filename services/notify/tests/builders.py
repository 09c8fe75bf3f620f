"""Payloads of the events notify consumes, shaped as docs/events.md says."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from coalizione_common.envelope import Envelope

NOW = "2017-06-20T08:00:00Z"


def iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def envelope(type: str, data: dict, subject: str | None = None, source: str = "enrolment",
             time: str = NOW) -> Envelope:
    return Envelope(type=type, source=f"/coalizione/{source}", data=data,
                    subject=subject or data.get("adhesion_id") or data.get("session_id"),
                    time=time)


class Body:
    """One adhesion with its contact and participants, and the events its
    producers would publish about it."""

    def __init__(self, entity_code: str = "040012", name: str = "Forlì", participants: int = 2):
        self.adhesion_id = str(uuid.uuid4())
        self.entity = {"code": entity_code, "name": name, "kind": "comune", "province": "FC",
                       "region": "Emilia-Romagna"}
        tag = uuid.uuid4().hex[:6]
        self.contact = {"id": str(uuid.uuid4()), "name": "Maria Rossi", "role": "dirigente",
                        "email": f"maria.rossi.{tag}@comune.example.it", "phone": "0543 712111"}
        roles = ("funzionario", "amministratore", "dirigente")
        self.participants = [
            {"id": str(uuid.uuid4()), "name": f"Partecipante {i + 1} Bianchi",
             "role": roles[i % 3], "email": f"p{i + 1}.{tag}@comune.example.it",
             "office": "Servizi sociali"} for i in range(participants)]
        self.confirm_url = f"http://127.0.0.1:8000/conferma/{uuid.uuid4().hex}"
        self.manage_url = f"http://127.0.0.1:8000/adesione/{uuid.uuid4().hex}"
        self.changed = datetime(2017, 6, 20, 8, 0, tzinfo=timezone.utc)

    def roster(self, reason: str, status: str | None = None, **extra) -> Envelope:
        status = status or {"submitted": "pending_confirmation",
                            "confirmation_requested": "pending_confirmation",
                            "confirmed": "confirmed", "updated": "confirmed",
                            "withdrawn": "withdrawn"}[reason]
        self.changed += timedelta(minutes=1)
        links = {"manage": self.manage_url}
        data = {"adhesion_id": self.adhesion_id, "edition": "2017", "reason": reason,
                "status": status, "entity": self.entity, "contact": self.contact,
                "participants": self.participants,
                "webinar_topics": ["reti_coalizioni_locali", "accoglienza_integrata"],
                "links": links, "changed_at": iso(self.changed)}
        if reason in ("submitted", "confirmation_requested"):
            links["confirm"] = self.confirm_url
            data["confirm_expires_at"] = iso(self.changed + timedelta(days=7))
        data.update(extra)
        return envelope("roster.updated", data)

    def adhesion(self, kind: str) -> Envelope:
        self.changed += timedelta(minutes=1)
        data = {"adhesion_id": self.adhesion_id, "entity_code": self.entity["code"],
                f"{kind}_at": iso(self.changed)}
        return envelope(f"adhesion.{kind}", data)

    def assignment(self, session: "Training", participants=None, kind: str = "created",
                   assignment_id: str | None = None) -> Envelope:
        ids = [p["id"] for p in (self.participants if participants is None else participants)]
        return envelope(f"assignment.{kind}", {
            "assignment_id": assignment_id or str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                              f"{session.id}/{self.adhesion_id}")),
            "session_id": session.id, "adhesion_id": self.adhesion_id,
            "entity_code": self.entity["code"], "participant_ids": ids}, source="scheduling")


class Training:
    """A session as scheduling announces it."""

    def __init__(self, kind: str = "in_person", starts_at: datetime | None = None):
        self.id = str(uuid.uuid4())
        self.kind = kind
        self.starts_at = starts_at or datetime(2017, 7, 10, 7, 0, tzinfo=timezone.utc)
        hours = 8 if kind == "in_person" else 1.5
        self.ends_at = self.starts_at + timedelta(hours=hours)

    def data(self) -> dict:
        data = {"session_id": self.id, "kind": self.kind, "capacity": 60,
                "starts_at": iso(self.starts_at), "ends_at": iso(self.ends_at)}
        if self.kind == "in_person":
            data.update(topic=None, title="Giornata formativa di Forlì",
                        venue={"name": "Sala del Consiglio", "entity_code": "040012",
                               "address": "Piazza Saffi 8, Forlì"})
        else:
            data.update(topic="accoglienza_integrata",
                        title="Accoglienza integrata e ruolo del Comune",
                        join_url="https://webinar.example.it/j/12345")
        return data

    def scheduled(self) -> Envelope:
        return envelope("session.scheduled", self.data(), source="scheduling")

    def rescheduled(self, starts_at: datetime) -> Envelope:
        previous = {"starts_at": iso(self.starts_at), "ends_at": iso(self.ends_at)}
        if self.kind == "in_person":
            previous["venue"] = self.data()["venue"]
        else:
            previous["join_url"] = self.data()["join_url"]
        self.ends_at = starts_at + (self.ends_at - self.starts_at)
        self.starts_at = starts_at
        return envelope("session.rescheduled", dict(self.data(), previous=previous),
                        source="scheduling")

    def cancelled(self, reason: str = "Indisponibilità della sala") -> Envelope:
        return envelope("session.cancelled", dict(self.data(), reason=reason),
                        source="scheduling")
