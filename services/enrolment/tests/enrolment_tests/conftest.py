"""Fixtures of the enrolment tests: a migrated service on SQLite and the
in-memory bus, its Flask test client, a replica seeded with a few bodies."""
from __future__ import annotations

import pytest

from enrolment.app import create_app
from tests.support.services import build_service

from .builders import seed

WINDOW = "2017-06-20T09:00:00+02:00"


@pytest.fixture
def runtime(tmp_path):
    runtime = build_service("enrolment", tmp_path, now=WINDOW)
    seed(runtime)
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def app(runtime):
    app = create_app(runtime)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()
