"""Wiring in one place: settings, database, bus, consumers, edition rule and
search index."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from coalizione_common.config import ServiceSettings
from coalizione_common.runtime import ServiceRuntime

from . import consumers, handlers
from .adapters.orm import metadata
from .domain.edition import load_edition
from .search import SearchIndex

log = logging.getLogger("coalizione.registry")


def build_runtime(settings: ServiceSettings | None = None, environ: dict | None = None,
                  **kwargs) -> ServiceRuntime:
    """The registry's runtime; besides the common pieces it carries
    ``edition`` (the eligibility rule of ``REGISTRY_EDITION``) and
    ``search`` (the in-memory typeahead index)."""
    env = os.environ if environ is None else environ
    runtime = ServiceRuntime(settings or ServiceSettings.from_env("registry", env), metadata,
                             Path(__file__).parent / "migrations", **kwargs)
    runtime.edition = load_edition(env)
    runtime.search = SearchIndex(runtime.engine)
    runtime.subscriptions.extend(consumers.subscriptions(runtime))
    return runtime


def prepare(runtime: ServiceRuntime, environ: dict | None = None) -> None:
    """Make the database ready before the service starts: migrate, then, on
    first start, load the bundled ISTAT data (unless ``REGISTRY_SEED=0``)."""
    runtime.migrate()
    env = os.environ if environ is None else environ
    if env.get("REGISTRY_SEED", "1").strip() != "0" and handlers.is_empty(runtime):
        result = handlers.import_bundled(runtime)
        log.info("registry seeded with the bundled ISTAT data: %s", result.as_dict())
