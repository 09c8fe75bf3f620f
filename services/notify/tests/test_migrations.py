"""The Alembic history builds exactly the tables the code declares."""
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
