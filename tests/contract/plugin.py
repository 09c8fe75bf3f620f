"""pytest plugin: every event a service emits during the test session is
checked against docs/events/ when the session ends.

Enable it with ``-p tests.contract.plugin`` (pytest.ini ``addopts``). It
listens to every INSERT into an ``outbox`` table (SQLAlchemy's
``after_execute`` on all engines), which is how every service writes its
events, and records envelopes whose source is one of the
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


def _bodies(clauseelement, multiparams, params, dialect) -> list[str]:
    """The ``body`` values an INSERT into an outbox table carries, whether
    given as executemany parameters or as multi-row VALUES."""
    found = []
    groups = list(multiparams or [])
    if params:
        groups.append(params)
    for group in groups:
        for row in (group if isinstance(group, (list, tuple)) else [group]):
            if isinstance(row, dict) and isinstance(row.get("body"), str):
                found.append(row["body"])
    if not found:
        compiled = clauseelement.compile(dialect=dialect).params
        found = [v for k, v in compiled.items() if k.startswith("body") and isinstance(v, str)]
    return found


def pytest_configure(config):
    """Listen to every INSERT into an ``outbox`` table on any engine:
    ``ServiceRuntime.emit`` and any other way a service writes its events."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.sql.dml import Insert
    if getattr(Engine, "_contract_recorded", False):
        return
    recorded: set[str] = set()

    def after_execute(conn, clauseelement, multiparams, params, execution_options, result):
        if not isinstance(clauseelement, Insert) or clauseelement.table.name != "outbox":
            return
        for body in _bodies(clauseelement, multiparams, params, conn.dialect):
            try:
                doc = json.loads(body)
            except ValueError:
                doc = {"type": None, "id": body[:40], "source": None}
            if doc.get("source") in SERVICE_SOURCES and doc.get("id") not in recorded:
                recorded.add(doc.get("id"))
                _seen.append((_current["test"], doc))

    event.listen(Engine, "after_execute", after_execute)
    Engine._contract_recorded = True


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
