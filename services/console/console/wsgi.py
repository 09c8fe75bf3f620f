"""gunicorn entrypoint: ``gunicorn console.wsgi:app``."""
from coalizione_common import logs

from .app import create_app
from .bootstrap import build_runtime

logs.configure("console")
app = create_app(build_runtime())
