import sys

from coalizione_common.cli import main

from .bootstrap import build_runtime

sys.exit(main("scheduling", build_runtime))
