"""The audit log page: who in the office saw or changed what."""
from __future__ import annotations

from flask import render_template, request

from .. import audit
from .guard import bp, runtime, requires

PAGE = 100
ACTIONS = {"login": "Accesso", "login-refused": "Accesso rifiutato", "logout": "Uscita",
           "view-adhesions": "Elenco adesioni", "view-adhesion": "Scheda di un'adesione",
           "export-adhesions": "Esportazione adesioni", "view-session": "Sessione",
           "mark-attendance": "Presenze", "issue-certificates": "Emissione attestati",
           "view-certificates": "Attestati", "download-register": "Registro presenze",
           "export-indicators": "Esportazione indicatori", "resend-delivery": "Nuovo invio",
           "replay-dead-letters": "Rielaborazione messaggi in errore",
           "view-person": "Ricerca dati personali", "export-person": "Esportazione dati personali",
           "erase-person": "Cancellazione dati personali"}
ROLES = {"operator": "Operatore", "viewer": "Consultazione"}


@bp.get("/registro-accessi")
@requires("operator")
def audit_log():
    actor = request.args.get("actor", "").strip().lower()
    action = request.args.get("action", "").strip()
    raw = request.args.get("page", "1")
    page = min(max(int(raw) if raw.isdecimal() and len(raw) < 8 else 1, 1), 10 ** 6)
    rows, total = audit.entries(runtime(), actor=actor, action=action, limit=PAGE,
                                offset=(page - 1) * PAGE)
    return render_template("audit.html", rows=rows, total=total, page=page,
                           pages=max((total + PAGE - 1) // PAGE, 1), actor=actor, action=action,
                           actions=ACTIONS, roles=ROLES)
