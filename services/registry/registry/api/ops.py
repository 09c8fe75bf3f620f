"""Operations API: add or change supra-municipal bodies, one by one or
from a CSV file in the bodies format (see the service README)."""
from __future__ import annotations

from flask import Blueprint, current_app, request
from sqlalchemy.orm import Session

from coalizione_common.auth import require_role
from coalizione_common.http import Problem

from ..adapters.sources import ImportRejected, LineError, body_record, parse_text
from ..handlers import get_entity, import_records

bp = Blueprint("registry_ops", __name__, url_prefix="/api/registry/v1/ops")

MAX_UPLOAD = 5 * 1024 * 1024


def _runtime():
    return current_app.extensions["runtime"]


def _import(records):
    runtime = _runtime()
    with Session(runtime.engine) as session, session.begin():
        result = import_records(runtime, session, records)
    runtime.search.invalidate()
    return result


def _rejected(exc: ImportRejected) -> Problem:
    return Problem(422, "validation", "Invalid bodies", str(exc),
                   errors=[e.as_dict() for e in exc.errors], lines=exc.lines)


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value).strip()


@bp.put("/entities/<code>")
@require_role("operator")
def put_body(code: str):
    """Create or replace a supra-municipal body; 201 when new."""
    doc = request.get_json(silent=True)
    if not isinstance(doc, dict):
        raise Problem(400, "bad-request", "JSON object expected",
                      "Send the body as application/json.")
    errors: list[LineError] = []
    allowed = {"name", "kind", "region", "province", "population", "population_date", "lat",
               "lon", "members", "seat", "code"}
    for key, value in doc.items():
        if key not in allowed:
            errors.append(LineError(None, key, "unknown field"))
        elif isinstance(value, (dict, bool)) or (isinstance(value, list) and key != "members"):
            errors.append(LineError(None, key, "wrong type"))
    if "code" in doc and doc["code"] != code:
        errors.append(LineError(None, "code", "differs from the code in the URL"))
    row = {k: _as_text(v) for k, v in doc.items() if k in allowed}
    row["code"] = code
    record = body_record(row, None, errors)
    if errors:
        raise _rejected(ImportRejected(errors, "request"))
    existed = get_entity(_runtime(), code) is not None
    _import([record])
    return get_entity(_runtime(), code), 200 if existed else 201


@bp.post("/imports")
@require_role("operator")
def import_bodies():
    """Import a CSV of bodies (text/csv, or multipart field ``file``):
    all rows or none."""
    if request.content_length and request.content_length > MAX_UPLOAD:
        raise Problem(413, "payload-too-large", "File too large",
                      f"At most {MAX_UPLOAD // (1024 * 1024)} MB.")
    upload = request.files.get("file")
    raw = upload.read() if upload else request.get_data()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(422, "validation", "Invalid bodies", "The file is not UTF-8 text.",
                      errors=[{"field": "file", "message": "not UTF-8 text"}])
    try:
        fmt, records = parse_text(text, "upload")
    except ImportRejected as exc:
        raise _rejected(exc) from None
    if fmt != "bodies":
        raise Problem(422, "validation", "Invalid bodies",
                      "This endpoint takes the bodies format; ISTAT files are imported with "
                      "'python -m registry import'.",
                      errors=[{"field": "header", "line": 1, "message": f"{fmt} is not accepted here"}])
    return {"format": fmt, **_import(records).as_dict()}
