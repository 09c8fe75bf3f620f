"""Every service's Alembic history builds exactly the tables its code
declares, on SQLite and on PostgreSQL, and unwinds to nothing."""
from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from coalizione_common.db import make_engine
from coalizione_common.migrations import alembic_config, upgrade

SERVICES = ("registry", "enrolment", "scheduling", "notify")


def migrations_of(service: str) -> Path:
    return Path(importlib.import_module(service).__file__).parent / "migrations"


@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_on_sqlite_matches_the_metadata_and_downgrade_unwinds(service, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    config = alembic_config(migrations_of(service), engine)
    upgrade(engine, migrations_of(service))
    command.check(config)  # raises on any difference from the metadata
    declared = importlib.import_module(f"{service}.adapters.orm").metadata.tables
    assert set(inspect(engine).get_table_names()) >= set(declared)
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine, migrations_of(service))
    command.check(config)
    engine.dispose()


@pytest.mark.integration
@pytest.mark.parametrize("service", SERVICES)
def test_upgrade_on_postgresql_matches_the_metadata_with_the_outbox_trigger(
        service, postgres_database):
    engine = make_engine(postgres_database(f"{service}_schema"))
    try:
        upgrade(engine, migrations_of(service))
        command.check(alembic_config(migrations_of(service), engine))
        with engine.connect() as conn:
            assert conn.execute(text(
                "SELECT 1 FROM pg_trigger WHERE tgname = 'outbox_notify'")).first() is not None
    finally:
        engine.dispose()
