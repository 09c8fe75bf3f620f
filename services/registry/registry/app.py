"""The registry's HTTP application."""
from __future__ import annotations

from flask import Flask

from coalizione_common.http import health_blueprint, install_conventions
from coalizione_common.runtime import ServiceRuntime


def create_app(runtime: ServiceRuntime) -> Flask:
    app = Flask(__name__)
    app.extensions["runtime"] = runtime
    install_conventions(app, runtime.name)
    app.register_blueprint(health_blueprint(runtime.name, runtime.readiness_checks()))
    return app
