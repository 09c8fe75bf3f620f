"""Operations API on the delivery log: list and read (viewer), resend
(operator)."""
from __future__ import annotations

import base64
import binascii
from datetime import datetime

from flask import Blueprint, current_app, request
from sqlalchemy import and_, or_, select

from coalizione_common.auth import require_role
from coalizione_common.http import Problem
from coalizione_common.clock import format_instant

from ..adapters.orm import deliveries
from ..deliveries import STATES, NotResendable, resend

bp = Blueprint("notify_deliveries", __name__, url_prefix="/api/notify/v1")

FILTERS = ("adhesion_id", "recipient_id", "subject_id", "template", "state")
PARAMETERS = FILTERS + ("limit", "cursor")
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
COLUMNS = [deliveries.c[name] for name in (
    "id", "template", "recipient_id", "adhesion_id", "subject_id", "event_id", "state",
    "attempts", "reason", "message_id", "resend_of", "next_attempt_at", "created_at",
    "updated_at", "sent_at")]


def _runtime():
    return current_app.extensions["runtime"]

def as_json(row) -> dict:
    """A delivery as the API shows it: never the address nor the message."""
    item = {c.name: getattr(row, c.name) for c in COLUMNS}
    for name in ("next_attempt_at", "created_at", "updated_at", "sent_at"):
        item[name] = format_instant(item[name])
    if item["state"] not in ("queued", "retry"):
        item["next_attempt_at"] = None
    return item


def _encode_cursor(row) -> str:
    raw = f"{format_instant(row.created_at)}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, did = raw.partition("|")
        return datetime.fromisoformat(created.replace("Z", "+00:00")), did
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Problem(422, "validation", "Invalid cursor",
                      "Use the 'next' value of a previous page.",
                      errors=[{"field": "cursor", "message": "not a cursor of this API"}])


def _parse(args) -> tuple[dict, int, str | None]:
    errors = []
    for name in args:
        if name not in PARAMETERS:
            errors.append({"field": name,
                           "message": "unknown parameter; accepted: " + ", ".join(PARAMETERS)})
    state = args.get("state")
    if state and state not in STATES:
        errors.append({"field": "state", "message": "one of " + ", ".join(STATES)})
    raw_limit = args.get("limit") or str(DEFAULT_LIMIT)
    if not raw_limit.isdecimal() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        errors.append({"field": "limit", "message": f"a whole number from 1 to {MAX_LIMIT}"})
    if errors:
        raise Problem(422, "validation", "Invalid query", "See errors.", errors=errors)
    filters = {name: args[name] for name in FILTERS if args.get(name)}
    return filters, int(raw_limit), args.get("cursor") or None


@bp.get("/deliveries")
@require_role("viewer")
def list_deliveries():
    """Newest first; filter by adhesion, recipient (person id or entity
    code), subject, template and state."""
    filters, limit, cursor = _parse(request.args)
    query = select(*COLUMNS)
    for name, value in filters.items():
        query = query.where(deliveries.c[name] == value)
    if cursor:
        created, did = _decode_cursor(cursor)
        query = query.where(or_(deliveries.c.created_at < created,
                                and_(deliveries.c.created_at == created, deliveries.c.id < did)))
    query = query.order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc()).limit(limit + 1)
    with _runtime().engine.connect() as conn:
        rows = conn.execute(query).all()
    page = rows[:limit]
    return {"items": [as_json(r) for r in page],
            "next": _encode_cursor(page[-1]) if len(rows) > limit else None}


def _one(delivery_id: str):
    with _runtime().engine.connect() as conn:
        row = conn.execute(select(*COLUMNS).where(deliveries.c.id == delivery_id)).first()
    if row is None:
        raise Problem(404, "not-found", "No such delivery", f"No delivery has id {delivery_id}.")
    return row


@bp.get("/deliveries/<delivery_id>")
@require_role("viewer")
def get_delivery(delivery_id: str):
    return as_json(_one(delivery_id))


@bp.post("/deliveries/<delivery_id>/resend")
@require_role("operator")
def resend_delivery(delivery_id: str):
    """Queue the same message again, as a new delivery with its own
    Message-ID, to the recipient's current address."""
    try:
        new_id = resend(_runtime(), delivery_id)
    except LookupError:
        raise Problem(404, "not-found", "No such delivery", f"No delivery has id {delivery_id}.")
    except NotResendable as exc:
        raise Problem(409, "not-resendable", "This delivery cannot be resent now", str(exc))
    return as_json(_one(new_id)), 202, {"Location": f"/api/notify/v1/deliveries/{new_id}"}
