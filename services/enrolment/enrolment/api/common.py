"""What the API blueprints share: the runtime, problem mapping, access."""
from __future__ import annotations

from flask import current_app, request

from coalizione_common.auth import role_of
from coalizione_common.http import Problem

from .. import tokens
from ..domain.errors import EnrolmentError
from ..events import by_role, instant

PREFIX = "/api/enrolment/v1"


def runtime():
    return current_app.extensions["runtime"]


def problem(error: EnrolmentError) -> Problem:
    return Problem(error.status, error.kind, error.title, error.detail, **error.extra)


def json_body():
    if not request.is_json:
        raise Problem(415, "unsupported-media-type", "Formato non supportato",
                      "Invia il corpo come application/json.")
    body = request.get_json(silent=True)
    if body is None:
        raise Problem(400, "bad-request", "JSON non valido", "Il corpo non è JSON valido.")
    return body


def presented_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.args.get("token") or None


def access(adhesion: dict, needs: str = "read") -> str:
    """``owner`` (the adhesion's secret token), ``viewer`` or ``operator``;
    401 without a token, 403 when it does not grant ``needs``."""
    token = presented_token()
    if not token:
        raise Problem(401, "unauthorized", "Autenticazione richiesta",
                      "Usa il token dell'adesione o un token operativo.")
    if tokens.matches(token, adhesion["manage_token_hash"]):
        return "owner"
    role = role_of(runtime(), token)
    if role is None:
        raise Problem(401, "unauthorized", "Token non valido",
                      "Il token non è quello dell'adesione né un token operativo valido.")
    if needs == "change" and role != "operator":
        raise Problem(403, "forbidden", "Ruolo insufficiente",
                      "Per modificare un'adesione serve il ruolo operator.")
    return role


def represent(adhesion: dict) -> dict:
    """The adhesion as its contact and operations see it."""
    return {
        "id": adhesion["id"], "edition": adhesion["edition"], "status": adhesion["status"],
        "entity": {"code": adhesion["entity_code"], "name": adhesion["entity_name"],
                   "kind": adhesion["entity_kind"], "province": adhesion["province"],
                   "region": adhesion["region"], "population": adhesion["population"]},
        "contact": _person(adhesion["contact"]),
        "participants": [_person(p) for p in adhesion["participants"]],
        "participants_by_role": by_role(adhesion["participants"]),
        "webinar_topics": adhesion["webinar_topics"],
        "submitted_at": instant(adhesion["submitted_at"]),
        "updated_at": instant(adhesion["updated_at"]),
        "confirmed_at": instant(adhesion["confirmed_at"]),
        "withdrawn_at": instant(adhesion["withdrawn_at"]),
    }


def _person(person: dict | None) -> dict | None:
    """A contact or participant; ``erased_at`` set (and the personal data
    None) once erased."""
    if person is None:
        return None
    return dict(person, erased_at=instant(person.get("erased_at")))
