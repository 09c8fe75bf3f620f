"""gunicorn entrypoint: ``gunicorn scheduling.wsgi:app``."""
from coalizione_common import logs
from coalizione_common.http import freeze_startup_heap

from .app import create_app
from .bootstrap import build_runtime

logs.configure("scheduling")
app = create_app(build_runtime())
freeze_startup_heap()
