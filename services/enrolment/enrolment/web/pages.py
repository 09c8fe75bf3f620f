"""What every public page shares: CSRF, honeypot, Italian dates, headers."""
from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from flask import current_app, render_template, request, session

from ..edition import CURRENT, ROME

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
          "settembre", "ottobre", "novembre", "dicembre")
HONEYPOT = "website"


def runtime():
    return current_app.extensions["runtime"]


def italian_date(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    local = value.astimezone(ROME)
    text = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    return f"{text}, ore {local:%H:%M}" if with_time else text


def csrf_token() -> str:
    """The token bound to this browser's session."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok() -> bool:
    sent, kept = request.form.get("csrf_token", ""), session.get("csrf", "")
    return bool(sent and kept) and hmac.compare_digest(sent.encode(), kept.encode())


def honeypot_filled() -> bool:
    return bool(request.form.get(HONEYPOT, "").strip())


def over_limit() -> dict | None:
    """Count this request against the client's limit (see app.py); the
    headers of a 429 when it is over, else None."""
    return current_app.extensions["enrolment_rate_limiter"].refusal(request.remote_addr or "?")


TOO_MANY = ("Da questo indirizzo sono arrivate troppe richieste in poco tempo: i dati non sono "
            "stati inviati. Attendi un minuto e premi di nuovo il pulsante; quello che hai "
            "scritto è ancora qui.")


def too_many_requests(headers: dict):
    return message("Troppe richieste",
                   "Da questo indirizzo sono arrivate troppe richieste in poco tempo. "
                   "Attendi un minuto e riprova: i dati inseriti non sono stati inviati.",
                   429, headers)


def is_open() -> bool:
    return CURRENT.is_open(runtime().clock.now())


def render(template: str, status: int = 200, headers: dict | None = None, **context):
    clock = runtime().clock
    context.setdefault("page_title", "Scheda di adesione")
    settings = runtime().enrolment
    body = render_template(template, edition=CURRENT, csrf_token=csrf_token(),
                           honeypot=HONEYPOT, simulated_now=clock.now() if clock.pinned else None,
                           italian_date=italian_date, enrolment_open=is_open(),
                           privacy_contact=settings.privacy_contact,
                           dpo_contact=settings.dpo_contact, **context)
    return body, status, {
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                   "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store", **(headers or {})}


def message(title: str, text: str, status: int = 200, headers: dict | None = None, **context):
    return render("message.html", status, headers, page_title=title, title=title, text=text,
                  **context)
