"""Engines and the two tables every service database carries: the outbox
(events waiting to be published) and the inbox (events already handled)."""
from __future__ import annotations

import select
from functools import lru_cache
from pathlib import Path

from sqlalchemy import (BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table,
                        Text, create_engine, event, text)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import StaticPool

BigId = BigInteger().with_variant(Integer(), "sqlite")


def make_engine(url: str, **kwargs) -> Engine:
    """An engine with the settings the services rely on.

    SQLite runs in WAL mode with a busy timeout, so a web thread and the
    relay thread of the embedded process can share one file.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:")
        if not in_memory:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        options = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if in_memory:
            options["poolclass"] = StaticPool
        engine = create_engine(url, **options, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            if not in_memory:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # Take the write lock at BEGIN: SQLite cannot upgrade a read
            # transaction under contention without failing.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # TCP keepalives: a server gone without a word (a host down, a dropped
    # route) is noticed by the kernel within about 90 s, and its connection's
    # socket then fails the checkout's check like a closed one.
    kwargs["connect_args"] = {"keepalives": 1, "keepalives_idle": 60, "keepalives_interval": 10,
                              "keepalives_count": 3, **kwargs.get("connect_args", {})}
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        event.listen(engine, "checkout", _refuse_dead_connection)
    return engine


def _refuse_dead_connection(dbapi_conn, _record, _proxy) -> None:
    """The pool's liveness check for PostgreSQL, without a round trip.

    A pooled connection is idle: the server sends it nothing unless it is
    going away (a restart, ``pg_terminate_backend``, an idle timeout), which
    leaves the socket readable or the connection closed. Such a connection
    is refused, and the pool replaces it (``DisconnectionError`` makes it
    invalidate and retry), as ``pool_pre_ping`` would, minus its
    ``SELECT 1`` on every checkout: on the intake's hot path that was one
    of four round trips per adhesion."""
    pgconn = getattr(dbapi_conn, "pgconn", None)
    if pgconn is None:
        return
    from psycopg import pq
    if dbapi_conn.closed or pgconn.status != pq.ConnStatus.OK:
        raise DisconnectionError("the connection is closed")
    try:
        poller = select.poll()  # select.select fails on descriptors from 1024
        poller.register(pgconn.socket, select.POLLIN)
        readable = poller.poll(0)
    except Exception as exc:  # psycopg: OperationalError when it has no socket
        raise DisconnectionError(f"the connection's socket is unusable: {exc}") from exc
    if readable:
        raise DisconnectionError("the server has written to an idle connection (closing it)")


def is_postgres(bind: Engine | Connection) -> bool:
    return bind.dialect.name == "postgresql"


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Define ``outbox`` and ``inbox`` on a service's metadata."""
    outbox = Table(
        "outbox", metadata,
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False, unique=True),
        Column("type", String(200), nullable=False),
        Column("subject", String(200)),
        Column("body", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_unpublished", "id",
              postgresql_where=text("published_at IS NULL"),
              sqlite_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox", metadata,
        Column("consumer", String(200), primary_key=True),
        Column("event_id", String(64), primary_key=True),
        Column("event_type", String(200), nullable=False),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )
    return outbox, inbox


def dialect_insert(dialect: str):
    """The INSERT construct with ``ON CONFLICT`` of the dialect in use
    (PostgreSQL, else SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def insert_new(session, table: Table, values: dict) -> bool:
    """Insert ``values`` unless a row with the same key exists; True when a
    row was added."""
    statement = _insert_new_statement(session.get_bind().dialect.name, table)
    return bool(session.execute(statement, values).rowcount)


@lru_cache(maxsize=512)
def _insert_new_statement(dialect: str, table: Table):
    return dialect_insert(dialect)(table).on_conflict_do_nothing()


def upsert(session, table: Table, values: dict, key: tuple[str, ...]) -> None:
    """Insert ``values`` into ``table`` or update the row with the same ``key``."""
    statement = _upsert_statement(session.get_bind().dialect.name, table, tuple(values),
                                  tuple(key))
    session.execute(statement, values)


@lru_cache(maxsize=512)
def _upsert_statement(dialect: str, table: Table, columns: tuple[str, ...],
                      key: tuple[str, ...]):
    """The upsert of these columns, built once: building an INSERT ... ON
    CONFLICT construct costs more than running it."""
    insert = dialect_insert(dialect)(table)
    changes = {k: insert.excluded[k] for k in columns if k not in key}
    return (insert.on_conflict_do_update(index_elements=list(key), set_=changes)
            if changes else insert.on_conflict_do_nothing())


OUTBOX_CHANNEL = "coalizione_outbox"
_OUTBOX_TRIGGER = (
    "CREATE OR REPLACE FUNCTION coalizione_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$",
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
    "FOR EACH STATEMENT EXECUTE FUNCTION coalizione_outbox_notify()",
)


def install_outbox_trigger(execute) -> None:
    """On PostgreSQL, make every commit that wrote outbox rows notify the
    relay (LISTEN ``coalizione_outbox``), so it needs no busy polling.
    ``execute`` runs one SQL string (``op.execute`` in a migration)."""
    for statement in _OUTBOX_TRIGGER:
        execute(statement)


def discard(connection) -> None:
    """Throw a held connection away (it may already be broken)."""
    if connection is None:
        return
    try:
        connection.invalidate()
        connection.close()
    except Exception:
        pass
