import sys

from coalizione_common.cli import main

from .bootstrap import build_runtime
from .cli import commands

if __name__ == "__main__":
    sys.exit(main("scheduling", build_runtime, extra=commands))
