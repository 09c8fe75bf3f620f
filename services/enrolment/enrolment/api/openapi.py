"""The OpenAPI 3.1 document of the enrolment API."""
from __future__ import annotations

from flask import Blueprint

from ..edition import CURRENT
from .common import PREFIX

bp = Blueprint("enrolment_openapi", __name__, url_prefix=PREFIX)

ROLE = {"type": "string", "enum": list(CURRENT.roles)}
STATUS = {"type": "string", "enum": ["pending_confirmation", "confirmed", "withdrawn"]}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
INSTANT = {"type": ["string", "null"], "format": "date-time"}


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _problem(description, kinds):
    return {"description": f"{description} (problem types: {', '.join(kinds)})",
            "content": {"application/problem+json": {"schema": _ref("Problem")}}}


AUTH = [{"adhesionToken": []}, {"bearer": []}, {"queryToken": []}]
ID = {"name": "adhesion_id", "in": "path", "required": True, "schema": {"type": "string"}}

SCHEMAS = {
    "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
        "type": {"type": "string", "examples": ["/problems/validation"]},
        "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "request_id": {"type": "string"},
        "reason": {"type": "string", "description": "not-eligible: why the body may not join"},
        "entity_code": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "required": ["field", "message"],
                   "properties": {"field": {"type": "string",
                                            "examples": ["participants[0].email"]},
                                  "message": {"type": "string"}}}}}},
    "Contact": {"type": "object", "required": ["name", "role", "email", "phone"], "properties": {
        "id": {"type": "string", "readOnly": True}, "name": TEXT, "role": ROLE,
        "email": {"type": "string", "format": "email"}, "phone": {"type": "string"}}},
    "Participant": {"type": "object", "required": ["name", "role", "email", "office"],
                    "properties": {"id": {"type": "string",
                                          "description": "kept across changes; send it back "
                                                         "in PATCH to keep the person"},
                                   "name": TEXT, "role": ROLE,
                                   "email": {"type": "string", "format": "email"},
                                   "office": TEXT}},
    "NewAdhesion": {"type": "object",
                    "required": ["entity_code", "contact", "participants",
                                 "privacy_notice_read"],
                    "properties": {
                        "entity_code": {"type": "string", "examples": ["040012"]},
                        "contact": _ref("Contact"),
                        "participants": {"type": "array", "minItems": 1,
                                         "maxItems": CURRENT.max_participants,
                                         "items": _ref("Participant")},
                        "webinar_topics": {"type": "array", "items": {
                            "type": "string", "enum": list(CURRENT.topic_ids())}},
                        "privacy_notice_read": {"const": True}}},
    "AdhesionChanges": {"type": "object", "minProperties": 1, "additionalProperties": False,
                        "properties": {
                            "contact": _ref("Contact"),
                            "participants": {"type": "array", "minItems": 1,
                                             "maxItems": CURRENT.max_participants,
                                             "items": _ref("Participant")},
                            "webinar_topics": {"type": "array", "items": {"type": "string"}}}},
    "Entity": {"type": "object", "properties": {
        k: {"type": t} for k, t in (("code", "string"), ("name", "string"), ("kind", "string"),
                                    ("province", ["string", "null"]),
                                    ("region", ["string", "null"]),
                                    ("population", ["integer", "null"]),
                                    ("eligible", "boolean"), ("eligibility_reason", "string"))}},
    "Adhesion": {"type": "object", "required": ["id", "status", "entity", "contact",
                                                "participants", "webinar_topics"],
                 "properties": {
                     "id": {"type": "string"}, "edition": {"type": "string"}, "status": STATUS,
                     "entity": _ref("Entity"), "contact": _ref("Contact"),
                     "participants": {"type": "array", "items": _ref("Participant")},
                     "participants_by_role": {"type": "object", "additionalProperties":
                                              {"type": "integer"}},
                     "webinar_topics": {"type": "array", "items": {"type": "string"}},
                     "submitted_at": INSTANT, "updated_at": INSTANT, "confirmed_at": INSTANT,
                     "withdrawn_at": INSTANT,
                     "token": {"type": "string", "description": "only in the 201 answer: the "
                               "adhesion's secret token (shown once; also in the manage link)"}}},
    "Edition": {"type": "object", "properties": {
        "id": {"type": "string"}, "name": {"type": "string"},
        "deadline": {"type": "string", "format": "date-time"}, "open": {"type": "boolean"},
        "roles": {"type": "array", "items": {"type": "object"}},
        "max_participants": {"type": "integer"}}},
    "Stats": {"type": "object", "properties": {
        "edition": {"type": "string"}, "as_of": {"type": "string"},
        "bodies": {"type": "object", "description": "total, by_status, by_region, by_province, "
                                                    "by_kind"},
        "participants": {"type": "object", "description": "total, by_region, by_province, "
                                                          "by_kind, by_role, by_region_and_role"}}},
}

