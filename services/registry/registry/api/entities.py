"""Public API: search (typeahead) and lookup by code."""
from __future__ import annotations

import re

from flask import Blueprint, current_app, request

from coalizione_common.http import Problem

from ..domain.entity import KINDS
from ..domain.text import fold
from ..handlers import get_entity
from ..search import BadCursor, Filters, decode_cursor, encode_cursor

bp = Blueprint("registry_entities", __name__, url_prefix="/api/registry/v1")

PARAMETERS = ("q", "region", "province", "kind", "eligible", "limit", "cursor")
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
MAX_Q = 100
_SIGLA = re.compile(r"^[A-Za-z]{2}\Z")
_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _runtime():
    return current_app.extensions["runtime"]


def parse_search(args) -> tuple[str, Filters, int, tuple | None]:
    """Validate the query string; every problem is reported at once (400)."""
    errors = []
    for name in args:
        if name not in PARAMETERS:
            errors.append({"field": name, "message": "unknown parameter; accepted: "
                                                     + ", ".join(PARAMETERS)})
        elif len(args.getlist(name)) > 1:
            errors.append({"field": name, "message": "give this parameter once"})
    q = args.get("q", "")
    if len(q) > MAX_Q:
        errors.append({"field": "q", "message": f"at most {MAX_Q} characters"})
    region = args.get("region") or None
    if region is not None and len(region) > 60:
        errors.append({"field": "region", "message": "at most 60 characters"})
    province = args.get("province") or None
    if province is not None and not _SIGLA.match(province):
        errors.append({"field": "province", "message": "a two-letter sigla, e.g. FC"})
    kind = args.get("kind") or None
    if kind is not None and kind not in KINDS:
        errors.append({"field": "kind", "message": "one of " + ", ".join(KINDS)})
    eligible = args.get("eligible") or None
    if eligible is not None and eligible.lower() not in _BOOLEANS:
        errors.append({"field": "eligible", "message": "true or false"})
    raw_limit = args.get("limit") or str(DEFAULT_LIMIT)
    limit = DEFAULT_LIMIT
    if not raw_limit.isdecimal() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        errors.append({"field": "limit", "message": f"a whole number from 1 to {MAX_LIMIT}"})
    else:
        limit = int(raw_limit)
    after = None
    if args.get("cursor"):
        try:
            after = decode_cursor(args["cursor"])
        except BadCursor as exc:
            errors.append({"field": "cursor", "message": str(exc)})
    if errors:
        raise Problem(400, "bad-request", "Invalid query parameters",
                      "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
    filters = Filters(kind=kind, region=fold(region) if region else None,
                      province=province.upper() if province else None,
                      eligible=_BOOLEANS[eligible.lower()] if eligible else None)
    return q, filters, limit, after


@bp.get("/entities")
def search_entities():
    q, filters, limit, after = parse_search(request.args)
    items, last = _runtime().search.snapshot().search(q, filters, limit, after)
    return {"items": items, "next": encode_cursor(last) if last else None}


@bp.get("/entities/<code>")
def entity(code: str):
    doc = get_entity(_runtime(), code)
    if doc is None:
        raise Problem(404, "not-found", "Unknown entity",
                      f"No comune or body has the code {code!r}.", code=code)
    return doc
