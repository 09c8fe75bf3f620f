"""The session-wide contract plugin, run in a pytest of its own."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from tests.contract.schemas import ROOT


def _run(tmp_path, body: str):
    test = tmp_path / "test_emits.py"
    test.write_text(textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.contract.plugin", "-p", "no:cacheprovider",
         "--rootdir", str(ROOT), "-c", str(ROOT / "pytest.ini"), str(test)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)


EMIT = """
    from sqlalchemy.orm import Session
    from tests.support.services import build_service

    def test_emit(tmp_path):
        runtime = build_service("scheduling", tmp_path)
        with Session(runtime.engine) as session, session.begin():
            runtime.emit(session, "assignment.created", "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", DATA)
        runtime.engine.dispose()
"""
GOOD = {"assignment_id": "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
        "session_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "adhesion_id": "4f6c1a52-3f0b-4c36-9a1e-2b7d0c1e9a10", "entity_code": "040012",
        "participant_ids": []}


def test_a_session_whose_events_keep_the_contract_passes(tmp_path):
    result = _run(tmp_path, f"DATA = {GOOD!r}\n" + textwrap.dedent(EMIT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "assignment.created 1" in result.stdout


def test_a_session_that_emits_a_broken_event_fails_and_names_the_test(tmp_path):
    broken = dict(GOOD, participant_ids="everyone")
    result = _run(tmp_path, f"DATA = {broken!r}\n" + textwrap.dedent(EMIT))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN assignment.created" in result.stdout and "test_emit" in result.stdout
    assert "1 passed" in result.stdout
