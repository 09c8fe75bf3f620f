"""The public Scheda di adesione at ``/``: fill in, review, send.

Every step is a plain form POST, so it works without JavaScript; the
script only adds the typeahead. Whatever was typed comes back in the page,
with each error next to its field and a summary at the top.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, redirect, request, session, url_for

from .. import handlers
from ..domain.errors import AlreadyEnrolled, EnrolmentClosed, EnrolmentError
from ..domain.validation import check_submission
from ..edition import CURRENT
from . import entity_choice, pages
from .draft import Draft, empty_participant, form_errors, whose

bp = Blueprint("enrolment_form", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/enrolment")
bp.add_app_template_filter(whose, "whose")
bp.add_app_template_filter(entity_choice.label, "ente")
bp.add_app_template_filter(entity_choice.place, "ente_luogo")


def _closed(status: int = 200):
    return pages.message(
        "Adesioni chiuse",
        f"Le adesioni a {CURRENT.name} si sono chiuse il {pages.italian_date(CURRENT.deadline)}. "
        "Chi ha già aderito può ancora ritirare l'adesione dal link ricevuto per e-mail.",
        status, closed=True)


def _form(draft: Draft, errors: dict | None = None, choice=None, status: int = 200,
          focus: str | None = None, notice: str | None = None, headers: dict | None = None):
    errors = errors or {}
    return pages.render("form.html", status, headers, draft=draft, errors=errors, choice=choice,
                        focus=focus, notice=notice, page_title=(
                            "Errori nella scheda di adesione" if errors else "Scheda di adesione"))


def _resolve(draft: Draft):
    with pages.runtime().engine.connect() as conn:
        choice = entity_choice.resolve(conn, draft.ente, draft.entity_code)
    if choice.entity is not None:
        draft.entity_code = choice.entity.code
        draft.ente = entity_choice.label(choice.entity)
    else:
        draft.entity_code = ""
    return choice


def _check(draft: Draft):
    """(choice, errors by field id) for a review or a submission."""
    choice = _resolve(draft)
    checked = check_submission(draft.payload(), CURRENT)
    errors = form_errors([e for e in checked.errors if e["field"] != "entity_code"])
    if choice.error:
        errors = {"ente": choice.error, **errors}
    elif not choice.entity.eligible:
        errors = {"ente": f"{choice.entity.name} non può aderire: "
                          f"{choice.entity.eligibility_reason}", **errors}
    return choice, errors


@bp.get("/")
def scheda():
    if not pages.is_open():
        return _closed()
    return _form(Draft())


@bp.post("/")
def act():
    if not pages.is_open():
        return _closed(403)
    draft = Draft.from_form(request.form, CURRENT)
    action = request.form.get("action", "review")
    if pages.honeypot_filled():
        # A bot, or a browser that filled in the hidden field: nothing is
        # accepted, and a person finds the form as they left it.
        return _form(draft, {"form": "La richiesta non è stata accettata: controlla i dati e "
                                     "premi di nuovo «Continua»."}, _resolve(draft), 400)
    if not pages.csrf_ok():
        return _form(draft, {"form": "La sessione è scaduta: controlla i dati e premi di nuovo "
                                     "«Continua»."}, _resolve(draft), 400)
    if action == "add":
        if len(draft.participants) >= CURRENT.max_participants:
            return _form(draft, {"participants": f"Al massimo {CURRENT.max_participants} "
                                                 "partecipanti per ente."}, _resolve(draft))
        draft.participants.append(empty_participant())
        return _form(draft, choice=_resolve(draft),
                     focus=f"p-{len(draft.participants) - 1}-name")
    if action.startswith("remove:"):
        index = int(action.split(":", 1)[1]) if action.split(":", 1)[1].isdecimal() else -1
        if 0 <= index < len(draft.participants):
            draft.participants.pop(index)
        if not draft.participants:
            draft.participants.append(empty_participant())
        return _form(draft, choice=_resolve(draft), focus="add-participant",
                     notice=f"Partecipante n. {index + 1} rimosso.")
    if action == "edit":
        return _form(draft, choice=_resolve(draft))
    refused = pages.over_limit()
    if refused:
        return _form(draft, {"form": pages.TOO_MANY}, _resolve(draft), 429, headers=refused)
    choice, errors = _check(draft)
    if errors:
        return _form(draft, errors, choice, 422)
    if action == "review":
        return pages.render("review.html", draft=draft, entity=choice.entity,
                            page_title="Riepilogo della scheda di adesione")
    return _send(draft, choice)


def _send(draft: Draft, choice):
    checked = check_submission(draft.payload(), CURRENT)
    try:
        submitted = handlers.submit_adhesion(pages.runtime(), checked.values)
    except EnrolmentClosed:
        return _closed(403)
    except AlreadyEnrolled as error:
        return _form(draft, {"ente": error.detail}, choice, 409)
    except EnrolmentError as error:
        return _form(draft, {"ente": error.detail}, choice, 422)
    session["sent"] = {"entity": draft.ente, "email": checked.values["contact"]["email"],
                       "entity_code": checked.values["entity_code"],
                       "id": submitted.adhesion["id"],
                       "expires": submitted.adhesion["confirm_expires_at"].isoformat()}
    return redirect(url_for(".sent"), 303)


@bp.get("/adesione/inviata")
def sent():
    sent = session.get("sent")
    if not sent:
        return redirect(url_for(".scheda"), 303)
    expires = datetime.fromisoformat(sent["expires"]) if sent.get("expires") else \
        pages.runtime().clock.now() + timedelta(hours=pages.runtime().enrolment.confirm_ttl_hours)
    return pages.render("sent.html", sent=sent, sent_expires=expires,
                        page_title="Adesione inviata")


@bp.post("/adesione/nuovo-link")
def new_link():
    """Send the confirmation e-mail again to the contact on file; the same
    answer whether or not there is a pending adhesion."""
    if not pages.csrf_ok() or pages.honeypot_filled():
        return pages.message("Richiesta non valida", "Ricarica la pagina e riprova.", 400)
    code = request.form.get("entity_code", "").strip()
    if code:
        handlers.request_confirmation_for_entity(pages.runtime(), code)
    return pages.message("Richiesta ricevuta",
                         "Se l'ente ha un'adesione in attesa di conferma, il referente indicato "
                         "nella scheda riceverà a breve un nuovo link di conferma. Il link "
                         "precedente non è più valido.")
