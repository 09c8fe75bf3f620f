"""The enrolment's HTTP application: the public form, the adhesion API,
operations and the OpenAPI document."""
from __future__ import annotations

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from coalizione_common.http import create_service_app, problem_response
from coalizione_common.runtime import ServiceRuntime

from .api import adhesions, openapi, operations, people
from .domain.errors import EnrolmentError
from .ratelimit import RateLimiter
from .web import form, manage, pages

WRITES = ("POST", "PUT", "PATCH", "DELETE")
# The form pages count their own requests (only those that check or save
# data), so that a refused one can show the page again with what was typed.
SELF_LIMITED = ("enrolment_form.act", "enrolment_manage.act")


def create_app(runtime: ServiceRuntime) -> Flask:
    settings = runtime.enrolment
    app = create_service_app(runtime, __name__, [adhesions.bp, operations.bp, people.bp,
                                                 openapi.bp, form.bp, manage.bp])
    app.secret_key = settings.secret_key
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="enrolment_session",
                      SESSION_COOKIE_SECURE=settings.public_base_url.startswith("https://"))
    if settings.trust_proxy:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    limiter = RateLimiter(settings.rate_limit, settings.rate_window)
    app.extensions["enrolment_rate_limiter"] = limiter

    @app.errorhandler(EnrolmentError)
    def _enrolment_error(error: EnrolmentError):
        return problem_response(error.status, error.kind, error.title, error.detail, **error.extra)

    @app.before_request
    def _rate_limit():
        if request.method not in WRITES or request.endpoint in SELF_LIMITED:
            return None
        headers = limiter.refusal(request.remote_addr or "?")
        if headers is None:
            return None
        if request.path.startswith("/api/"):
            response = problem_response(429, "too-many-requests", "Troppe richieste",
                                        "Hai inviato troppe richieste: riprova tra poco.")
            response.headers.update(headers)
            return response
        return pages.too_many_requests(headers)

    return app
