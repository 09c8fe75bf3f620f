"""The OpenAPI 3.1 document of notify's HTTP API."""
from __future__ import annotations

from flask import Blueprint

from coalizione_common.deadletters_http import dead_letter_openapi

from ..deliveries import STATES

bp = Blueprint("notify_openapi", __name__)

_PROBLEM = {"description": "an RFC 9457 problem",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_BEARER = [{"bearer": []}]


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


DELIVERY = {
    "type": "object",
    "required": ["id", "template", "recipient_id", "state", "attempts", "message_id", "created_at"],
    "properties": {
        "id": {"type": "string", "format": "uuid",
               "description": "derived from (occasion, template, recipient): one per message owed"},
        "template": {"type": "string", "examples": ["confirmation_request"]},
        "recipient_id": {"type": "string", "description": "a person id or an entity code, never an address"},
        "adhesion_id": {"type": ["string", "null"]},
        "subject_id": {"type": ["string", "null"], "description": "the adhesion or session concerned"},
        "event_id": {"type": "string", "description": "the event that called for it ('periodic' for reminders)"},
        "state": {"type": "string", "enum": list(STATES)},
        "attempts": {"type": "integer", "minimum": 0},
        "reason": {"type": ["string", "null"], "description": "the server's words for the last refusal"},
        "message_id": {"type": "string", "description": "the Message-ID header, the same on every attempt"},
        "resend_of": {"type": ["string", "null"]},
        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "sent_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

PERSON = {
    "type": "object", "required": ["person_id", "erased", "roster", "certificates", "items"],
    "properties": {
        "person_id": {"type": "string"},
        "erased": {"type": "boolean", "description": "the person's personal data were erased"},
        "roster": {"type": ["object", "null"],
                   "description": "how notify addresses the person (null once erased)",
                   "properties": {"adhesion_id": {"type": "string"},
                                  "is_contact": {"type": "boolean"},
                                  "name": {"type": "string"}, "role": {"type": ["string", "null"]},
                                  "email": {"type": "string"},
                                  "office": {"type": ["string", "null"]},
                                  "phone": {"type": ["string", "null"]}}},
        "certificates": {"type": "array", "items": {"type": "object", "properties": {
            "certificate_id": {"type": "string"}, "code": {"type": "string"},
            "holder_name": {"type": ["string", "null"]}, "hours": {"type": "number"},
            "issued_at": {"type": "string", "format": "date-time"}}}},
        "items": {"type": "array", "items": {
            "type": "object",
            "required": ["id", "template", "subject", "status", "sent_at", "recipient_address"],
            "properties": {
                "id": {"type": "string"},
                "template": {"type": "string"},
                "subject": {"type": ["string", "null"],
                            "description": "null once erased (it named an erased person)"},
                "status": {"type": "string", "enum": list(STATES)},
                "reason": {"type": ["string", "null"]},
                "adhesion_id": {"type": ["string", "null"]},
                "created_at": {"type": "string", "format": "date-time"},
                "sent_at": {"type": ["string", "null"], "format": "date-time"},
                "recipient_address": {"type": ["string", "null"],
                                      "description": "null once erased or past retention"},
            }}},
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "coalizione notify", "version": "1.0.0",
             "description": "The delivery log of every e-mail the platform sends, the "
                            "certificates of attendance it mailed, and its dead letters. "
                            "Operations endpoints need 'Authorization: Bearer <token>' (viewer "
                            "reads, operator resends, renders certificates, reads a person's "
                            "messages and replays dead letters)."},
    "servers": [{"url": "/api/notify/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Delivery": DELIVERY,
            "Problem": {"type": "object", "required": ["type", "title", "status"],
                        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                       "status": {"type": "integer"}, "detail": {"type": "string"},
                                       "errors": {"type": "array", "items": {
                                           "type": "object",
                                           "properties": {"field": {"type": "string"},
                                                          "message": {"type": "string"}}}}}},
        },
    },
    "paths": {
        "/deliveries": {"get": {
            "operationId": "listDeliveries", "summary": "deliveries, newest first",
            "security": _BEARER,
            "parameters": [
                _query("adhesion_id", "deliveries about this adhesion"),
                _query("recipient_id", "deliveries to this person (or entity code)"),
                _query("subject_id", "deliveries about this adhesion or session"),
                _query("template", "deliveries of this template"),
                _query("state", "deliveries in this state", {"type": "string", "enum": list(STATES)}),
                _query("limit", "page size", {"type": "integer", "minimum": 1, "maximum": 200,
                                              "default": 50}),
                _query("cursor", "the 'next' value of the previous page"),
            ],
            "responses": {
                "200": {"description": "a page of deliveries", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["items", "next"], "properties": {
                        "items": {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}},
                        "next": {"type": ["string", "null"]}}}}}},
                "401": _PROBLEM, "403": _PROBLEM, "422": _PROBLEM},
        }},
        "/deliveries/{id}": {"get": {
            "operationId": "getDelivery", "summary": "one delivery", "security": _BEARER,
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the delivery", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Delivery"}}}},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM},
        }},
        "/deliveries/{id}/resend": {"post": {
            "operationId": "resendDelivery", "security": _BEARER,
            "summary": "send a sent or failed message again",
            "description": "Queues a new delivery of the same message to the recipient's current "
                           "address, with its own Message-ID; 409 while the original is still on "
                           "its way or when the recipient's data were erased.",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"202": {"description": "the new delivery", "headers": {
                "Location": {"schema": {"type": "string"}}}, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Delivery"}}}},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM},
        }},
        "/certificates/{certificate_id}.pdf": {"get": {
            "operationId": "getCertificatePdf", "security": _BEARER,
            "summary": "a certificate of attendance, rendered again (operator)",
            "description": "The same PDF as the one mailed to its holder. 410 once the holder's "
                           "personal data were erased; 409 while notify does not know the holder.",
            "parameters": [{"name": "certificate_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the certificate", "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM,
                "410": _PROBLEM},
        }},
        "/people/{person_id}": {"get": {
            "operationId": "getPersonDeliveries", "security": _BEARER,
            "summary": "what notify holds about a person: roster entry, certificates, every "
                       "message sent (operator; data subject access)",
            "parameters": [{"name": "person_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the person's deliveries, oldest first",
                                  "content": {"application/json": {"schema": PERSON}}},
                          "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM},
        }},
        **dead_letter_openapi(),
        "/openapi.json": {"get": {"operationId": "openapi", "summary": "this document",
                                  "responses": {"200": {"description": "OpenAPI 3.1"}}}},
        "/healthz": {"get": {"operationId": "healthz", "summary": "the process answers",
                             "responses": {"200": {"description": "alive"}}}},
        "/readyz": {"get": {"operationId": "readyz", "summary": "database and broker reachable",
                            "responses": {"200": {"description": "ready"},
                                          "503": {"description": "not ready"}}}},
    },
}


@bp.get("/api/notify/v1/openapi.json")
def openapi():
    return DOCUMENT
