import sys

from coalizione_common.cli import main

from .bootstrap import build_runtime
from .commands import extra

sys.exit(main("notify", build_runtime, extra=extra))
