"""pytest plugin: every event a service emits during the test session is
checked against docs/events/ when the session ends.

Enable it with ``-p tests.contract.plugin`` (pytest.ini ``addopts``). It
wraps ``ServiceRuntime.emit``, through which every service writes its
events to the outbox, and records envelopes whose source is one of the
four services (test probes with other sources are ignored). Events that
break the contract are listed with the test that emitted them and fail the
session. Events emitted in other processes (the embedded process, the
compose stack) are not seen: the relay hook proposed for
libs/coalizione_common (``COALIZIONE_EVENT_LOG``) would cover them, and
``COALIZIONE_EVENT_LOG`` files are then checked here too.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest

from tests.contract.schemas import SERVICE_SOURCES, problems

_seen: list[tuple[str, dict]] = []
_current = {"test": "(outside a test)"}


def pytest_configure(config):
    from coalizione_common.runtime import ServiceRuntime
    original = ServiceRuntime.emit
    if getattr(original, "_contract_recorded", False):
        return

    def emit(self, session, type, subject, data):
        envelope = original(self, session, type, subject, data)
        if envelope.source in SERVICE_SOURCES:
            _seen.append((_current["test"], envelope.to_dict()))
        return envelope

    emit._contract_recorded = True
    ServiceRuntime.emit = emit


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current["test"] = item.nodeid
    try:
        return (yield)
    finally:
        _current["test"] = "(outside a test)"


def _logged() -> list[tuple[str, dict]]:
    path = os.environ.get("COALIZIONE_EVENT_LOG")
    if not path or not Path(path).exists():
        return []
    found = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            if doc.get("source") in SERVICE_SOURCES:
                found.append((f"(event log {path})", doc))
    return found


def pytest_sessionfinish(session, exitstatus):
    events = _seen + _logged()
    broken = [(test, doc, problems(doc)) for test, doc in events if problems(doc)]
    session.config._contract_summary = (Counter(doc["type"] for _, doc in events), broken)
    if broken and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    summary = getattr(config, "_contract_summary", None)
    if summary is None:
        return
    counts, broken = summary
    terminalreporter.section("event contract (docs/events/)")
    terminalreporter.write_line(f"{sum(counts.values())} events emitted by the services, "
                                f"{len(counts)} types: " +
                                ", ".join(f"{t} {n}" for t, n in sorted(counts.items())))
    for test, doc, errors in broken[:50]:
        terminalreporter.write_line(f"BROKEN {doc.get('type')} {doc.get('id')} from {test}: "
                                    + "; ".join(errors), red=True)
    if broken:
        terminalreporter.write_line(f"{len(broken)} event(s) break the contract", red=True, bold=True)
