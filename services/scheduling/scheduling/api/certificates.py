"""Certificates of attendance under /api/scheduling/v1: issue (operator),
list (viewer), and the public check of a verification code."""
from __future__ import annotations

from flask import Blueprint, current_app, request
from sqlalchemy.orm import Session

from coalizione_common.auth import require_role
from coalizione_common.http import Problem

from .. import certificates as issuing
from ..domain.certificate_codes import normalise

certificates = Blueprint("scheduling_certificates", __name__, url_prefix="/api/scheduling/v1")


def _runtime():
    return current_app.extensions["runtime"]


def _scope() -> dict:
    doc = request.get_json(silent=True)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise Problem(400, "bad-request", "Invalid body", "The body must be a JSON object.")
    errors = [{"field": name, "message": "must be a non-empty string"}
              for name in ("session_id", "adhesion_id")
              if doc.get(name) is not None and (not isinstance(doc[name], str) or not doc[name])]
    if errors:
        raise Problem(422, "validation", "Invalid scope",
                      "session_id and adhesion_id, when given, are ids.", errors=errors)
    return {name: doc.get(name) for name in ("session_id", "adhesion_id")}


@certificates.post("/certificates")
@require_role("operator")
def issue_certificates():
    """Issue the certificates still due in the scope; issuing again issues nothing new."""
    scope = _scope()
    runtime = _runtime()
    with Session(runtime.engine) as db, db.begin():
        issued, already = issuing.issue(runtime, db, **scope)
        views = [issuing.view(row) for row in issued]
    return {"issued": views, "already_issued": already}


@certificates.get("/certificates")
@require_role("viewer")
def list_certificates():
    filters = {name: request.args.get(name) or None
               for name in ("adhesion_id", "session_id", "participant_id")}
    with Session(_runtime().engine) as db:
        return {"items": [issuing.view(row) for row in issuing.listed(db, **filters)]}


@certificates.get("/certificates/verify/<code>")
def verify_certificate(code):
    """Public: anyone holding a code may check it."""
    normal = normalise(code)
    row = None
    if normal:
        with Session(_runtime().engine) as db:
            row = issuing.by_code(db, normal)
    if row is None:
        raise Problem(404, "not-found", "Certificate not found",
                      "No certificate has this verification code.")
    return issuing.verification(row)
