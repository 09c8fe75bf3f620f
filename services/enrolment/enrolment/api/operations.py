"""Operations: list and export adhesions, and the funder's figures."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import timedelta

from flask import Blueprint, Response, request
from sqlalchemy import select

from coalizione_common.auth import require_role
from coalizione_common.http import Problem
from coalizione_common.clock import as_utc

from ..adapters import repository as repo
from ..adapters.orm import ACTIVE_STATUSES, adhesions
from ..domain.text import fold
from ..edition import CURRENT, ROME
from ..events import instant
from .common import PREFIX, represent, runtime

bp = Blueprint("enrolment_operations", __name__, url_prefix=PREFIX)

STATUSES = ("pending_confirmation", "confirmed", "withdrawn")
COLUMNS = ("id", "status", "entity_code", "entity_name", "entity_kind", "province", "region",
           "population", "contact_name", "contact_role", "contact_email", "contact_phone",
           "participants", "amministratori", "dirigenti", "funzionari", "webinar_topics",
           "submitted_at", "confirmed_at", "withdrawn_at")
PARTICIPANT_COLUMNS = ("adhesion_id", "entity_code", "entity_name", "province", "region",
                       "participant_id", "name", "role", "email", "office")


def _selected() -> list[dict]:
    """The adhesions of the current edition that pass the query's filters
    (``q``: a piece of the body's name, accents and case ignored)."""
    status = request.args.get("status") or None
    errors = []
    if status and status not in STATUSES:
        errors.append({"field": "status", "message": f"Uno tra: {', '.join(STATUSES)}."})
    fmt = request.args.get("format") or "json"
    if fmt not in ("json", "csv", "xlsx"):
        errors.append({"field": "format", "message": "Uno tra: json, csv, xlsx."})
    if errors:
        raise Problem(422, "validation", "Dati non validi", "Filtri non validi.", errors=errors)
    statement = select(adhesions).where(adhesions.c.edition == CURRENT.id)
    if status:
        statement = statement.where(adhesions.c.status == status)
    if request.args.get("region"):
        statement = statement.where(adhesions.c.region == request.args["region"])
    if request.args.get("kind"):
        statement = statement.where(adhesions.c.entity_kind == request.args["kind"])
    if request.args.get("province"):
        statement = statement.where(adhesions.c.province == request.args["province"].upper())
    statement = statement.order_by(adhesions.c.submitted_at, adhesions.c.id)
    wanted = fold(request.args.get("q", ""))
    with runtime().engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(statement)
                if not wanted or wanted in fold(r.entity_name)]
        found = repo.people_of(conn, [r["id"] for r in rows])
    for row in rows:
        row["webinar_topics"] = json.loads(row["webinar_topics"])
        row.update(found.get(row["id"], {"contact": None, "participants": []}))
    return rows


def _flat(adhesion: dict) -> dict:
    doc = represent(adhesion)
    contact = adhesion["contact"] or {}
    counts = doc["participants_by_role"]
    return {"id": doc["id"], "status": doc["status"], "entity_code": adhesion["entity_code"],
            "entity_name": adhesion["entity_name"], "entity_kind": adhesion["entity_kind"],
            "province": adhesion["province"], "region": adhesion["region"],
            "population": adhesion["population"], "contact_name": contact.get("name"),
            "contact_role": contact.get("role"), "contact_email": contact.get("email"),
            "contact_phone": contact.get("phone"), "participants": len(adhesion["participants"]),
            "amministratori": counts["amministratore"], "dirigenti": counts["dirigente"],
            "funzionari": counts["funzionario"],
            "webinar_topics": " ".join(adhesion["webinar_topics"]),
            "submitted_at": doc["submitted_at"], "confirmed_at": doc["confirmed_at"],
            "withdrawn_at": doc["withdrawn_at"]}


def _participant_rows(rows):
    for a in rows:
        for p in a["participants"]:
            yield {"adhesion_id": a["id"], "entity_code": a["entity_code"],
                   "entity_name": a["entity_name"], "province": a["province"],
                   "region": a["region"], "participant_id": p["id"], "name": p["name"],
                   "role": p["role"], "email": p["email"], "office": p["office"]}


