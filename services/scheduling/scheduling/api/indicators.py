"""The funder's indicators, /api/scheduling/v1/indicators (viewer), as
JSON, CSV, XLSX or a PDF summary (``format``)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from sqlalchemy.orm import Session

from coalizione_common.auth import require_role
from coalizione_common.http import Problem

from ..reports.indicator_files import indicators_csv, indicators_pdf, indicators_xlsx
from ..reports.indicators import compute

indicators = Blueprint("scheduling_indicators", __name__, url_prefix="/api/scheduling/v1")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx", "pdf")


def _file(body: bytes, mimetype: str, extension: str, day: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="indicatori-coalizione-{day}.{extension}"'})


@indicators.get("/indicators")
@require_role("viewer")
def get_indicators():
    kind = request.args.get("format", "json")
    if kind not in FORMATS:
        raise Problem(422, "validation", "Unknown format", "format is json, csv, xlsx or pdf.",
                      errors=[{"field": "format", "message": "one of json, csv, xlsx, pdf"}])
    runtime = current_app.extensions["runtime"]
    now = runtime.clock.now()
    with Session(runtime.engine) as db:
        figures = compute(db, now)
    day = figures["generated_at"][:10]
    if kind == "csv":
        return _file(indicators_csv(figures), "text/csv", "csv", day)
    if kind == "xlsx":
        return _file(indicators_xlsx(figures), XLSX, "xlsx", day)
    if kind == "pdf":
        return _file(indicators_pdf(figures, now), "application/pdf", "pdf", day)
    return figures
