"""What every console page relies on: the signed-in user, roles, CSRF, the
calls to the services in the user's name, and the audit log."""
from __future__ import annotations

import functools
import hmac
import re
import secrets
import urllib.parse
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)

from coalizione_common import clock

from .. import audit, users
from ..gateway import ServiceError

ROME = ZoneInfo("Europe/Rome")
ROLE_LABELS = {"amministratore": "Amministratore", "dirigente": "Dirigente",
               "funzionario": "Funzionario"}
SERVICE_NAMES = {"registry": "anagrafe degli enti", "enrolment": "adesioni",
                 "scheduling": "pianificazione", "notify": "comunicazioni"}

bp = Blueprint("ops", __name__, url_prefix="/ops", template_folder="templates",
               static_folder="static", static_url_path="/static")


def runtime():
    return current_app.extensions["runtime"]


@bp.before_request
def _load_user():
    g.user = None
    name = session.get("user")
    if not name:
        return
    issued = session.get("issued_at", 0)
    age_hours = (datetime.now(timezone.utc).timestamp() - issued) / 3600
    user = users.get_user(runtime(), name)
    if user is None or age_hours > runtime().config.session_hours or (
            user.sessions_valid_from is not None and issued < user.sessions_valid_from):
        session.clear()
        return
    g.user = user


@bp.before_request
def _check_csrf():
    if request.method != "POST" or request.endpoint == "ops.login":
        return
    sent = request.form.get("csrf_token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(400, "Modulo scaduto o non valido: ricarica la pagina e riprova.")


@bp.app_context_processor
def _template_globals():
    return {"csrf_token": session.get("csrf", ""), "user": g.get("user"),
            "when": italian_instant, "day": italian_day, "number": italian_number,
            "service_name": SERVICE_NAMES,
            "role_label": lambda role: ROLE_LABELS.get(role or "", role or "—")}


def start_session(user: users.User) -> None:
    session.clear()
    session.permanent = True
    session["user"] = user.username
    session["csrf"] = secrets.token_urlsafe(32)
    session["issued_at"] = datetime.now(timezone.utc).timestamp()


def requires(role: str = "viewer"):
    """A page for signed-in users with ``role`` (operator includes viewer)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if g.get("user") is None:
                return redirect(url_for("ops.login", next=request.full_path.rstrip("?")))
            if not g.user.can(role):
                return render_template("message.html", title="Accesso non consentito",
                                       message="Questa funzione è riservata agli operatori.",
                                       ), 403
            return view(*args, **kwargs)
        return wrapper
    return decorate


def segment(value: str) -> str:
    """An id as one segment of a service's path: nothing in it can add a
    query, a fragment or another segment."""
    return urllib.parse.quote(value, safe="")


def filename_part(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "", value)[:80] or "documento"


def not_found(title: str, message: str):
    return render_template("message.html", title=title, message=message), 404


def fetch_one(service: str, path: str, title: str, message: str):
    """GET one record: (its JSON, None), or (None, the page to show): "not
    found" only when the service says so, else why it failed (502)."""
    try:
        return call("GET", service, path).json(), None
    except ServiceError as exc:
        if exc.status == 404:
            return None, not_found(title, message)
        return None, (render_template("message.html", title="Servizio non disponibile",
                                      message=failure(exc)), 502)


def call(method: str, service: str, path: str, **kwargs):
    """Ask a service in the signed-in user's name; the reply, or raise
    :class:`ServiceError`."""
    gateway = runtime().gateway
    if gateway is None:
        raise ServiceError(service, 0, {"title": "not configured",
                                        "detail": "CONSOLE_API_URL non è impostato."})
    user = g.get("user")
    return gateway.call(method, service, path, actor=user.username if user else "",
                        role=user.role if user else "viewer",
                        request_id=g.get("request_id", ""), **kwargs)


def fetch(service: str, path: str, default=None, **kwargs):
    """GET a service's JSON; on failure flash why and return ``default``."""
    try:
        return call("GET", service, path, **kwargs).json()
    except ServiceError as exc:
        flash(failure(exc), "error")
        return default


_REFUSALS = {400: "richiesta non valida", 401: "accesso non autorizzato",
             403: "operazione non consentita al tuo ruolo", 404: "elemento non trovato",
             409: "lo stato è cambiato nel frattempo: ricarica la pagina",
             413: "dati troppo grandi", 422: "dati non validi",
             503: "servizio momentaneamente non disponibile"}


def failure(exc: ServiceError) -> str:
    """Why a service said no, in Italian: the enrolment's own words (it
    speaks Italian), the others' by status (their details are English)."""
    name = SERVICE_NAMES.get(exc.service, exc.service)
    if exc.status == 0:
        return f"Il servizio {name} non risponde: riprova fra qualche minuto."
    reason = _REFUSALS.get(exc.status, f"errore {exc.status}")
    detail = f": {exc.detail}" if exc.detail and exc.service == "enrolment" else ""
    return f"Il servizio {name} ha rifiutato la richiesta ({reason}){detail}."


def record(action: str, target: str, **detail) -> None:
    user = g.user
    audit.record(runtime(), actor=user.username, role=user.role, action=action, target=target,
                 detail=detail, request_id=g.get("request_id"), client=request.remote_addr)


def parse_instant(text: str | None) -> datetime | None:
    return clock.parse_instant(text) if text else None


def italian_instant(value) -> str:
    """An instant in Rome's time; a naive one (SQLite) is UTC."""
    value = parse_instant(value) if isinstance(value, str) else value
    return clock.as_utc(value).astimezone(ROME).strftime("%d/%m/%Y %H:%M") if value else "—"


def italian_day(value) -> str:
    """A day (``2017-06-20``) or the day of an instant in Rome's time."""
    if isinstance(value, str) and len(value) == 10:
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    value = parse_instant(value) if isinstance(value, str) else value
    return clock.as_utc(value).astimezone(ROME).strftime("%d/%m/%Y") if value else "—"


def italian_number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}".rstrip("0")  # 7,25 and 7,5 hours, as the certificates say
        return text.replace(",", "X").replace(".", ",").replace("X", ".")
    return f"{int(value):,}".replace(",", ".")
