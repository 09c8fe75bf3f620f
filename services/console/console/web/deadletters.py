"""The dead-letter queues of every service, with replay."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..gateway import ServiceError
from .guard import SERVICE_NAMES, bp, call, failure, record, requires


@bp.get("/code-errori")
@requires("viewer")
def deadletters():
    services, problems = [], []
    for service in SERVICE_NAMES:
        try:
            found = call("GET", service, "/dead-letters").json() or {}
        except ServiceError as exc:
            problems.append(failure(exc))
            continue
        services.append({"service": service, "queues": found.get("queues", [])})
    for problem in problems:
        flash(problem, "error")
    return render_template("deadletters.html", services=services)


@bp.post("/code-errori/<service>/riprova")
@requires("operator")
def replay(service: str):
    if service not in SERVICE_NAMES:
        return redirect(url_for("ops.deadletters"))
    queue = request.form.get("queue", "")
    ids = request.form.getlist("id")
    body = {"queue": queue} | ({"ids": ids} if ids else {})
    try:
        result = call("POST", service, "/dead-letters/replay", body=body).json() or {}
    except ServiceError as exc:
        flash(failure(exc), "error")
    else:
        record("replay-dead-letters", f"{service}:{queue}", ids=ids,
               replayed=result.get("replayed"))
        flash(f"Messaggi rimessi in coda: {result.get('replayed', 0)}.", "success")
    return redirect(url_for("ops.deadletters"))
