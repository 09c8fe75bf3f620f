"""Pages reached from the e-mail: confirm the adhesion (a page with a
button, so a mail scanner that opens links confirms nothing) and change or
withdraw it through its secret link."""
from __future__ import annotations

from flask import Blueprint, request

from .. import handlers, tokens
from ..adapters import repository as repo
from ..domain.errors import (AdhesionWithdrawn, EnrolmentClosed, EnrolmentError, ExpiredLink,
                             NotPending)
from ..domain.validation import check_changes
from ..edition import CURRENT
from . import pages
from .draft import Draft, empty_participant, form_errors

bp = Blueprint("enrolment_manage", __name__, template_folder="templates")

INVALID = ("Link non valido", "Il link non è valido o non è più in uso. Usa il link più recente "
                              "ricevuto per e-mail.")


def _own(adhesion_id: str, token: str):
    """The adhesion the manage token opens, or None."""
    from sqlalchemy.orm import Session
    with Session(pages.runtime().engine) as session:
        adhesion = repo.load(session, adhesion_id)
    if adhesion is None or not tokens.matches(token, adhesion["manage_token_hash"]):
        return None
    return adhesion


@bp.get("/adesione/<adhesion_id>/conferma")
def confirm_page(adhesion_id):
    token = request.args.get("token", "")
    try:
        adhesion = handlers.check_confirmation_link(pages.runtime(), adhesion_id, token)
    except NotPending:
        return pages.message("Adesione già confermata", "Questa adesione è già confermata.")
    except ExpiredLink as error:
        return pages.message("Link scaduto", error.detail, 410)
    except EnrolmentError:
        return pages.message(*INVALID, 404)
    return pages.render("confirm.html", adhesion=adhesion, token=token,
                        page_title="Conferma dell'adesione")


@bp.post("/adesione/<adhesion_id>/conferma")
def confirm(adhesion_id):
    if not pages.csrf_ok():
        return pages.message("Sessione scaduta", "Riapri il link di conferma dall'e-mail e "
                                                 "premi di nuovo il pulsante.", 400)
    try:
        adhesion = handlers.confirm_adhesion(pages.runtime(), adhesion_id,
                                             request.form.get("token", ""))
    except NotPending:
        return pages.message("Adesione già confermata", "Questa adesione è già confermata.")
    except ExpiredLink as error:
        return pages.message("Link scaduto", error.detail, 410)
    except EnrolmentError:
        return pages.message(*INVALID, 404)
    return pages.message("Adesione confermata",
                         f"Grazie: l'adesione di {adhesion['entity_name']} a {CURRENT.name} è "
                         "confermata. Riceverai per e-mail il calendario della giornata locale "
                         "e dei webinar.")


@bp.get("/adesione/<adhesion_id>")
def manage(adhesion_id):
    token = request.args.get("token", "")
    adhesion = _own(adhesion_id, token)
    if adhesion is None:
        return pages.message(*INVALID, 404)
    return _manage_page(adhesion, token)


def _manage_page(adhesion, token, draft: Draft | None = None, errors=None, status=200,
                 notice=None, focus=None, headers=None):
    return pages.render("manage.html", status, headers, adhesion=adhesion, token=token,
                        draft=draft or Draft.from_adhesion(adhesion), errors=errors or {},
                        notice=notice, focus=focus, page_title=(
                            "Errori nella modifica" if errors else "La tua adesione"))


@bp.post("/adesione/<adhesion_id>")
def act(adhesion_id):
    token = request.form.get("token", "")
    action = request.form.get("action", "")
    page_only = action == "add" or action.startswith("remove:")
    refused = None if page_only else pages.over_limit()
    adhesion = _own(adhesion_id, token)
    if adhesion is None:
        return pages.too_many_requests(refused) if refused else pages.message(*INVALID, 404)
    if not pages.csrf_ok():
        return _manage_page(adhesion, token, errors={
            "form": "La sessione è scaduta: ripeti l'operazione."}, status=400)
    if refused:
        draft = None if action in ("withdraw", "resend") else Draft.from_form(request.form,
                                                                                CURRENT)
        if draft is not None:
            draft.ente, draft.entity_code = adhesion["entity_name"], adhesion["entity_code"]
        return _manage_page(adhesion, token, draft, errors={"form": pages.TOO_MANY},
                            status=429, headers=refused)
    runtime = pages.runtime()
    try:
        if action == "withdraw":
            if request.form.get("withdraw_confirm") != "1":
                return _manage_page(adhesion, token, errors={
                    "withdraw_confirm": "Spunta la casella per confermare il ritiro."},
                    status=422, focus="withdraw_confirm")
            adhesion = handlers.withdraw_adhesion(runtime, adhesion_id)
            return _manage_page(adhesion, token, notice="L'adesione è stata ritirata.")
        if action == "resend":
            handlers.request_confirmation(runtime, adhesion_id)
            return _manage_page(adhesion, token, notice="Ti abbiamo inviato un nuovo link di "
                                                        "conferma; quello precedente non vale più.")
        draft = Draft.from_form(request.form, CURRENT)
        draft.ente, draft.entity_code = adhesion["entity_name"], adhesion["entity_code"]
        if action == "add" and len(draft.participants) < CURRENT.max_participants:
            draft.participants.append(empty_participant())
            return _manage_page(adhesion, token, draft,
                                focus=f"p-{len(draft.participants) - 1}-name")
        if action.startswith("remove:") and action[7:].isdecimal():
            index = int(action[7:])
            if index < len(draft.participants):
                draft.participants.pop(index)
            draft.participants = draft.participants or [empty_participant()]
            return _manage_page(adhesion, token, draft, focus="add-participant",
                                notice=f"Partecipante n. {index + 1} rimosso (non ancora "
                                       "salvato).")
        payload = draft.payload()
        checked = check_changes({k: payload[k] for k in ("contact", "participants",
                                                         "webinar_topics")}, CURRENT)
        if not checked.ok:
            return _manage_page(adhesion, token, draft, form_errors(checked.errors), 422)
        adhesion = handlers.update_adhesion(runtime, adhesion_id, checked.values)
        return _manage_page(adhesion, token, notice="Modifiche salvate.")
    except EnrolmentClosed:
        return _manage_page(adhesion, token, errors={"form": "Le adesioni sono chiuse: "
                                                             "non si possono più modificare."},
                            status=403)
    except AdhesionWithdrawn as error:
        return _manage_page(adhesion, token, errors={"form": error.detail}, status=409)
