"""``make run``: serve the whole platform from one process."""
from __future__ import annotations

import logging
import os
import signal
import sys

from werkzeug.serving import make_server

from coalizione_common import logs
from coalizione_common.config import var_dir

from .system import build_system

log = logging.getLogger("coalizione.embedded")


def main() -> int:
    logs.configure("embedded")
    port = int(os.environ.get("PORT", "8000"))
    host = os.environ.get("HOST", "127.0.0.1")
    system = build_system()
    _first_console_account(system)
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


def _first_console_account(system) -> None:
    """On a laptop's first start there is nobody to log in to /ops: make
    the account ``ufficio`` with a random password, shown once here and
    kept in var/console-password.txt (``CONSOLE_ADMIN_PASSWORD`` chooses it)."""
    import secrets

    from console import users
    runtime = system.runtimes["console"]
    if users.has_users(runtime):
        return
    password = os.environ.get("CONSOLE_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
    users.create_user(runtime, runtime.config.admin_user, password, "operator",
                      "Ufficio del programma")
    path = var_dir() / "console-password.txt"
    path.write_text(f"{runtime.config.admin_user}\n{password}\n")
    path.chmod(0o600)
    print(f"coalizione: console /ops — user {runtime.config.admin_user!r}, password "
          f"{password!r} (also in {path})", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
