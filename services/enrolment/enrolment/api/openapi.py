"""The OpenAPI 3.1 document of the enrolment API."""
from __future__ import annotations

from flask import Blueprint

from coalizione_common.deadletters_http import dead_letter_openapi

from ..edition import CURRENT
from .common import PREFIX

bp = Blueprint("enrolment_openapi", __name__, url_prefix=PREFIX)

ROLE = {"type": "string", "enum": list(CURRENT.roles)}
STATUS = {"type": "string", "enum": ["pending_confirmation", "confirmed", "withdrawn"]}
TEXT = {"type": "string", "minLength": 1, "maxLength": 200}
INSTANT = {"type": ["string", "null"], "format": "date-time"}
ERASABLE = {"type": ["string", "null"], "description": "null once the person's data were erased"}
ERASED_AT = {**INSTANT, "description": "when the personal data were erased (null: still held)"}


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
    "ContactOnFile": {"type": "object", "required": ["id", "name", "role", "email", "phone"],
                      "properties": {"id": {"type": "string"}, "name": ERASABLE, "role": ROLE,
                                     "email": ERASABLE, "phone": ERASABLE,
                                     "erased_at": ERASED_AT}},
    "ParticipantOnFile": {"type": "object", "required": ["id", "name", "role", "email", "office"],
                          "properties": {"id": {"type": "string"}, "name": ERASABLE, "role": ROLE,
                                         "email": ERASABLE, "office": ERASABLE,
                                         "erased_at": ERASED_AT}},
    "Adhesion": {"type": "object", "required": ["id", "status", "entity", "contact",
                                                "participants", "webinar_topics"],
                 "properties": {
                     "id": {"type": "string"}, "edition": {"type": "string"}, "status": STATUS,
                     "entity": _ref("Entity"), "contact": _ref("ContactOnFile"),
                     "participants": {"type": "array", "items": _ref("ParticipantOnFile")},
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
        "activities_until": {"type": "string", "format": "date-time",
                             "description": "the end of the edition's activities"},
        "retention_days": {"type": "integer", "description": "how long personal data are kept "
                                                             "after the activities end"},
        "personal_data_expire_at": {"type": "string", "format": "date-time", "description":
                                    "activities_until + retention_days: the retention job "
                                    "erases the contacts' and participants' data after it"},
        "roles": {"type": "array", "items": {"type": "object"}},
        "max_participants": {"type": "integer"}}},
    "Stats": {"type": "object", "required": ["edition", "as_of", "deadline", "by_day", "bodies",
                                             "participants"], "properties": {
        "edition": {"type": "string"}, "as_of": {"type": "string"},
        "deadline": {"type": "string", "format": "date-time",
                     "description": "the edition's deadline for adhesions"},
        "by_day": {"type": "array", "description":
                   "the active adhesions (pending or confirmed; withdrawn ones do not count) by "
                   "the Europe/Rome date they were submitted, every day from the first to the "
                   "last (days without adhesions included); the last cumulative is "
                   "bodies.total",
                   "items": {"type": "object", "required": ["date", "submitted", "cumulative"],
                             "properties": {"date": {"type": "string", "format": "date"},
                                            "submitted": {"type": "integer", "minimum": 0},
                                            "cumulative": {"type": "integer", "minimum": 0}}}},
        "bodies": {"type": "object", "description": "total, by_status, by_region, by_province, "
                                                    "by_kind"},
        "participants": {"type": "object", "description": "total, by_region, by_province, "
                                                          "by_kind, by_role, by_region_and_role"}}},
    "PersonRecord": {
        "type": "object",
        "required": ["person_id", "adhesion_id", "entity_code", "entity_name", "as", "name",
                     "role", "email", "adhesion_status", "submitted_at", "erased_at"],
        "properties": {
            "person_id": {"type": "string"}, "adhesion_id": {"type": "string"},
            "entity_code": {"type": "string"}, "entity_name": {"type": "string"},
            "as": {"type": "string", "enum": ["contact", "participant"]},
            "name": ERASABLE, "role": ROLE, "email": ERASABLE,
            "phone": {**ERASABLE, "description": "the contact's (only for as=contact)"},
            "office": {**ERASABLE, "description": "the participant's (only for "
                                                  "as=participant)"},
            "adhesion_status": STATUS, "submitted_at": INSTANT, "erased_at": ERASED_AT}},
    "PersonRecords": {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "minItems": 1, "items": _ref("PersonRecord")}}},
    "ErasureRequest": {"oneOf": [
        {"type": "object", "required": ["person_id"], "additionalProperties": False,
         "properties": {"person_id": {"type": "string", "minLength": 1}}},
        {"type": "object", "required": ["email"], "additionalProperties": False,
         "properties": {"email": {"type": "string", "format": "email"}}}]},
    "Erasure": {"type": "object", "required": ["erased"], "properties": {
        "erased": {"type": "array", "description": "one entry per adhesion where someone was "
                                                   "erased now (empty: erased already)",
                   "items": {"type": "object", "required": ["adhesion_id", "person_ids"],
                             "properties": {"adhesion_id": {"type": "string"},
                                            "person_ids": {"type": "array",
                                                           "items": {"type": "string"}}}}}}},
}

