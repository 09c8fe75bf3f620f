"""The whole-stack test needs a Docker engine; where none answers it does
not run, and the session says so plainly (loudly under CI=true)."""
from __future__ import annotations

import os

import pytest

from tests.support import infrastructure as infra

_NOT_RUN: list[str] = []


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def docker_engine():
    if not infra.docker_engine_available():
        reason = ("whole-stack docker compose test NOT RUN: no Docker engine answers `docker info` "
                  "on this machine (the docker client alone cannot start the stack); "
                  "docker-compose.yml was validated statically by tests/deploy/")
        _NOT_RUN.append(reason)
        pytest.skip(reason)
    return True


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _NOT_RUN:
        terminalreporter.section("WHOLE-STACK TEST DID NOT RUN", sep="!", red=True, bold=True)
        terminalreporter.write_line(_NOT_RUN[0], red=_ci(), bold=_ci())
