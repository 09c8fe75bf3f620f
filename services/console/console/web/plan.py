"""The plan: local days and webinars with capacity and fill; one session's
register (PDF), presence marking and certificates."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from ..gateway import ServiceError
from .guard import (bp, call, failure, fetch, fetch_one, filename_part, record, requires,
                    segment)

KIND = {"in_person": "Giornata in presenza", "webinar": "Webinar"}
STATUS = {"proposed": "Proposta", "scheduled": "Programmata", "published": "Pubblicata",
          "cancelled": "Annullata", "held": "Svolta"}


@bp.get("/piano")
@requires("viewer")
def plan():
    kind = request.args.get("kind", "")
    found = fetch("scheduling", "/sessions", {"items": []}, params={"kind": kind}) or {}
    items = found.get("items", [])
    for item in items:
        capacity = item.get("capacity") or 0
        item["fill"] = round(100 * (item.get("participants") or 0) / capacity) if capacity else 0
    return render_template("plan.html", items=items, kind=kind, kinds=KIND, statuses=STATUS)


@bp.get("/piano/<session_id>")
@requires("viewer")
def session_page(session_id: str):
    found, page = fetch_one("scheduling", f"/sessions/{segment(session_id)}",
                            "Sessione non trovata", "Nessuna sessione con questo identificativo.")
    if found is None:
        return page
    people = (fetch("scheduling", f"/sessions/{segment(session_id)}/participants", {"items": []})
              or {}).get("items", [])
    certificates = (fetch("scheduling", "/certificates", {"items": []},
                          params={"session_id": session_id}) or {}).get("items", [])
    record("view-session", f"scheduling:session:{session_id}", participants=len(people))
    return render_template("session.html", s=found, people=people, certificates=certificates,
                           kinds=KIND, statuses=STATUS)


@bp.get("/piano/<session_id>/registro.pdf")
@requires("viewer")
def register(session_id: str):
    try:
        reply = call("GET", "scheduling", f"/sessions/{segment(session_id)}/register.pdf")
    except ServiceError as exc:
        flash(failure(exc), "error")
        return redirect(url_for("ops.session_page", session_id=session_id))
    record("download-register", f"scheduling:session:{session_id}")
    return Response(reply.body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="registro-{filename_part(session_id)}.pdf"'})


@bp.post("/piano/<session_id>/presenze")
@requires("operator")
def mark_presence(session_id: str):
    ids = request.form.getlist("participant_id")
    present = set(request.form.getlist("present"))
    records = [{"participant_id": pid, "present": pid in present} for pid in ids]
    if not records:
        flash("Nessun partecipante da registrare.", "error")
        return redirect(url_for("ops.session_page", session_id=session_id))
    try:
        call("PUT", "scheduling", f"/sessions/{segment(session_id)}/attendance",
             body={"records": records})
    except ServiceError as exc:
        flash(failure(exc), "error")
    else:
        record("mark-attendance", f"scheduling:session:{session_id}",
               present=sorted(present), absent=sorted(set(ids) - present))
        flash(f"Presenze registrate: {len(present)} presenti, "
              f"{len(records) - len(present)} assenti.", "success")
    return redirect(url_for("ops.session_page", session_id=session_id))


@bp.post("/piano/<session_id>/attestati")
@requires("operator")
def issue_certificates(session_id: str):
    try:
        result = call("POST", "scheduling", "/certificates",
                      body={"session_id": session_id}).json()
    except ServiceError as exc:
        flash(failure(exc), "error")
    else:
        issued = result.get("issued") or []
        record("issue-certificates", f"scheduling:session:{session_id}",
               certificates=[c.get("id") for c in issued])
        flash(f"Attestati emessi: {len(issued)}; già emessi in precedenza: "
              f"{result.get('already_issued', 0)}. Gli attestati partono per e-mail.", "success")
    return redirect(url_for("ops.session_page", session_id=session_id))


@bp.get("/attestati")
@requires("viewer")
def certificates():
    found = fetch("scheduling", "/certificates", {"items": []}) or {}
    items = found.get("items", [])
    record("view-certificates", "scheduling:/certificates", count=len(items))
    return render_template("certificates.html", items=items)


@bp.post("/attestati")
@requires("operator")
def issue_all_certificates():
    try:
        result = call("POST", "scheduling", "/certificates", body={}).json()
    except ServiceError as exc:
        flash(failure(exc), "error")
    else:
        issued = result.get("issued") or []
        record("issue-certificates", "scheduling:/certificates",
               certificates=[c.get("id") for c in issued])
        flash(f"Attestati emessi: {len(issued)}; già emessi in precedenza: "
              f"{result.get('already_issued', 0)}.", "success")
    return redirect(url_for("ops.certificates"))
