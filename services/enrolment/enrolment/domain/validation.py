"""Checking what a contact sends, field by field, with Italian messages.

The JSON API and the form share these rules; every error names its field
with the path of the API (``participants[0].email``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..edition import Edition

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")
MAX_TEXT = 200
# Control characters (NUL above all, which PostgreSQL refuses in text)
# have no place in a name, an address or a code.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class Checked:
    """The cleaned values and the errors found, in field order."""

    values: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        self.errors.append({"field": path, "message": message})

    @property
    def ok(self) -> bool:
        return not self.errors


def _text(checked: Checked, source: dict, key: str, path: str, label: str,
          required: bool = True, limit: int = MAX_TEXT) -> str | None:
    raw = source.get(key)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            checked.error(path, f"Indica {label}.")
        return None
    if not isinstance(raw, str):
        checked.error(path, f"{label[0].upper()}{label[1:]}: deve essere un testo.")
        return None
    if CONTROL.search(raw):
        checked.error(path, "Contiene caratteri non ammessi: riscrivilo a mano, senza "
                      "incollarlo da altri programmi.")
        return None
    value = " ".join(raw.split())
    if len(value) > limit:
        checked.error(path, f"Al massimo {limit} caratteri.")
        return None
    return value


def _email(checked: Checked, source: dict, key: str, path: str) -> str | None:
    value = _text(checked, source, key, path, "l'indirizzo e-mail", limit=254)
    if value is not None and not EMAIL.match(value):
        checked.error(path, "Indirizzo e-mail non valido: usa la forma nome@dominio.it.")
        return None
    return value.lower() if value else value


def _role(checked: Checked, source: dict, path: str, edition: Edition) -> str | None:
    raw = source.get("role")
    if raw in (None, ""):
        checked.error(path, "Scegli il ruolo: " + ", ".join(edition.roles.values()).lower() + ".")
        return None
    if not isinstance(raw, str) or raw not in edition.roles:
        checked.error(path, "Ruolo non previsto: scegli tra "
                      + ", ".join(edition.roles.values()).lower() + ".")
        return None
    return raw


def check_contact(checked: Checked, contact, edition: Edition) -> dict | None:
    if not isinstance(contact, dict):
        checked.error("contact", "Indica il referente dell'adesione.")
        return None
    values = {
        "name": _text(checked, contact, "name", "contact.name", "nome e cognome del referente"),
        "role": _role(checked, contact, "contact.role", edition),
        "email": _email(checked, contact, "email", "contact.email"),
        "phone": _text(checked, contact, "phone", "contact.phone", "il telefono", limit=40),
    }
    if values["phone"] is not None and not PHONE.match(values["phone"]):
        checked.error("contact.phone", "Numero di telefono non valido: solo cifre, spazi e il "
                      "prefisso internazionale (es. +39 0543 712111).")
        values["phone"] = None
    return values


def check_participants(checked: Checked, participants, edition: Edition) -> list[dict] | None:
    if not isinstance(participants, list) or not participants:
        checked.error("participants", "Indica almeno un partecipante.")
        return None
    if len(participants) > edition.max_participants:
        checked.error("participants",
                      f"Al massimo {edition.max_participants} partecipanti per ente.")
        return None
    cleaned, seen, ids = [], {}, set()
    for i, person in enumerate(participants):
        path = f"participants[{i}]"
        if not isinstance(person, dict):
            checked.error(path, "Ogni partecipante deve avere nome, ruolo, e-mail e ufficio.")
            continue
        values = {
            "name": _text(checked, person, "name", f"{path}.name", "nome e cognome"),
            "role": _role(checked, person, f"{path}.role", edition),
            "email": _email(checked, person, "email", f"{path}.email"),
            "office": _text(checked, person, "office", f"{path}.office",
                            "l'ufficio o servizio"),
        }
        if isinstance(person.get("id"), str) and person["id"]:
            if person["id"] in ids:
                checked.error(f"{path}.id", "Lo stesso partecipante compare due volte.")
            ids.add(person["id"])
            values["id"] = person["id"]
        if values["email"]:
            if values["email"] in seen:
                checked.error(f"{path}.email", "Questo indirizzo è già indicato per il "
                              f"partecipante n. {seen[values['email']] + 1}.")
            seen.setdefault(values["email"], i)
        cleaned.append(values)
    return cleaned


def check_topics(checked: Checked, topics, edition: Edition) -> list[str] | None:
    if topics is None:
        return []
    if not isinstance(topics, list):
        checked.error("webinar_topics", "Indica i temi come elenco.")
        return None
    known, chosen = edition.topic_ids(), []
    for i, topic in enumerate(topics):
        if topic not in known:
            checked.error(f"webinar_topics[{i}]", "Tema non presente nel catalogo dell'edizione.")
        elif topic not in chosen:
            chosen.append(topic)
    return chosen


def check_submission(payload, edition: Edition) -> Checked:
    """A whole new adhesion (``POST /adhesions``)."""
    checked = Checked()
    if not isinstance(payload, dict):
        checked.error("", "Il corpo della richiesta deve essere un oggetto JSON.")
        return checked
    code = payload.get("entity_code")
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not code.strip():
        checked.error("entity_code", "Scegli l'ente che aderisce.")
    elif CONTROL.search(code) or len(code) > 64:
        checked.error("entity_code", "Codice dell'ente non valido: scegli l'ente dall'elenco.")
        code = None
    checked.values["entity_code"] = code.strip() if isinstance(code, str) else None
    checked.values["contact"] = check_contact(checked, payload.get("contact"), edition)
    checked.values["participants"] = check_participants(checked, payload.get("participants"),
                                                        edition)
    checked.values["webinar_topics"] = check_topics(checked, payload.get("webinar_topics"),
                                                    edition)
    if payload.get("privacy_notice_read") is not True:
        checked.error("privacy_notice_read",
                      "Dichiara di aver letto l'informativa sul trattamento dei dati personali.")
    return checked


def check_changes(payload, edition: Edition) -> Checked:
    """A change to an adhesion (``PATCH``): only the fields sent."""
    checked = Checked()
    if not isinstance(payload, dict) or not payload:
        checked.error("", "Indica almeno uno tra contact, participants e webinar_topics.")
        return checked
    for key in payload:
        if key not in ("contact", "participants", "webinar_topics"):
            checked.error(key, "Questo campo non si può modificare.")
    if "contact" in payload:
        checked.values["contact"] = check_contact(checked, payload["contact"], edition)
    if "participants" in payload:
        checked.values["participants"] = check_participants(checked, payload["participants"],
                                                            edition)
    if "webinar_topics" in payload:
        checked.values["webinar_topics"] = check_topics(checked, payload["webinar_topics"],
                                                        edition)
    return checked
