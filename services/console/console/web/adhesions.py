"""Adhesions: search, filters, one adhesion, exports."""
from __future__ import annotations

from flask import Response, abort, flash, render_template, request

from ..gateway import ServiceError
from .dashboard import KINDS, STATUSES
from .deliveries import STATE, TEMPLATES
from .guard import bp, call, failure, fetch, fetch_one, record, requires, segment

FILTERS = ("q", "status", "region", "province", "kind")
REGIONS = ("Abruzzo", "Basilicata", "Calabria", "Campania", "Emilia-Romagna",
           "Friuli-Venezia Giulia", "Lazio", "Liguria", "Lombardia", "Marche", "Molise",
           "Piemonte", "Puglia", "Sardegna", "Sicilia", "Toscana", "Trentino-Alto Adige/Südtirol",
           "Umbria", "Valle d'Aosta/Vallée d'Aoste", "Veneto")


def _filters() -> dict:
    return {name: request.args.get(name, "").strip() for name in FILTERS
            if request.args.get(name, "").strip()}


@bp.get("/adesioni")
@requires("viewer")
def adhesions():
    filters = _filters()
    found = fetch("enrolment", "/adhesions", {"items": []}, params=filters)
    items = (found or {}).get("items", [])
    record("view-adhesions", "enrolment:/adhesions", filters=filters, count=len(items))
    return render_template("adhesions.html", items=items, filters=filters, statuses=STATUSES,
                           kinds=KINDS, regions=REGIONS)


@bp.get("/adesioni/esporta.<fmt>")
@requires("viewer")
def export_adhesions(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    filters = _filters()
    try:
        reply = call("GET", "enrolment", "/adhesions", params={**filters, "format": fmt})
    except ServiceError as exc:
        flash(failure(exc), "error")
        return render_template("message.html", title="Esportazione non riuscita",
                               message=failure(exc)), 502
    record("export-adhesions", "enrolment:/adhesions", format=fmt, filters=filters)
    return Response(reply.body, mimetype=reply.headers.get("Content-Type"), headers={
        "Content-Disposition": reply.headers.get(
            "Content-Disposition", f'attachment; filename="adesioni.{fmt}"')})


@bp.get("/adesioni/<adhesion_id>")
@requires("viewer")
def adhesion(adhesion_id: str):
    found, page = fetch_one("enrolment", f"/adhesions/{segment(adhesion_id)}",
                            "Adesione non trovata", "Nessuna adesione con questo identificativo.")
    if found is None:
        return page
    deliveries = fetch("notify", "/deliveries", {"items": []},
                       params={"adhesion_id": adhesion_id}) or {"items": []}
    record("view-adhesion", f"enrolment:adhesion:{adhesion_id}")
    catalogue = (fetch("enrolment", "/topics", {"items": []}) or {}).get("items", [])
    return render_template("adhesion.html", a=found, statuses=STATUSES, kinds=KINDS,
                           deliveries=deliveries.get("items", []),
                           topics={t["id"]: t["title"] for t in catalogue},
                           templates=TEMPLATES, states=STATE)
