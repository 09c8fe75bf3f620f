"""A session's people under /api/scheduling/v1: the list the console marks
attendance on, and the printable attendance register (PDF)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app
from sqlalchemy.orm import Session

from coalizione_common.auth import require_role

from .. import handlers
from ..reports.register import register_pdf
from ..rosters import session_participants

registers = Blueprint("scheduling_registers", __name__, url_prefix="/api/scheduling/v1")


def _runtime():
    return current_app.extensions["runtime"]


def participant_view(person: dict) -> dict:
    return {"participant_id": person["participant_id"], "name": person["name"],
            "role": person["role"], "office": person["office"], "erased": person["erased"],
            "adhesion_id": person["adhesion_id"], "entity_code": person["entity_code"],
            "entity_name": person["entity_name"], "present": person["present"]}


@registers.get("/sessions/<session_id>/participants")
@require_role("viewer")
def list_participants(session_id):
    with Session(_runtime().engine) as db:
        handlers.get_session(db, session_id)
        people = session_participants(db, session_id)
    return {"session_id": session_id, "items": [participant_view(p) for p in people]}


@registers.get("/sessions/<session_id>/register.pdf")
@require_role("viewer")
def attendance_register(session_id):
    runtime = _runtime()
    with Session(runtime.engine) as db:
        row = handlers.get_session(db, session_id)
        people = session_participants(db, session_id)
    body = register_pdf(row, people, runtime.clock.now())
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="registro-presenze-{session_id}.pdf"'})