UNAUTHORIZED = _problem("No token or an unknown token", ["unauthorized"])
OPERATOR_ONLY = _problem("Role too low (personal data: operator only)", ["forbidden"])
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
                "description": "Filters combine; every format honours them. The personal "
                               "data of people erased show as null (empty cells in CSV and "
                               "XLSX).",
                "parameters": [{"name": "status", "in": "query", "schema": STATUS},
                               {"name": "region", "in": "query", "schema": {"type": "string"}},
                               {"name": "q", "in": "query", "schema": {"type": "string"},
                                "description": "a piece of the body's name, accents and case "
                                               "ignored (forli finds Forlì)"},
                               {"name": "kind", "in": "query", "schema": {"type": "string"},
                                "description": "the kind of body, e.g. comune, "
                                               "unione_di_comuni"},
                               {"name": "province", "in": "query",
                                "schema": {"type": "string"},
                                "description": "the province's code, e.g. FC"},
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
    "/stats": {"get": {"summary": "Bodies and participants by region, province, kind and role, "
                               "and adhesions by day",
                       "description": "Counts the active adhesions (pending or confirmed); "
                                      "erasing personal data changes none of the figures.",
                       "security": [{"bearer": []}],
                       "responses": {"200": _json(_ref("Stats"), "The figures"),
                                     "401": UNAUTHORIZED}}},
    "/people": {"get": {
        "summary": "Export what is held about a person, by e-mail address (operator)",
        "description": "Every adhesion where the address is the contact's or a participant's, "
                       "case ignored (the GDPR right of access). Erased people no longer match "
                       "by address.",
        "security": [{"bearer": []}],
        "parameters": [{"name": "email", "in": "query", "required": True,
                        "schema": {"type": "string"}}],
        "responses": {"200": _json(_ref("PersonRecords"), "The person's records"),
                      "401": UNAUTHORIZED, "403": OPERATOR_ONLY,
                      "404": _problem("Nobody with this address", ["not-found"]),
                      "422": _problem("No address, or not an address", ["validation"])}}},
    "/people/search": {"post": {
        "summary": "Export what is held about a person, by e-mail address in the body "
                   "(operator)",
        "description": "As GET /people, with the address in the body so that it stays out of "
                       "access logs.",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["email"],
            "properties": {"email": {"type": "string"}}}}}},
        "responses": {"200": _json(_ref("PersonRecords"), "The person's records"),
                      "401": UNAUTHORIZED, "403": OPERATOR_ONLY,
                      "404": _problem("Nobody with this address", ["not-found"]),
                      "422": _problem("No address, or not an address", ["validation"]),
                      **BAD_BODY}}},
    "/people/{person_id}": {
        "parameters": [{"name": "person_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "get": {"summary": "Export what is held about a person, by id (operator)",
                "description": "The ids are those of roster.updated; an erased person still "
                               "answers, with empty data and erased_at.",
                "security": [{"bearer": []}],
                "responses": {"200": _json(_ref("PersonRecords"), "The person's record"),
                              "401": UNAUTHORIZED, "403": OPERATOR_ONLY,
                              "404": _problem("No such person", ["not-found"])}}},
    "/people/erasure": {"post": {
        "summary": "Erase a person's personal data (operator)",
        "description": "By person_id: that person; by email: everyone with that address, in "
                       "any adhesion. Name, e-mail, phone and office become empty; ids, roles, "
                       "bodies and every count stay. roster.erased is announced per adhesion; "
                       "erasing the contact revokes the adhesion's secret links. Erasing again "
                       "changes and announces nothing.",
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": _ref("ErasureRequest")}}},
        "responses": {"200": _json(_ref("Erasure"), "Erased (or erased already)"),
                      "401": UNAUTHORIZED, "403": OPERATOR_ONLY,
                      "404": _problem("Nobody matches", ["not-found"]),
                      "422": _problem("Neither or both of person_id and email, or a bad value",
                                      ["validation"]), **BAD_BODY,
                      "429": _problem("Too many requests from this client",
                                      ["too-many-requests"])}}},
    **dead_letter_openapi(),
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
