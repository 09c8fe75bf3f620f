"""The funder's indicators (FAMI): figures on screen, CSV, XLSX and PDF."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for

from ..gateway import ServiceError
from .dashboard import KINDS
from .guard import ROLE_LABELS, bp, call, failure, fetch, record, requires

MIMETYPES = {"csv": "text/csv", "pdf": "application/pdf",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
LABELS = {"region": "Regione", "province": "Provincia", "kind": "Tipo di ente", "role": "Ruolo",
          "value": "Valore", "key": "Voce", "bodies": "Enti formati",
          "bodies_trained": "Enti formati", "people": "Persone formate",
          "people_trained": "Persone formate", "participant_hours": "Ore-persona",
          "sessions_held": "Sessioni svolte", "hours_delivered": "Ore erogate",
          "in_person": "Giornate in presenza", "webinar": "Webinar", "total": "Totale",
          "hours": "Ore"}
TOTALS_ORDER = ("people_trained", "bodies_trained", "sessions_held", "hours_delivered",
                "participant_hours")
VALUE_LABELS = {"kind": KINDS, "role": ROLE_LABELS}
SECTIONS = (("by_region", "Per regione"), ("by_province", "Per provincia"),
            ("by_kind", "Per tipo di ente"), ("by_role", "Per ruolo"))


@bp.get("/indicatori")
@requires("viewer")
def indicators():
    found = fetch("scheduling", "/indicators") or {}
    totals = found.get("totals") or {}
    ordered = {k: totals[k] for k in TOTALS_ORDER if k in totals}
    found["totals"] = ordered | {k: v for k, v in totals.items() if k not in ordered}
    sections = []
    for key, title in SECTIONS:
        rows = [{column: VALUE_LABELS.get(column, {}).get(value, value)
                 if isinstance(value, str) else value for column, value in row.items()}
                for row in found.get(key) or []]
        columns = sorted(rows[0].keys(), key=lambda c: isinstance(rows[0][c], (int, float))
                         ) if rows else []
        sections.append({"title": title, "columns": columns, "rows": rows})
    return render_template("indicators.html", found=found, sections=sections, labels=LABELS)


@bp.get("/indicatori.<fmt>")
@requires("viewer")
def indicators_file(fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    try:
        reply = call("GET", "scheduling", "/indicators", params={"format": fmt})
    except ServiceError as exc:
        flash(failure(exc), "error")
        return redirect(url_for("ops.indicators"))
    record("export-indicators", "scheduling:/indicators", format=fmt)
    return Response(reply.body, mimetype=MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="indicatori-fami.{fmt}"'})
