"""The OpenAPI 3.1 document of notify's HTTP API."""
from __future__ import annotations

from flask import Blueprint

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

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "coalizione notify", "version": "1.0.0",
             "description": "The delivery log of every e-mail the platform sends. Operations "
                            "endpoints need 'Authorization: Bearer <token>' (viewer reads, "
                            "operator resends)."},
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
                "400": _PROBLEM, "401": _PROBLEM, "403": _PROBLEM},
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
