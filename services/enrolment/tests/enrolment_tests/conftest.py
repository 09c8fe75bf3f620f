"""Fixtures of the enrolment tests: a migrated service on SQLite and the
in-memory bus, its Flask test client, a replica seeded with a few bodies."""
from __future__ import annotations

import shutil

import pytest

from enrolment import bootstrap
from enrolment.app import create_app
from tests.support.services import build_service, settings_for

from .builders import seed

WINDOW = "2017-06-20T09:00:00+02:00"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """One migrated and seeded SQLite file, copied for each test."""
    folder = tmp_path_factory.mktemp("enrolment-template")
    runtime = build_service("enrolment", folder, now=WINDOW)
    seed(runtime)
    with runtime.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM outbox")
    runtime.engine.dispose()
    return folder / "enrolment.db"


@pytest.fixture
def runtime(tmp_path, migrated_database):
    shutil.copy(migrated_database, tmp_path / "enrolment.db")
    runtime = bootstrap.build_runtime(settings_for("enrolment", tmp_path, now=WINDOW))
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
