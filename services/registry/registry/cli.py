"""The registry's own commands for ``python -m registry``."""
from __future__ import annotations

import json
import sys

from .adapters.sources import ImportRejected
from .handlers import BUNDLED_FILES, import_files


def commands(sub) -> dict:
    parser = sub.add_parser(
        "import", help="import entity files (ISTAT comuni, ISTAT supra-municipal units, or "
                       "bodies CSV) in one transaction; no FILE: the bundled ISTAT data")
    parser.add_argument("files", nargs="*", metavar="FILE")
    return {"import": run_import}


def run_import(runtime, args) -> int:
    """Migrate, then import; a file with any bad row rejects the whole run."""
    runtime.migrate()
    files = args.files or [str(p) for p in BUNDLED_FILES]
    try:
        result = import_files(runtime, files)
    except ImportRejected as exc:
        print(f"registry import: {exc}; nothing was imported", file=sys.stderr)
        for error in exc.errors:
            print(f"  {exc.source}: {error}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"registry import: {exc}; nothing was imported", file=sys.stderr)
        return 2
    print(json.dumps({"files": files, **result.as_dict()}, ensure_ascii=False))
    return 0
