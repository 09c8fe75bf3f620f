"""gunicorn entrypoint: ``gunicorn registry.wsgi:app``."""
import logging

from coalizione_common import logs
from coalizione_common.http import freeze_startup_heap

from .app import create_app
from .bootstrap import build_runtime

logs.configure("registry")
runtime = build_runtime()
app = create_app(runtime)

try:
    # Build the search index before the first request rather than on it.
    runtime.search.snapshot()
except Exception as exc:  # database not migrated or not reachable yet: build on first use
    logging.getLogger("coalizione.registry").warning("search index not prebuilt: %s", exc)
freeze_startup_heap()
