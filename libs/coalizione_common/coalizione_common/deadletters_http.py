"""The dead-letter queues over HTTP, for every service: what the command
line ``dead-letters list|replay`` does, for the operations console.

- ``GET /api/<service>/v1/dead-letters?limit=`` (viewer) lists each of the
  service's dead-letter queues with its count and its first messages;
- ``POST /api/<service>/v1/dead-letters/replay`` (operator) with
  ``{"queue": name, "ids": [...]}`` sends them back to their handler queue
  (all of that queue's, or only those ids) and answers ``{"replayed": n}``.

A queue is named as the command line names it, by its handler queue
(``notify.enrolment``); its dead-letter queue's own name
(``notify.enrolment.dead``) is accepted too. :func:`create_service_app`
registers this for every service; :func:`dead_letter_openapi` gives the
paths to merge into a service's OpenAPI document.
"""
from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, g, request

from .auth import require_role
from .deadletters import DeadLetter, count_and_list_dead_letters, replay_dead_letters
from .http import Problem

log = logging.getLogger("coalizione.deadletters")

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
DEAD_SUFFIX = ".dead"


def handler_queues(runtime) -> list[str]:
    """The service's handler queues, each with a dead-letter queue."""
    return list(runtime.consumer().subscriptions) if runtime.subscriptions else []


def resolve_queue(runtime, name) -> str:
    """The handler queue ``name`` designates, or a 404 problem."""
    queues = handler_queues(runtime)
    if isinstance(name, str):
        bare = name[:-len(DEAD_SUFFIX)] if name.endswith(DEAD_SUFFIX) else name
        if bare in queues:
            return bare
    raise Problem(404, "unknown-queue", "No such dead-letter queue",
                  f"{name!r} is not a dead-letter queue of {runtime.name}; its queues are: "
                  + (", ".join(queues) or "none"), queues=queues)


def letter_as_json(letter: DeadLetter) -> dict:
    """A dead letter as the API shows it: its CloudEvents id, type and
    subject when the body is a CloudEvents document (the routing key and
    no subject otherwise), why and when it was given up on."""
    event = {}
    try:
        parsed = json.loads(letter.body)
        if isinstance(parsed, dict):
            event = parsed
    except (ValueError, UnicodeDecodeError):
        pass

    def text(value):
        return value if isinstance(value, str) and value else None

    return {"id": letter.message_id or text(event.get("id")),
            "type": text(event.get("type")) or letter.routing_key or None,
            "subject": text(event.get("subject")),
            "error": letter.error, "attempts": letter.attempts,
            "dead_at": letter.failed_at or None}


def _broker_unavailable(exc: Exception) -> Problem:
    log.warning("dead letters: broker unreachable (%s: %s)", type(exc).__name__, exc)
    return Problem(503, "broker-unavailable", "Broker unavailable",
                   "The message broker did not answer; try again shortly.")


def _limit() -> int:
    unknown = [name for name in request.args if name != "limit"]
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    errors = [{"field": name, "message": "unknown parameter; accepted: limit"} for name in unknown]
    if not raw.isdecimal() or not 1 <= int(raw) <= MAX_LIMIT:
        errors.append({"field": "limit", "message": f"a whole number from 1 to {MAX_LIMIT}"})
    if errors:
        raise Problem(422, "validation", "Invalid query", "See errors.", errors=errors)
    return int(raw)


def _replay_request() -> tuple[object, list[str] | None]:
    body = request.get_json(silent=True)
    errors = []
    if not isinstance(body, dict):
        raise Problem(422, "validation", "Invalid request body",
                      'Send a JSON object: {"queue": "<queue>", "ids": ["<event id>", ...]}.',
                      errors=[{"field": "", "message": "a JSON object is required"}])
    for name in body:
        if name not in ("queue", "ids"):
            errors.append({"field": name, "message": "unknown field; accepted: queue, ids"})
    queue = body.get("queue")
    if not isinstance(queue, str) or not queue.strip():
        errors.append({"field": "queue", "message": "the name of a dead-letter queue"})
    ids = body.get("ids")
    if ids is not None and (not isinstance(ids, list) or not ids
                            or not all(isinstance(i, str) and i for i in ids)):
        errors.append({"field": "ids", "message": "a non-empty list of event ids"})
        ids = None
    if errors:
        raise Problem(422, "validation", "Invalid request body", "See errors.", errors=errors)
    return queue, ids


