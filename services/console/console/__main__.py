import sys

from coalizione_common.cli import main

from .bootstrap import build_runtime
from .cli import commands

sys.exit(main("console", build_runtime, extra=commands))
