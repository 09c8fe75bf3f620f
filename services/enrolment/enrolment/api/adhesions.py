"""The public adhesion API: topics, entity lookup, submit, read, change,
withdraw, confirm."""
from __future__ import annotations

from flask import Blueprint, request, url_for

from coalizione_common.http import Problem

from .. import handlers
from ..adapters import repository as repo
from ..domain.errors import InvalidAdhesion
from ..domain.validation import check_changes, check_submission
from ..edition import CURRENT
from ..events import instant
from .common import PREFIX, access, json_body, represent, runtime

bp = Blueprint("enrolment_adhesions", __name__, url_prefix=PREFIX)


def edition_document() -> dict:
    return {"id": CURRENT.id, "name": CURRENT.name, "deadline": instant(CURRENT.deadline),
            "open": CURRENT.is_open(runtime().clock.now()),
            "activities_until": instant(CURRENT.activities_until),
            "retention_days": CURRENT.retention_days,
            "personal_data_expire_at": instant(CURRENT.personal_data_expire_at),
            "roles": [{"id": k, "title": v} for k, v in CURRENT.roles.items()],
            "max_participants": CURRENT.max_participants}


@bp.get("/topics")
def topics():
    return {"edition": edition_document(),
            "items": [{"id": t.id, "title": t.title} for t in CURRENT.topics]}


@bp.get("/edition")
def edition():
    return edition_document()


@bp.get("/entities")
def entities():
    """Search the local replica (the form's fallback when the registry is
    not reachable); public data only."""
    try:
        limit = max(1, min(int(request.args.get("limit", 10)), 50))
    except ValueError:
        raise Problem(422, "validation", "Dati non validi", "limit deve essere un numero intero.",
                      errors=[{"field": "limit", "message": "Deve essere un numero intero."}])
    with runtime().engine.connect() as conn:
        rows = repo.search_entities(conn, request.args.get("q", ""), limit)
    return {"items": [{"code": r.code, "name": r.name, "kind": r.kind, "province": r.province,
                       "region": r.region, "population": r.population, "eligible": r.eligible,
                       "eligibility_reason": r.eligibility_reason} for r in rows],
            "next": None}


@bp.post("/adhesions")
def submit():
    checked = check_submission(json_body(), CURRENT)
    if not checked.ok:
        raise InvalidAdhesion(checked.errors)
    submitted = handlers.submit_adhesion(runtime(), checked.values)
    body = represent(submitted.adhesion)
    body["token"] = submitted.manage_token
    location = url_for(".read", adhesion_id=submitted.adhesion["id"])
    return body, 201, {"Location": location}


@bp.get("/adhesions/<adhesion_id>")
def read(adhesion_id):
    adhesion = handlers.get_adhesion(runtime(), adhesion_id)
    access(adhesion)
    return represent(adhesion)


@bp.patch("/adhesions/<adhesion_id>")
def change(adhesion_id):
    access(handlers.get_adhesion(runtime(), adhesion_id), "change")
    checked = check_changes(json_body(), CURRENT)
    if not checked.ok:
        raise InvalidAdhesion(checked.errors)
    return represent(handlers.update_adhesion(runtime(), adhesion_id, checked.values))


@bp.post("/adhesions/<adhesion_id>/withdraw")
def withdraw(adhesion_id):
    access(handlers.get_adhesion(runtime(), adhesion_id), "change")
    return represent(handlers.withdraw_adhesion(runtime(), adhesion_id))


@bp.post("/adhesions/<adhesion_id>/confirm")
def confirm(adhesion_id):
    body = json_body()
    token = body.get("token") if isinstance(body, dict) else None
    return represent(handlers.confirm_adhesion(runtime(), adhesion_id,
                                               token if isinstance(token, str) else ""))


@bp.post("/adhesions/<adhesion_id>/confirmation")
def resend_confirmation(adhesion_id):
    """A new confirmation link by e-mail (the adhesion's token or operator)."""
    access(handlers.get_adhesion(runtime(), adhesion_id), "change")
    if not handlers.request_confirmation(runtime(), adhesion_id):
        raise Problem(409, "not-pending", "Adesione non in attesa di conferma",
                      "Solo un'adesione in attesa di conferma riceve un nuovo link.")
    return {"status": "accepted"}, 202


@bp.post("/confirmation-requests")
def confirmation_request():
    """Anyone may ask that the confirmation e-mail be sent again to the
    contact already on file; the answer is the same whether or not the body
    has a pending adhesion, so it reveals nothing."""
    body = json_body()
    code = body.get("entity_code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code.strip():
        raise InvalidAdhesion([{"field": "entity_code", "message": "Scegli l'ente."}])
    handlers.request_confirmation_for_entity(runtime(), code.strip())
    return {"status": "accepted",
            "detail": "Se l'ente ha un'adesione in attesa di conferma, il referente riceverà "
                      "un nuovo link."}, 202
