"""HTTP conventions shared by the services: RFC 9457 problem details,
request ids, and the health and readiness endpoints of the contract."""
from __future__ import annotations

import gc
import logging
import time
import uuid
from typing import Callable

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.json.provider import DefaultJSONProvider
from markupsafe import escape
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("coalizione.http")

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """An error the API reports as problem+json; ``kind`` is the last
    segment of the ``type`` URI."""

    def __init__(self, status: int, kind: str, title: str, detail: str = "", **extra):
        super().__init__(detail or title)
        self.status, self.kind, self.title, self.detail, self.extra = status, kind, title, detail, extra


def problem_response(status: int, kind: str, title: str, detail: str = "", **extra):
    body = {"type": f"/problems/{kind}", "title": title, "status": status, "detail": detail}
    body.update(extra)
    if getattr(g, "request_id", None):
        body["request_id"] = g.request_id
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


_HTTP_KINDS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
               405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
               415: "unsupported-media-type", 422: "validation", 429: "too-many-requests"}


def install_conventions(app: Flask, service: str) -> None:
    """Request ids, access logs and problem+json for every error."""

    @app.before_request
    def _start():
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s", request.method, request.path, response.status_code,
                 extra={"request_id": g.get("request_id"), "status": response.status_code,
                        "ms": round(elapsed, 2), "service": service})
        return response

    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem_response(exc.status, exc.kind, exc.title, exc.detail, **exc.extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        if wants_page():
            # abort(400, "...") with our own (Italian) words: shown as they are.
            custom = exc.description != getattr(type(exc), "description", None)
            return error_page(exc.code or 500, exc.description if custom else None)
        kind = _HTTP_KINDS.get(exc.code or 500, "error")
        return problem_response(exc.code or 500, kind, exc.name, exc.description or "")

    @app.errorhandler(DataError)
    def _refused_by_the_database(exc: DataError):
        """A value the database cannot store (a NUL character in a text,
        a number out of range): the request's fault, and nothing was written."""
        log.warning("value refused by the database: %s", exc.orig,
                    extra={"request_id": g.get("request_id")})
        if wants_page():
            return error_page(400)
        return problem_response(400, "bad-request", "Bad Request",
                                "A value of the request cannot be stored (for instance a NUL "
                                "character in a text).")

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error", extra={"request_id": g.get("request_id")})
        if wants_page():
            return error_page(500)
        return problem_response(500, "internal", "Internal Server Error",
                                "An unexpected error occurred; it has been logged.")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, where a document nested too deeply to parse is invalid
    JSON (a 400) rather than a RecursionError (a 500)."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def wants_page() -> bool:
    """A browser on a public page (not under ``/api/``): it gets an Italian
    page rather than problem+json."""
    return not request.path.startswith("/api/") and request.accept_mimetypes.best_match(
        ("application/json", PROBLEM_JSON, "text/html")) == "text/html"


_PAGES = {
    404: ("Pagina non trovata", "L'indirizzo non corrisponde a nessuna pagina. Se l'hai "
          "copiato da un'e-mail, controlla che sia completo."),
    405: ("Operazione non consentita", "Questa pagina non accetta l'operazione richiesta. "
          "Torna alla pagina precedente e riprova."),
    413: ("Dati troppo grandi", "I dati inviati superano la dimensione consentita."),
    429: ("Troppe richieste", "Hai inviato molte richieste in poco tempo. Attendi qualche "
          "minuto e riprova."),
    500: ("Errore imprevisto", "Si è verificato un errore imprevisto, già registrato. "
          "Riprova tra qualche minuto."),
}


def error_page(status: int, detail: str | None = None):
    """The Italian page of an HTTP error (``detail``, when given, in place
    of the standard text), with a way back: the console's home for its
    pages, else the Scheda."""
    title, text = _PAGES.get(status, ("Richiesta non valida", "La richiesta non può essere "
                                      "soddisfatta. Torna alla pagina precedente e riprova."))
    home, home_text = (("/ops/", "Torna alla console") if request.path.startswith("/ops")
                       else ("/", "Vai alla Scheda di adesione"))
    reference = g.get("request_id", "")
    page = (f'<!doctype html><html lang="it"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{title} - CO-AliZIONE</title></head><body>'
            f'<main><h1>{title}</h1><p>{escape(detail or text)}</p>'
            f'<p><a href="{home}">{home_text}</a></p>'
            f'<p><small>Codice di errore {status}, riferimento {escape(reference)}</small></p>'
            f'</main></body></html>')
    return Response(page, status=status, mimetype="text/html")


def health_blueprint(service: str, checks: dict[str, Callable[[], None]]) -> Blueprint:
    """``/api/<service>/v1/healthz`` (the process answers) and ``readyz``
    (every check passes: its database, its broker)."""
    bp = Blueprint(f"{service}_health", __name__)

    @bp.get(f"/api/{service}/v1/healthz")
    def healthz():
        return {"status": "ok", "service": service}

    @bp.get(f"/api/{service}/v1/readyz")
    def readyz():
        results = run_checks(checks)
        ready = all(v == "ok" for v in results.values())
        return jsonify({"status": "ok" if ready else "unavailable", "service": service,
                        "checks": results}), 200 if ready else 503

    return bp


def run_checks(checks: dict[str, Callable[[], None]]) -> dict[str, str]:
    results = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            results[name] = f"error: {type(exc).__name__}: {exc}"[:300]
    return results


def create_service_app(runtime, import_name: str, blueprints=()) -> Flask:
    """A service's Flask app: conventions, health endpoints, the dead-letter
    endpoints (:mod:`.deadletters_http`), its blueprints.

    The runtime is reachable from views as ``current_app.extensions["runtime"]``.
    """
    from .deadletters_http import dead_letters_blueprint  # it needs auth, which needs this module
    app = Flask(import_name)
    app.json = JSONProvider(app)
    app.json.ensure_ascii = False
    app.extensions["runtime"] = runtime
    install_conventions(app, runtime.name)
    app.register_blueprint(health_blueprint(runtime.name, runtime.readiness_checks()))
    app.register_blueprint(dead_letters_blueprint(runtime.name))
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    return app


def freeze_startup_heap() -> None:
    """Call once the app is built, before it serves (a gunicorn worker's
    ``wsgi`` module): what was built at startup (modules, the app, the
    registry's search index) moves out of the garbage collector's reach, so
    a full collection no longer walks it. Without it a worker's first full
    collection under load stopped it for about 65 ms (the enrolment, 106,000
    objects), enough for the requests queued behind it to set the p99."""
    gc.collect()
    gc.freeze()
