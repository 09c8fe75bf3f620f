"""The migrations build exactly the schema the code declares."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import inspect, select

import registry
from coalizione_common.db import make_engine
from coalizione_common.migrations import alembic_config
from registry.adapters.orm import catalog, metadata

MIGRATIONS = Path(registry.__file__).parent / "migrations"


def test_upgrade_head_on_a_fresh_database_matches_the_metadata(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    config = alembic_config(MIGRATIONS, engine)
    command.upgrade(config, "head")
    command.check(config)   # raises when the database differs from the metadata
    assert set(inspect(engine).get_table_names()) >= set(metadata.tables)
    with engine.connect() as conn:
        assert conn.execute(select(catalog.c.version)).scalar() == 0


def test_downgrade_removes_everything(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    config = alembic_config(MIGRATIONS, engine)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