@bp.get("/adhesions")
@require_role("viewer")
def list_adhesions():
    rows = _selected()
    fmt = request.args.get("format") or "json"
    stamp = runtime().clock.now().strftime("%Y%m%d")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: _as_text(v) for k, v in _flat(r).items()} for r in rows)
        return Response("\ufeff" + out.getvalue(), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="adesioni-{stamp}.csv"'})
    if fmt == "xlsx":
        return Response(_xlsx(rows), headers={
            "Content-Disposition": f'attachment; filename="adesioni-{stamp}.xlsx"'},
            mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return {"items": [represent(r) for r in rows], "next": None}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _as_text(value):
    """A value typed on the public form as a spreadsheet shows it: text
    that a spreadsheet would run as a formula (``=HYPERLINK(...)``, and
    ``+``, ``-``, ``@`` for Excel) gets a leading apostrophe (OWASP's
    advice for CSV)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _xlsx(rows) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    book = Workbook(write_only=True)

    def cells(sheet, values):
        """Strings stay strings: openpyxl would store one starting with
        '=' as a formula."""
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
            out.append(cell)
        return out

    sheet = book.create_sheet("Adesioni")
    sheet.append(list(COLUMNS))
    for row in rows:
        flat = _flat(row)
        sheet.append(cells(sheet, [flat[c] for c in COLUMNS]))
    people = book.create_sheet("Partecipanti")
    people.append(list(PARTICIPANT_COLUMNS))
    for row in _participant_rows(rows):
        people.append(cells(people, [row[c] for c in PARTICIPANT_COLUMNS]))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@bp.get("/stats")
@require_role("viewer")
def stats():
    """Bodies and participants of the active adhesions (pending or
    confirmed) by region, province, kind and role, and those adhesions by
    the day they were submitted."""
    statement = select(adhesions).where(adhesions.c.edition == CURRENT.id,
                                        adhesions.c.status.in_(ACTIVE_STATUSES))
    with runtime().engine.connect() as conn:
        rows = conn.execute(statement).all()
        found = repo.people_of(conn, [r.id for r in rows])
    bodies = {"total": len(rows), "by_status": Counter(), "by_region": Counter(),
              "by_province": Counter(), "by_kind": Counter()}
    participants = {"total": 0, "by_region": Counter(), "by_province": Counter(),
                    "by_kind": Counter(), "by_role": Counter({r: 0 for r in CURRENT.roles})}
    by_region_and_role: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        bodies["by_status"][row.status] += 1
        bodies["by_region"][row.region or ""] += 1
        bodies["by_province"][row.province or ""] += 1
        bodies["by_kind"][row.entity_kind] += 1
        for person in found.get(row.id, {"participants": []})["participants"]:
            participants["total"] += 1
            participants["by_region"][row.region or ""] += 1
            participants["by_province"][row.province or ""] += 1
            participants["by_kind"][row.entity_kind] += 1
            participants["by_role"][person["role"]] += 1
            by_region_and_role[row.region or ""][person["role"]] += 1
    participants["by_region_and_role"] = {k: dict(v) for k, v in sorted(by_region_and_role.items())}
    return {"edition": CURRENT.id, "as_of": runtime().clock.now().isoformat(),
            "deadline": instant(CURRENT.deadline),
            "by_day": _by_day(row.submitted_at for row in rows),
            "bodies": {k: dict(sorted(v.items())) if isinstance(v, Counter) else v
                       for k, v in bodies.items()},
            "participants": {k: dict(sorted(v.items())) if isinstance(v, Counter) else v
                             for k, v in participants.items()}}


def _by_day(instants) -> list[dict]:
    """Adhesions per Europe/Rome date, every day from the first to the last
    (days without any included), with the running total."""
    days = Counter(as_utc(i).astimezone(ROME).date() for i in instants)
    if not days:
        return []
    out, total, day = [], 0, min(days)
    while day <= max(days):
        total += days[day]
        out.append({"date": day.isoformat(), "submitted": days[day], "cumulative": total})
        day += timedelta(days=1)
    return out
