"""Wiring in one place: settings, database, the way to the services, the
first account."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from coalizione_common.config import ServiceSettings
from coalizione_common.runtime import ServiceRuntime

from . import users
from .adapters.orm import metadata
from .config import ConsoleConfig
from .gateway import Gateway, HttpTransport

log = logging.getLogger("coalizione.console")


def build_runtime(settings: ServiceSettings | None = None, environ: dict | None = None,
                  transport=None, **kwargs) -> ServiceRuntime:
    """The console's runtime; besides the common pieces it carries ``config``
    and ``gateway`` (how the services' APIs are reached: ``transport``, or
    HTTP to ``CONSOLE_API_URL``)."""
    env = os.environ if environ is None else environ
    runtime = ServiceRuntime(settings or ServiceSettings.from_env("console", env), metadata,
                             Path(__file__).parent / "migrations", **kwargs)
    runtime.config = ConsoleConfig.from_env(env)
    if transport is None and runtime.config.api_url:
        transport = HttpTransport(runtime.config.api_url)
    runtime.gateway = Gateway(transport, runtime.config.api_token,
                              runtime.config.api_viewer_token) if transport else None
    # The console publishes and consumes nothing: it is ready when its
    # database is; the services report their own readiness.
    runtime.readiness_checks = lambda: {"database": runtime.check_database}
    return runtime


def prepare(runtime: ServiceRuntime, environ: dict | None = None) -> None:
    """Migrate; on first start create the first account from
    ``CONSOLE_ADMIN_USER``/``CONSOLE_ADMIN_PASSWORD`` when given."""
    runtime.migrate()
    config = runtime.config
    if config.admin_password and not users.has_users(runtime):
        users.create_user(runtime, config.admin_user, config.admin_password, "operator",
                          "Ufficio del programma")
        log.info("console: first account %r created", config.admin_user)
