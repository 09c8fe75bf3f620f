"""The OpenAPI 3.1 description of the scheduling API, served at
/api/scheduling/v1/openapi.json."""
from __future__ import annotations

from coalizione_common.deadletters_http import dead_letter_openapi

_PROBLEM = {"description": "problem+json (RFC 9457)",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_AUTH = {"401": _PROBLEM, "403": _PROBLEM}


def _op(summary: str, role: str | None, ok: str = "200", body: dict | None = None,
        params: list | None = None, errors: tuple[str, ...] = (), content="application/json",
        schema: str | None = None, body_required: bool = True) -> dict:
    kinds = (content,) if isinstance(content, str) else content
    op = {"summary": summary, "responses": {ok: {"description": "OK", "content": {
        kind: {"schema": {"$ref": f"#/components/schemas/{schema}"} if schema else {}}
        for kind in kinds}}}}
    if role:
        op["security"] = [{"bearer": []}]
        op["description"] = f"Needs a bearer token with the {role} role."
        op["responses"].update(_AUTH)
    for code in errors:
        op["responses"][code] = _PROBLEM
    if body:
        op["responses"]["400"] = _PROBLEM  # the body is not a JSON object
        op["requestBody"] = {"required": body_required,
                             "content": {"application/json": {"schema": body}}}
    if params:
        op["parameters"] = params
    return op


def _path(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _query(*names: str) -> list[dict]:
    return [{"name": n, "in": "query", "required": False, "schema": {"type": "string"}} for n in names]


def _html(summary: str, params: list | None = None) -> dict:
    """A public Italian page: 200, or 404 (still a page) when the code is unknown."""
    page = {"text/html": {"schema": {"type": "string"}}}
    op = {"summary": summary, "responses": {
        "200": {"description": "OK", "content": page},
        "404": {"description": "Codice non trovato (the page, with the form)", "content": page}}}
    if params:
        op["parameters"] = params
    return op


_NULLABLE_TEXT = {"type": ["string", "null"]}
_SESSION_ATTENDED = {"type": "object", "properties": {
    "session_id": {"type": "string"}, "kind": {"enum": ["in_person", "webinar"]},
    "title": {"type": "string"}, "starts_at": {"type": "string", "format": "date-time"},
    "ends_at": {"type": "string", "format": "date-time"}}}
_BREAKDOWN = {"type": "array", "items": {"type": "object", "properties": {
    "bodies_trained": {"type": "integer"}, "people_trained": {"type": "integer"}}}}
_BY_KIND = {"type": "object", "properties": {"in_person": {"type": "number"},
                                             "webinar": {"type": "number"},
                                             "total": {"type": "number"}}}
_FILES = ("application/json", "text/csv",
          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf")

_VENUE = {"type": "object", "properties": {"name": {"type": "string"},
                                           "entity_code": {"type": "string"},
                                           "address": {"type": "string"}}}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "coalizione scheduling", "version": "1.0.0",
             "description": "Local days placed by an optimiser, webinar series, assignments, "
                            "attendance, registers, certificates of attendance, the funder's "
                            "indicators and calendars. Changes are announced as session.*, "
                            "assignment.* and roster.certificate.issued events "
                            "(docs/events.md)."},
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"},
                "status": {"type": "integer"}, "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object", "properties": {
                    "field": {"type": "string"}, "message": {"type": "string"}}}}}},
            "Session": {"type": "object", "properties": {
                "id": {"type": "string", "format": "uuid"},
                "kind": {"enum": ["in_person", "webinar"]},
                "status": {"enum": ["scheduled", "cancelled"]},
                "topic": {"type": ["string", "null"]}, "title": {"type": "string"},
                "region": {"type": ["string", "null"]},
                "starts_at": {"type": "string", "format": "date-time"},
                "ends_at": {"type": "string", "format": "date-time"},
                "capacity": {"type": "integer"}, "sequence": {"type": "integer"},
                "participants": {"type": "integer"}, "venue": _VENUE,
                "join_url": {"type": "string", "format": "uri"}}},
            "Assignment": {"type": "object", "properties": {
                "id": {"type": "string"}, "session_id": {"type": "string"},
                "adhesion_id": {"type": "string"}, "entity_code": {"type": "string"},
                "participant_ids": {"type": "array", "items": {"type": "string"}},
                "status": {"enum": ["active", "cancelled"]}, "pinned": {"type": "boolean"}}},
            "Participant": {"type": "object", "properties": {
                "participant_id": {"type": "string"}, "name": _NULLABLE_TEXT,
                "role": _NULLABLE_TEXT, "office": _NULLABLE_TEXT, "erased": {"type": "boolean"},
                "adhesion_id": {"type": "string"}, "entity_code": {"type": "string"},
                "entity_name": _NULLABLE_TEXT, "present": {"type": ["boolean", "null"]}}},
            "Participants": {"type": "object", "properties": {
                "session_id": {"type": "string"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Participant"}}}},
            "Certificate": {"type": "object", "properties": {
                "id": {"type": "string"}, "code": {"type": "string"},
                "participant_id": {"type": "string"}, "holder_name": _NULLABLE_TEXT,
                "erased": {"type": "boolean"}, "role": {"type": "string"},
                "adhesion_id": {"type": "string"}, "entity_code": {"type": "string"},
                "entity_name": _NULLABLE_TEXT, "hours": {"type": "number"},
                "sessions": {"type": "array", "items": _SESSION_ATTENDED},
                "issued_at": {"type": "string", "format": "date-time"},
                "verify_path": {"type": "string"},
                "superseded_by": {"type": ["string", "null"],
                                  "description": "the newer certificate of the same person"},
                "replaces": {"type": ["string", "null"],
                             "description": "the certificate this one superseded (on issuing)"},
                "revoked_at": {"type": ["string", "null"], "format": "date-time",
                               "description": "when a presence it lists was corrected to an "
                                              "absence"}}},
            "Certificates": {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Certificate"}}}},
            "Issued": {"type": "object", "required": ["issued", "already_issued"], "properties": {
                "issued": {"type": "array", "items": {"$ref": "#/components/schemas/Certificate"}},
                "already_issued": {"type": "integer"}}},
            "Verification": {"type": "object", "properties": {
                "valid": {"type": "boolean",
                          "description": "false when a newer certificate superseded this one "
                                         "or it was revoked"},
                "superseded": {"type": "boolean"}, "revoked": {"type": "boolean"},
                "code": {"type": "string"},
                "holder_name": _NULLABLE_TEXT, "erased": {"type": "boolean"},
                "entity_name": _NULLABLE_TEXT, "role": {"type": "string"},
                "hours": {"type": "number"},
                "sessions": {"type": "array", "items": _SESSION_ATTENDED},
                "issued_at": {"type": "string", "format": "date-time"}}},
            "Indicators": {"type": "object", "properties": {
                "generated_at": {"type": "string", "format": "date-time"},
                "totals": {"type": "object", "properties": {
                    "bodies_trained": {"type": "integer"}, "people_trained": {"type": "integer"},
                    "sessions_held": {"type": "integer"}, "hours_delivered": {"type": "number"},
                    "participant_hours": {"type": "number"}}},
                "by_region": _BREAKDOWN, "by_province": _BREAKDOWN, "by_kind": _BREAKDOWN,
                "by_role": _BREAKDOWN, "sessions_held": _BY_KIND, "hours_delivered": _BY_KIND,
                "participant_hours": _BY_KIND}},
            "Person": {"type": "object", "properties": {
                "person_id": {"type": "string"}, "name": _NULLABLE_TEXT, "role": _NULLABLE_TEXT,
                "office": _NULLABLE_TEXT, "erased": {"type": "boolean"},
                "adhesion": {"type": "object"},
                "sessions": {"type": "array", "items": {"type": "object"}},
                "certificates": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/Certificate"}}}},
            "Plan": {"type": "object", "properties": {
                "mode": {"enum": ["full", "incremental"]}, "published": {"type": "boolean"},
                "metrics": {"type": "object", "description":
                            "days, bodies, participants, waiting, total_km (participant-km), "
                            "max_km (longest trip), gap (relative optimality gap), "
                            "lower_bound_km, solver_status per region, webinars"},
                "sessions": {"type": "array", "items": {"type": "object"}},
                "assignments": {"type": "array", "items": {"type": "object"}},
                "waiting_list": {"type": "array", "items": {"type": "string"}},
                "unplaceable": {"type": "array", "items": {"type": "object"}}}},
        },
    },
    "paths": {
        "/api/scheduling/v1/plans/propose": {"post": _op(
            "Dry run: the plan publishing now would write, with its metrics", "viewer",
            body={"type": "object", "properties": {"open_days": {"type": "boolean"},
                                                   "move_told": {"type": "boolean"}}},
            schema="Plan")},
        "/api/scheduling/v1/plans/publish": {"post": _op(
            "Publish the plan: session.scheduled and assignment.created through the outbox. "
            "The first publish plans in full; later ones only place bodies not yet told "
            "(late adhesions, bodies freed by cancellations), into days with free seats of "
            "their region, else the waiting list; open_days=true opens new days for them. "
            "move_told=true re-plans the local days from scratch, moving every body but the "
            "pinned ones (assignment.cancelled then assignment.created for those that move; "
            "days no longer needed get session.cancelled).",
            "operator", ok="201", body={"type": "object", "properties": {
                "open_days": {"type": "boolean"}, "move_told": {"type": "boolean"}}},
            schema="Plan")},
        "/api/scheduling/v1/sessions": {"get": _op(
            "Sessions", "viewer", params=_query("kind", "region", "status", "topic"))},
        "/api/scheduling/v1/sessions/{session_id}": {"get": _op(
            "A session with its active assignments", "viewer", params=[_path("session_id")],
            errors=("404",), schema="Session")},
        "/api/scheduling/v1/sessions/{session_id}/reschedule": {"post": _op(
            "Move a session (session.rescheduled with previous values); returns the bodies "
            "that now clash as clashes", "operator", params=[_path("session_id")],
            body={"type": "object", "required": ["starts_at"], "properties": {
                "starts_at": {"type": "string", "format": "date-time"},
                "ends_at": {"type": "string", "format": "date-time"}, "venue": _VENUE}},
            errors=("404", "409", "422"), schema="Session")},
        "/api/scheduling/v1/sessions/{session_id}/cancel": {"post": _op(
            "Cancel a session (session.cancelled); its assignments are cancelled "
            "(assignment.cancelled) and, with move_to, re-created on that session; bodies of a "
            "cancelled local day otherwise join the waiting list", "operator",
            params=[_path("session_id")], body={"type": "object", "required": ["reason"],
                                                "properties": {"reason": {"type": "string"},
                                                               "move_to": {"type": "string"}}},
            errors=("404", "409", "422"), schema="Session")},
        "/api/scheduling/v1/sessions/{session_id}/assignments": {"post": _op(
            "Pin a body to this session (re-plans never move it); replaces its assignment of the "
            "same kind (same topic for webinars)", "operator", ok="201",
            params=[_path("session_id")], body={"type": "object", "required": ["adhesion_id"],
                                                "properties": {"adhesion_id": {"type": "string"},
                                                               "pinned": {"type": "boolean"}}},
            errors=("404", "409", "422"), schema="Assignment")},
        "/api/scheduling/v1/assignments": {"get": _op(
            "Assignments", "viewer", params=_query("adhesion_id", "entity_code", "session_id",
                                                   "status"))},
        "/api/scheduling/v1/assignments/{assignment_id}/move": {"post": _op(
            "Move a body to another session", "operator", ok="201",
            params=[_path("assignment_id")], body={"type": "object", "required": ["session_id"],
                                                   "properties": {"session_id": {"type": "string"},
                                                                  "pinned": {"type": "boolean"}}},
            errors=("404", "409", "422"), schema="Assignment")},
        "/api/scheduling/v1/waiting-list": {"get": _op("Bodies waiting for a local day", "viewer")},
        "/api/scheduling/v1/venues": {"get": _op("Configured venues", "viewer")},
        "/api/scheduling/v1/venues/{code}": {"put": _op(
            "Configure a venue (a participating comune or any known body): where a region has "
            "configured venues, only they host its local days", "operator",
            params=[_path("code")], body={"type": "object", "properties": {
                "name": {"type": "string"}, "address": {"type": "string"},
                "capacity": {"type": "integer", "minimum": 1, "maximum": 100000},
                "max_days": {"type": "integer", "minimum": 1, "maximum": 100000}}},
            errors=("422",))},
        "/api/scheduling/v1/sessions/{session_id}/attendance": {
            "get": _op("Attendance of a session", "viewer", params=[_path("session_id")],
                       errors=("404",)),
            "put": _op("Mark participants present or absent", "operator",
                       params=[_path("session_id")], body={"type": "object", "properties": {
                           "records": {"type": "array", "items": {"type": "object", "properties": {
                               "participant_id": {"type": "string"},
                               "present": {"type": "boolean"}}}}}},
                       errors=("404", "409", "422"))},
        "/api/scheduling/v1/sessions/{session_id}/participants": {"get": _op(
            "The participants of the session's active assignments (names, bodies, roles) with "
            "their attendance: present true, false, or null when not marked yet; mark them "
            "with PUT .../attendance", "viewer", params=[_path("session_id")], errors=("404",),
            schema="Participants")},
        "/api/scheduling/v1/sessions/{session_id}/register.pdf": {"get": _op(
            "The printable attendance register (A4, Italian): one row per participant, sorted "
            "by body then name, signature columns for entry and exit, blank rows for walk-ins",
            "viewer", params=[_path("session_id")], errors=("404",), content="application/pdf")},
        "/api/scheduling/v1/certificates": {
            "post": _op(
                "Issue a certificate of attendance to every person present at one or more "
                "sessions not cancelled who has none yet, or whose current certificate lacks "
                "sessions attended since (the new one supersedes it: `replaces`), within the "
                "scope (session_id, adhesion_id, or everyone); each is announced as "
                "roster.certificate.issued. Issuing again with nothing new attended issues "
                "nothing (`already_issued` counts those up to date)", "operator",
                body={"type": "object", "properties": {"session_id": {"type": "string"},
                                                       "adhesion_id": {"type": "string"}}},
                body_required=False, errors=("404", "422"), schema="Issued"),
            "get": _op("Certificates issued", "viewer",
                       params=_query("adhesion_id", "session_id", "participant_id"),
                       schema="Certificates")},
        "/api/scheduling/v1/certificates/verify/{code}": {"get": _op(
            "Public check of a verification code (case, spaces and dashes do not matter)", None,
            params=[_path("code")], errors=("404",), schema="Verification")},
        "/api/scheduling/v1/indicators": {"get": _op(
            "The funder's indicators: bodies and people trained (present at one or more "
            "sessions not cancelled) by region, province, kind of body and role; sessions held "
            "and hours delivered by kind; participant-hours. format=json (default), csv "
            "(semicolon, UTF-8 with BOM), xlsx or pdf", "viewer",
            params=[{"name": "format", "in": "query", "required": False,
                     "schema": {"enum": ["json", "csv", "xlsx", "pdf"]}}],
            errors=("422",), content=_FILES, schema=None)},
        "/api/scheduling/v1/people/{person_id}": {"get": _op(
            "What scheduling holds about one person (GDPR export): name, role, office, "
            "adhesion, sessions with attendance, certificates", "operator",
            params=[_path("person_id")], errors=("404",), schema="Person")},
        "/verifica": {"get": _html(
            "Public page (Italian): the form to check a certificate; with codice, the outcome",
            [{"name": "codice", "in": "query", "required": False,
              "schema": {"type": "string"}}])},
        "/verifica/{code}": {"get": _html(
            "Public page (Italian): Attestato valido, or Codice non trovato (404)",
            [_path("code")])},
        "/api/scheduling/v1/entities/{code}/calendar.ics": {"get": _op(
            "A body's calendar (RFC 5545): its local day and webinars", None,
            params=[_path("code")], errors=("404",), content="text/calendar")},
        "/api/scheduling/v1/sessions/{session_id}/calendar.ics": {"get": _op(
            "One session as a calendar (RFC 5545)", None, params=[_path("session_id")],
            errors=("404",), content="text/calendar")},
        **dead_letter_openapi("/api/scheduling/v1"),
        "/api/scheduling/v1/openapi.json": {"get": {
            "operationId": "openapi", "summary": "this document",
            "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/api/scheduling/v1/healthz": {"get": {
            "operationId": "healthz", "summary": "the process answers",
            "responses": {"200": {"description": "alive"}}}},
        "/api/scheduling/v1/readyz": {"get": {
            "operationId": "readyz", "summary": "database and broker reachable",
            "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
    },
}
