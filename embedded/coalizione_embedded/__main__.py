"""``make run``: serve the whole platform from one process."""
from __future__ import annotations

import logging
import os
import signal
import sys

from werkzeug.serving import make_server

from coalizione_common import logs

from .system import build_system

log = logging.getLogger("coalizione.embedded")


def main() -> int:
    logs.configure("embedded")
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    system = build_system()
    system.start()
    server = make_server(host, port, system.wsgi(), threaded=True)

    def _stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _stop)
    print(f"coalizione: http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("shutting down")
    finally:
        server.server_close()
        system.shutdown()
        log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
