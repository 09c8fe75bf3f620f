"""The console's HTTP application: /ops (pages) and /api/console/v1 (health)."""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from coalizione_common.http import create_service_app
from coalizione_common.runtime import ServiceRuntime

from .web import pages


def create_app(runtime: ServiceRuntime) -> Flask:
    app = create_service_app(runtime, __name__, [pages.bp])
    config = runtime.config
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME="coalizione_ops",
        SESSION_COOKIE_PATH="/ops",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config.session_hours),
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    if config.trust_proxy:
        # Behind the one proxy of the deployment: the audit log records the
        # client's address it forwards, not the proxy's.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    return app
