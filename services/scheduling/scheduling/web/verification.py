"""The public page that checks a certificate of attendance by its code:
``/verifica/<code>``, and ``/verifica`` (``?codice=``) with a form.
Italian, plain HTML, no script."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from sqlalchemy.orm import Session

from .. import certificates as issuing
from ..domain.certificate_codes import normalise
from ..reports.labels import KIND_LABELS, italian_date, italian_time, role_label
from ..reports.pdf import FUNDER, PROGRAMME

verification = Blueprint("scheduling_verification", __name__, template_folder="templates")


def _page(typed: str | None):
    """The form, and the outcome for ``typed`` when a code was given."""
    if typed is None or not typed.strip():
        return _render(None, None, ""), 200
    code = normalise(typed)
    row = None
    if code:
        with Session(current_app.extensions["runtime"].engine) as db:
            row = issuing.by_code(db, code)
    if row is None:
        return _render(None, code or typed.strip()[:40], typed.strip()[:40]), 404
    return _render(row, code, code), 200


def _render(row: dict | None, asked: str | None, typed: str) -> str:
    return render_template("verifica.html", certificate=row, asked=asked, typed=typed,
                           programme=PROGRAMME, funder=FUNDER, kinds=KIND_LABELS,
                           role_label=role_label, italian_date=italian_date,
                           italian_time=italian_time, parse=_parse)


def _parse(instant: str):
    from coalizione_common.clock import parse_instant
    return parse_instant(instant)


@verification.get("/verifica")
def form():
    return _page(request.args.get("codice"))


@verification.get("/verifica/<code>")
def verify(code):
    return _page(code)