UNAUTHORIZED = _problem("No token or an unknown token", ["unauthorized"])
BAD_BODY = {"400": _problem("Body is not JSON", ["bad-request"]),
            "415": _problem("Not application/json", ["unsupported-media-type"])}
NOT_FOUND = _problem("No such adhesion", ["not-found"])

PATHS = {
    "/topics": {"get": {"summary": "The webinar topics of the current edition",
                        "responses": {"200": _json({"type": "object", "properties": {
                            "edition": _ref("Edition"), "items": {"type": "array", "items": {
                                "type": "object", "properties": {"id": {"type": "string"},
                                                                 "title": {"type": "string"}}}}}},
                            "The catalogue")}}},
    "/edition": {"get": {"summary": "The current edition (deadline, roles, open or closed)",
                         "responses": {"200": _json(_ref("Edition"), "The edition")}}},
    "/entities": {"get": {"summary": "Search the enrolment's replica of the registry",
                          "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}},
                                         {"name": "limit", "in": "query",
                                          "schema": {"type": "integer", "maximum": 50}}],
                          "responses": {"200": _json({"type": "object", "properties": {
                              "items": {"type": "array", "items": _ref("Entity")},
                              "next": {"type": "null"}}}, "Matching bodies"),
                              "422": _problem("Bad limit", ["validation"])}}},
    "/adhesions": {
        "post": {"summary": "Submit an adhesion (pending confirmation by e-mail)",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": _ref("NewAdhesion")}}},
                 "responses": {
                     "201": {**_json(_ref("Adhesion"), "Recorded; Location names it"),
                             "headers": {"Location": {"schema": {"type": "string"}}}},
                     "400": _problem("Body is not JSON", ["bad-request"]),
                     "403": _problem("After the deadline", ["enrolment-closed"]),
                     "409": _problem("The body already has an active adhesion",
                                     ["already-enrolled"]),
                     "415": _problem("Not JSON", ["unsupported-media-type"]),
                     "422": _problem("Invalid fields, unknown or ineligible body",
                                     ["validation", "unknown-entity", "not-eligible"]),
                     "429": _problem("Too many requests from this client",
                                     ["too-many-requests"])}},
        "get": {"summary": "List adhesions (operations, role viewer)",
                "security": [{"bearer": []}],
                "parameters": [{"name": "status", "in": "query", "schema": STATUS},
                               {"name": "region", "in": "query", "schema": {"type": "string"}},
                               {"name": "format", "in": "query",
                                "schema": {"enum": ["json", "csv", "xlsx"]}}],
                "responses": {"200": {"description": "The adhesions", "content": {
                    "application/json": {"schema": {"type": "object", "properties": {
                        "items": {"type": "array", "items": _ref("Adhesion")},
                        "next": {"type": "null"}}}},
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
                        {"schema": {"type": "string", "format": "binary"}}}},
                    "401": UNAUTHORIZED,
                    "403": _problem("Role too low", ["forbidden"]),
                    "422": _problem("Bad filter", ["validation"])}}},
    "/adhesions/{adhesion_id}": {
        "parameters": [ID],
        "get": {"summary": "Read an adhesion (its token, or viewer/operator)", "security": AUTH,
                "responses": {"200": _json(_ref("Adhesion"), "The adhesion"),
                              "401": UNAUTHORIZED, "404": NOT_FOUND}},
        "patch": {"summary": "Change contact, participants or topics until the deadline",
                  "security": AUTH,
                  "requestBody": {"required": True, "content": {"application/json": {
                      "schema": _ref("AdhesionChanges")}}},
                  "responses": {"200": _json(_ref("Adhesion"), "The adhesion after the change"),
                                "401": UNAUTHORIZED,
                                "403": _problem("After the deadline, or role too low",
                                                ["enrolment-closed", "forbidden"]),
                                "404": NOT_FOUND,
                                "409": _problem("Withdrawn", ["withdrawn"]),
                                "422": _problem("Invalid fields", ["validation"]), **BAD_BODY}}},
    "/adhesions/{adhesion_id}/withdraw": {
        "parameters": [ID],
        "post": {"summary": "Withdraw the adhesion", "security": AUTH,
                 "responses": {"200": _json(_ref("Adhesion"), "Withdrawn"),
                               "401": UNAUTHORIZED, "403": _problem("Role too low",
                                                                    ["forbidden"]),
                               "404": NOT_FOUND,
                               "409": _problem("Already withdrawn", ["withdrawn"])}}},
    "/adhesions/{adhesion_id}/confirm": {
        "parameters": [ID],
        "post": {"summary": "Confirm with the single-use token of the e-mailed link",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["token"],
                     "properties": {"token": {"type": "string"}}}}}},
                 "responses": {"200": _json(_ref("Adhesion"), "Confirmed"),
                               "403": _problem("Wrong or used link", ["invalid-link"]),
                               "404": NOT_FOUND,
                               "409": _problem("Already confirmed", ["not-pending"]),
                               "410": _problem("Expired link", ["link-expired"]), **BAD_BODY}}},
    "/adhesions/{adhesion_id}/confirmation": {
        "parameters": [ID],
        "post": {"summary": "Send a new confirmation link (the old one stops working)",
                 "security": AUTH,
                 "responses": {"202": _json({"type": "object"}, "A new e-mail is on its way"),
                               "401": UNAUTHORIZED, "404": NOT_FOUND,
                               "409": _problem("Not pending", ["not-pending"])}}},
    "/confirmation-requests": {
        "post": {"summary": "Ask that the confirmation e-mail of a body's pending adhesion be "
                            "sent again to its contact (same answer whether or not there is one)",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["entity_code"],
                     "properties": {"entity_code": {"type": "string"}}}}}},
                 "responses": {"202": _json({"type": "object"}, "Accepted"),
                               "422": _problem("No entity code", ["validation"]), **BAD_BODY,
                               "429": _problem("Too many requests from this client",
                                               ["too-many-requests"])}}},
    "/stats": {"get": {"summary": "Bodies and participants by region, province, kind and role",
                       "security": [{"bearer": []}],
                       "responses": {"200": _json(_ref("Stats"), "The figures"),
                                     "401": UNAUTHORIZED}}},
    "/openapi.json": {"get": {"summary": "This document",
                              "responses": {"200": _json({"type": "object"}, "OpenAPI")}}},
    "/healthz": {"get": {"summary": "Alive", "responses": {"200": _json({"type": "object"},
                                                                         "ok")}}},
    "/readyz": {"get": {"summary": "Database and broker reachable", "responses": {
        "200": _json({"type": "object"}, "ready"), "503": _json({"type": "object"},
                                                                 "not ready")}}},
}


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "coalizione enrolment API", "version": "1.0.0",
                 "description": "Adhesions to the training programme (the Scheda di adesione). "
                                "Errors are RFC 9457 problem details."},
        "servers": [{"url": PREFIX}],
        "paths": PATHS,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "operations token (create-token --role viewer|operator)"},
            "adhesionToken": {"type": "http", "scheme": "bearer",
                              "description": "the adhesion's own secret token"},
            "queryToken": {"type": "apiKey", "in": "query", "name": "token"}}},
    }


@bp.get("/openapi.json")
def openapi():
    return document()
