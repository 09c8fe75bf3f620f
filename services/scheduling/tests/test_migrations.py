"""The migrations build exactly the schema the code declares."""
from __future__ import annotations

from pathlib import Path

from alembic import command

import scheduling
from coalizione_common.db import make_engine
from coalizione_common.migrations import alembic_config, upgrade

MIGRATIONS = Path(scheduling.__file__).parent / "migrations"


def test_upgrade_head_on_fresh_sqlite_matches_the_metadata(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine, MIGRATIONS)
    command.check(alembic_config(MIGRATIONS, engine))  # raises on any difference
