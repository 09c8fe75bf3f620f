"""GDPR requests of one person: what every service holds about them (to
read or download), and erasure on request.

The address travels only in POST bodies, to the console and from it to
enrolment: access logs record URLs, and no erasure reaches them."""
from __future__ import annotations

import json
import re

from flask import Response, flash, redirect, render_template, request, url_for

from ..gateway import ServiceError
from .guard import bp, call, failure, record, requires, runtime, segment

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
INVALID = "Inserisci un indirizzo e-mail valido, ad esempio nome.cognome@comune.it."


def _held(email: str) -> dict:
    """Everything the services hold about the person with this address;
    each service is asked for the person ids enrolment knows."""
    found = {"email": email, "enrolment": [], "scheduling": [], "notify": [], "errors": []}
    try:
        found["enrolment"] = call("POST", "enrolment", "/people/search",
                                  body={"email": email}).json().get("items", [])
    except ServiceError as exc:
        if exc.status != 404:
            found["errors"].append(failure(exc))
        return found
    for person_id in sorted({item["person_id"] for item in found["enrolment"]}):
        for service in ("scheduling", "notify"):
            try:
                held = call("GET", service, f"/people/{segment(person_id)}").json()
            except ServiceError as exc:
                if exc.status != 404:
                    found["errors"].append(failure(exc))
                continue
            found[service].append({"person_id": person_id, "data": held})
    return found


def _target(found: dict) -> str:
    """The audit names people by id, never by address: the log outlives an
    erasure and must not keep what was erased."""
    ids = sorted({item["person_id"] for item in found["enrolment"]})
    return "people:" + (",".join(ids) if ids else "none")


def _page(email: str = "", found: dict | None = None, error: str | None = None,
          status: int = 200):
    return render_template("privacy.html", email=email, found=found, error=error), status


@bp.get("/privacy")
@requires("operator")
def privacy():
    return _page()


@bp.post("/privacy")
@requires("operator")
def privacy_search():
    email = request.form.get("email", "").strip()
    if not EMAIL.match(email):
        return _page(email, error=INVALID, status=422)
    found = _shown(email)
    for problem in found["errors"]:
        flash(problem, "error")
    return _page(email, found)


def _shown(email: str) -> dict:
    """What the services hold about ``email``, looked up to be shown (a
    search, a refused erasure): recorded as a view."""
    found = _held(email)
    record("view-person", _target(found), matches=len(found["enrolment"]))
    return found


@bp.post("/privacy/esporta")
@requires("operator")
def privacy_export():
    email = request.form.get("email", "").strip()
    if not EMAIL.match(email):
        return _page(email, error=INVALID, status=422)
    found = _held(email)
    if found["errors"]:
        for problem in found["errors"]:
            flash(problem, "error")
        return _page(email, found, status=502)
    record("export-person", _target(found))
    document = {"exported_at": runtime().clock.now().isoformat(), **found}
    document.pop("errors")
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype="application/json", headers={
                        "Content-Disposition": 'attachment; filename="dati-personali.json"'})


@bp.post("/privacy/cancella")
@requires("operator")
def privacy_erase():
    email = request.form.get("email", "").strip()
    if not EMAIL.match(email):
        return _page(email, error=INVALID, status=422)
    if request.form.get("confirm") != "si":
        flash("Per cancellare i dati spunta la casella di conferma.", "error")
        return _page(email, _shown(email), status=422)
    try:
        result = call("POST", "enrolment", "/people/erasure", body={"email": email}).json()
    except ServiceError as exc:
        flash(failure(exc), "error")
        return _page(email, _shown(email), status=502)
    erased = result.get("erased") or []
    record("erase-person", "people:" + ",".join(
        sorted({p for e in erased for p in e.get("person_ids", [])})),
        reference=request.form.get("reason", "")[:100], erased=erased)
    flash(f"Dati personali cancellati in {len(erased)} adesioni; gli altri servizi li "
          "cancellano a loro volta entro pochi secondi.", "success")
    return redirect(url_for("ops.privacy"))
