"""GDPR requests of one person: what every service holds about them (to
read or download), and erasure on request."""
from __future__ import annotations

import json
import re

from flask import Response, flash, redirect, render_template, request, url_for

from ..gateway import ServiceError
from .guard import bp, call, failure, record, requires, runtime

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _held(email: str) -> dict:
    """Everything the services hold about the person with this address;
    each service is asked for the person ids enrolment knows."""
    found = {"email": email, "enrolment": [], "scheduling": [], "notify": [], "errors": []}
    try:
        found["enrolment"] = call("GET", "enrolment", "/people",
                                  params={"email": email}).json().get("items", [])
    except ServiceError as exc:
        if exc.status != 404:
            found["errors"].append(failure(exc))
        return found
    for person_id in sorted({item["person_id"] for item in found["enrolment"]}):
        for service in ("scheduling", "notify"):
            try:
                held = call("GET", service, f"/people/{person_id}").json()
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


@bp.get("/privacy")
@requires("operator")
def privacy():
    email = request.args.get("email", "").strip()
    if not email:
        return render_template("privacy.html", email="", found=None, error=None)
    if not EMAIL.match(email):
        return render_template("privacy.html", email=email, found=None,
                               error="Inserisci un indirizzo e-mail valido, "
                                     "ad esempio nome.cognome@comune.it."), 422
    found = _held(email)
    for problem in found["errors"]:
        flash(problem, "error")
    record("view-person", _target(found), matches=len(found["enrolment"]))
    return render_template("privacy.html", email=email, found=found, error=None)


@bp.get("/privacy/esporta")
@requires("operator")
def privacy_export():
    email = request.args.get("email", "").strip()
    if not EMAIL.match(email):
        return redirect(url_for("ops.privacy"))
    found = _held(email)
    if found["errors"]:
        for problem in found["errors"]:
            flash(problem, "error")
        return redirect(url_for("ops.privacy", email=email))
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
        flash("Indirizzo e-mail non valido.", "error")
        return redirect(url_for("ops.privacy"))
    if request.form.get("confirm") != "si":
        flash("Per cancellare i dati spunta la casella di conferma.", "error")
        return redirect(url_for("ops.privacy", email=email))
    try:
        result = call("POST", "enrolment", "/people/erasure", body={"email": email}).json()
    except ServiceError as exc:
        flash(failure(exc), "error")
        return redirect(url_for("ops.privacy", email=email))
    erased = result.get("erased") or []
    record("erase-person", "people:" + ",".join(
        sorted({p for e in erased for p in e.get("person_ids", [])})),
        reason=request.form.get("reason", "")[:300], erased=erased)
    flash(f"Dati personali cancellati in {len(erased)} adesioni; gli altri servizi li "
          "cancellano a loro volta entro pochi secondi.", "success")
    return redirect(url_for("ops.privacy"))