def dead_letters_blueprint(service: str) -> Blueprint:
    bp = Blueprint(f"{service}_dead_letters", __name__, url_prefix=f"/api/{service}/v1")

    @bp.get("/dead-letters")
    @require_role("viewer")
    def list_queues():
        runtime = current_app.extensions["runtime"]
        limit = _limit()
        queues = []
        try:
            for queue in handler_queues(runtime):
                count, letters = count_and_list_dead_letters(runtime.bus, queue, limit)
                queues.append({"queue": queue, "dead_letter_queue": queue + DEAD_SUFFIX,
                               "count": count,
                               "messages": [letter_as_json(letter) for letter in letters]})
        except Exception as exc:
            raise _broker_unavailable(exc) from exc
        return {"queues": queues}

    @bp.post("/dead-letters/replay")
    @require_role("operator")
    def replay():
        runtime = current_app.extensions["runtime"]
        name, ids = _replay_request()
        queue = resolve_queue(runtime, name)
        try:
            replayed = replay_dead_letters(runtime.bus, queue, ids=ids, limit=MAX_LIMIT)
        except Exception as exc:
            raise _broker_unavailable(exc) from exc
        log.info("replayed %d dead letter(s) of %s", len(replayed), queue,
                 extra={"queue": queue, "request_id": g.get("request_id")})
        return {"replayed": len(replayed), "queue": queue,
                "ids": [letter.message_id for letter in replayed]}

    return bp


_PROBLEM = {"description": "an RFC 9457 problem", "content": {"application/problem+json": {
    "schema": {"type": "object", "required": ["type", "title", "status"], "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}}}}}}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_LETTER = {"type": "object", "required": ["id", "type", "subject", "error", "attempts", "dead_at"],
           "properties": {
               "id": {**_NULLABLE_TEXT, "description": "the CloudEvents id (message id)"},
               "type": {**_NULLABLE_TEXT, "description": "the event type (routing key)"},
               "subject": {**_NULLABLE_TEXT, "description": "the event's subject, when readable"},
               "error": {"type": "string", "description": "why the consumer gave up"},
               "attempts": {"type": "integer", "minimum": 0},
               "dead_at": {**_NULLABLE_TEXT, "format": "date-time"}}}


def dead_letter_openapi(prefix: str = "", security: str = "bearer") -> dict:
    """The OpenAPI 3.1 ``paths`` entries of the two endpoints, self-contained
    but for the security scheme ``security`` (an HTTP bearer scheme every
    service's document declares). ``prefix`` goes before ``/dead-letters``:
    empty when the document's server URL is ``/api/<service>/v1``."""
    bearer = [{security: []}]
    listing = {"type": "object", "required": ["queues"], "properties": {"queues": {
        "type": "array", "items": {
            "type": "object", "required": ["queue", "dead_letter_queue", "count", "messages"],
            "properties": {"queue": {"type": "string", "description": "the handler queue"},
                           "dead_letter_queue": {"type": "string"},
                           "count": {"type": "integer", "minimum": 0},
                           "messages": {"type": "array", "items": _LETTER}}}}}}
    replay_body = {"type": "object", "required": ["queue"], "additionalProperties": False,
                   "properties": {
                       "queue": {"type": "string", "minLength": 1,
                                 "description": "a handler queue (or its .dead queue)"},
                       "ids": {"type": "array", "minItems": 1,
                               "items": {"type": "string", "minLength": 1},
                               "description": "only these event ids (default: all)"}}}
    replayed = {"type": "object", "required": ["replayed"], "properties": {
        "replayed": {"type": "integer", "minimum": 0}, "queue": {"type": "string"},
        "ids": {"type": "array", "items": _NULLABLE_TEXT}}}
    return {
        f"{prefix}/dead-letters": {"get": {
            "operationId": "listDeadLetters", "security": bearer,
            "summary": "the service's dead-letter queues, with their first messages",
            "parameters": [{"name": "limit", "in": "query", "required": False,
                            "description": "messages shown per queue",
                            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                       "default": DEFAULT_LIMIT}}],
            "responses": {"200": {"description": "every dead-letter queue of the service",
                                  "content": {"application/json": {"schema": listing}}},
                          "401": _PROBLEM, "403": _PROBLEM, "422": _PROBLEM, "503": _PROBLEM}}},
        f"{prefix}/dead-letters/replay": {"post": {
            "operationId": "replayDeadLetters", "security": bearer,
            "summary": "send dead letters back to their handler queue",
            "description": "Replays every dead letter of the queue, or only those with the "
                           "given ids; the consumer's inbox keeps a replay idempotent.",
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": replay_body}}},
            "responses": {"200": {"description": "how many were replayed",
                                  "content": {"application/json": {"schema": replayed}}},
                          "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "422": _PROBLEM,
                          "503": _PROBLEM}}},
    }
