"""The delivery log of notify: failed e-mails first, with a resend button."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ..gateway import ServiceError
from .guard import bp, call, failure, fetch, record, requires, segment

STATE = {"queued": "In coda", "retry": "Nuovo tentativo", "sending": "In invio",
         "sent": "Inviata", "failed": "Non recapitata"}
TEMPLATES = {"confirmation_request": "Richiesta di conferma",
             "adhesion_confirmed": "Adesione confermata", "adhesion_updated": "Adesione modificata",
             "adhesion_withdrawn": "Adesione ritirata", "deadline_reminder": "Promemoria scadenza",
             "invitation_local_day": "Invito alla giornata locale",
             "invitation_webinar": "Invito al webinar", "session_reminder": "Promemoria incontro",
             "session_rescheduled": "Incontro spostato", "session_cancelled": "Incontro annullato",
             "assignment_cancelled": "Partecipazione annullata", "certificate": "Attestato"}


@bp.get("/invii")
@requires("viewer")
def deliveries():
    state = request.args.get("state", "failed")
    params = {"state": state if state != "all" else "", "limit": 200,
              "cursor": request.args.get("cursor", "")}
    found = fetch("notify", "/deliveries", {"items": [], "next": None}, params=params) or {}
    return render_template("deliveries.html", items=found.get("items", []),
                           next=found.get("next"), state=state, states=STATE,
                           templates=TEMPLATES)


@bp.post("/invii/<delivery_id>/reinvia")
@requires("operator")
def resend(delivery_id: str):
    try:
        new = call("POST", "notify", f"/deliveries/{segment(delivery_id)}/resend").json()
    except ServiceError as exc:
        flash(failure(exc), "error")
    else:
        record("resend-delivery", f"notify:delivery:{delivery_id}", new_delivery=new.get("id"))
        flash("Messaggio rimesso in coda per un nuovo invio.", "success")
    return redirect(url_for("ops.deliveries", state=request.form.get("state", "failed")))
