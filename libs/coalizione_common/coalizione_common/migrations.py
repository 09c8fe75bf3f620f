"""Alembic, driven from code: each service keeps its migration scripts in
its package and upgrades its own database with :func:`upgrade`."""
from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from .db import is_postgres


def alembic_config(script_location: Path, engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False)
                               .replace("%", "%%"))
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, script_location: Path, revision: str = "head") -> None:
    """Bring the database to ``revision``."""
    command.upgrade(alembic_config(script_location, engine), revision)


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``env.py`` (online mode only)."""
    config = context.config
    engine = config.attributes.get("engine")
    if engine is None:
        from .db import make_engine
        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


def create_messaging_tables(op) -> None:
    """The outbox and inbox of :func:`coalizione_common.db.messaging_tables`
    and the tokens of :mod:`coalizione_common.auth`, for a service's first
    migration."""
    import sqlalchemy as sa

    from .db import BigId
    op.create_table(
        "outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index("ix_outbox_unpublished", "outbox", ["id"], unique=False,
                    postgresql_where=sa.text("published_at IS NULL"),
                    sqlite_where=sa.text("published_at IS NULL"))
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(length=200), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    if is_postgres(op.get_bind()):
        from .db import install_outbox_trigger
        install_outbox_trigger(op.execute)


def drop_messaging_tables(op) -> None:
    if is_postgres(op.get_bind()):
        op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("api_tokens")
