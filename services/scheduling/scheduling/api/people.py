"""What scheduling holds about one person, for the GDPR export
(/api/scheduling/v1/people/{id}, operator)."""
from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy.orm import Session

from coalizione_common.auth import require_role
from coalizione_common.clock import format_instant

from .. import certificates as issuing
from ..handlers import NotFound
from ..rosters import find_person

people = Blueprint("scheduling_people", __name__, url_prefix="/api/scheduling/v1")


@people.get("/people/<person_id>")
@require_role("operator")
def get_person(person_id):
    with Session(current_app.extensions["runtime"].engine) as db:
        found = find_person(db, person_id)
    if found is None:
        raise NotFound("Person", person_id)
    person, adhesion = found["person"], found["adhesion"]
    sessions, marks = found["sessions"], found["attendance"]
    assigned = {a["session_id"]: a for a in found["assignments"]}
    rows = []
    for session_id in sorted(sessions, key=lambda s: (sessions[s]["starts_at"], s)):
        s, a, mark = sessions[session_id], assigned.get(session_id), marks.get(session_id)
        rows.append({"session_id": session_id, "kind": s["kind"], "title": s["title"],
                     "status": s["status"], "starts_at": format_instant(s["starts_at"]),
                     "ends_at": format_instant(s["ends_at"]),
                     "assignment_status": a["status"] if a else None,
                     "present": mark.present if mark else None,
                     "marked_at": format_instant(mark.marked_at) if mark else None})
    return {"person_id": person_id, "name": person["name"], "role": person["role"],
            "office": person["office"], "erased": person["erased"],
            "adhesion": {"adhesion_id": person["adhesion_id"],
                         "entity_code": person["entity_code"],
                         "entity_name": person["entity_name"],
                         "status": adhesion["status"] if adhesion else None},
            "sessions": rows,
            "certificates": [issuing.view(c) for c in found["certificates"]]}
