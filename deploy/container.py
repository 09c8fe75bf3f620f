"""What the containers run besides the services' own commands (the image
is python:slim: no curl).

    python /app/container.py prepare SERVICE   make SERVICE's database ready: migrate,
                                               and seed on first start where the service
                                               seeds itself (the registry's ISTAT data)
    python /app/container.py http URL          healthy when URL answers 200 within 5 s
    python /app/container.py worker SERVICE    healthy when the worker's database and
                                               broker answer, with this container's settings
"""
from __future__ import annotations

import importlib
import sys
import urllib.error
import urllib.request

SERVICES = ("registry", "enrolment", "scheduling", "notify")
WEB_ONLY = ("console",)


def prepare(service: str) -> int:
    from coalizione_common import logs
    logs.configure(service)
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    runtime = bootstrap.build_runtime()
    try:
        bootstrap.prepare(runtime)
    finally:
        runtime.engine.dispose()
    print(f"{service}: database ready")
    return 0


def http(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"{url}: {exc}", file=sys.stderr)
        return 1


def worker(service: str) -> int:
    from coalizione_common.http import run_checks
    runtime = importlib.import_module(f"{service}.bootstrap").build_runtime()
    try:
        results = run_checks(runtime.readiness_checks())
    finally:
        runtime.engine.dispose()
    failed = {name: result for name, result in results.items() if result != "ok"}
    for name, result in failed.items():
        print(f"{service} {name}: {result}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    commands = {"prepare": prepare, "http": http, "worker": worker}
    known = {"prepare": (*SERVICES, *WEB_ONLY), "worker": SERVICES}
    if len(argv) != 2 or argv[0] not in commands or (
            argv[0] != "http" and argv[1] not in known[argv[0]]):
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
