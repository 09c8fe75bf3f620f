"""The Alembic history builds exactly the tables the code declares."""
import pytest
from alembic import command

from coalizione_common.db import make_engine
from coalizione_common.migrations import alembic_config, upgrade
from notify.bootstrap import MIGRATIONS


def test_upgrade_head_on_fresh_sqlite_matches_the_metadata(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine, MIGRATIONS)
    command.check(alembic_config(MIGRATIONS, engine))


def test_the_schema_downgrades_to_nothing_and_back(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(engine, MIGRATIONS)
    command.downgrade(alembic_config(MIGRATIONS, engine), "base")
    upgrade(engine, MIGRATIONS)
    command.check(alembic_config(MIGRATIONS, engine))


@pytest.mark.integration
def test_upgrade_head_on_postgresql_matches_the_metadata(postgres_database):
    engine = make_engine(postgres_database("notify_schema"))
    try:
        upgrade(engine, MIGRATIONS)
        command.check(alembic_config(MIGRATIONS, engine))
    finally:
        engine.dispose()
