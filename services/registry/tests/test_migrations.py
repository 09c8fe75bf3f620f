"""The registry's first migration also starts the catalog version at 0
(the generic schema checks are in tests/test_migrations.py)."""
from __future__ import annotations

from sqlalchemy import select

from coalizione_common.db import make_engine
from coalizione_common.migrations import upgrade
from registry.adapters.orm import catalog
from tests.test_migrations import migrations_of


def test_a_fresh_database_starts_at_catalog_version_zero(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine, migrations_of("registry"))
    with engine.connect() as conn:
        assert conn.execute(select(catalog.c.version)).scalar() == 0
