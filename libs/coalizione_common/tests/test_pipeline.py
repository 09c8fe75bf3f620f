"""coalizione_common.pipeline: one transaction, committed whole or not at
all, on SQLite and (in two round trips) on PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.exc import IntegrityError

from coalizione_common.db import make_engine
from coalizione_common.pipeline import _plain_compiled, pipelined_transaction

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True),
               Column("name", String(40), nullable=False, unique=True),
               Column("colour", String(20), server_default="grigio"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def engine(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'things.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_database")("pipeline"))
    engine = make_engine(url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def names(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(things.c.name).order_by(things.c.id)).scalars())


def test_a_read_then_inserts_commit_together(engine):
    with engine.connect() as conn, pipelined_transaction(conn) as tx:
        assert tx.first(select(things.c.id).where(things.c.name == "uno"), {}) is None
        tx.insert(things, [{"id": 101, "name": "uno"}])
        tx.insert(things, [{"id": 102, "name": "due"}, {"id": 103, "name": "tre"}])
        tx.insert(things, [])
        tx.insert(things, [{"name": "quattro"}])  # the database gives the id
    assert sorted(names(engine)) == ["due", "quattro", "tre", "uno"]
    with engine.connect() as conn, pipelined_transaction(conn) as tx:
        row = tx.first(select(things).where(things.c.name == bindparam("name")), {"name": "due"})
    assert (row.id, row.name, row.colour) == (102, "due", "grigio")


@pytest.mark.parametrize("failure", ["an exception in the block", "a violated constraint"])
def test_a_failure_commits_nothing_and_the_connection_goes_back_as_it_came(engine, failure):
    with engine.connect() as conn, pipelined_transaction(conn) as tx:
        tx.insert(things, [{"id": 1, "name": "prima"}])
    expected = RuntimeError if failure == "an exception in the block" else IntegrityError
    with pytest.raises(expected):
        with engine.connect() as conn, pipelined_transaction(conn) as tx:
            driver = conn.connection.driver_connection
            assert tx.first(select(things.c.name).where(things.c.id == 1), {}).name == "prima"
            tx.insert(things, [{"id": 2, "name": "seconda"}])
            if failure == "an exception in the block":
                raise RuntimeError("after an insert, before the commit")
            tx.insert(things, [{"id": 3, "name": "prima"}])  # names are unique
    assert names(engine) == ["prima"]
    if engine.dialect.name == "postgresql":
        assert driver.autocommit is False
    with engine.connect() as conn, pipelined_transaction(conn) as tx:  # the pool still works
        tx.insert(things, [{"id": 2, "name": "seconda"}])
    assert names(engine) == ["prima", "seconda"]


def test_a_read_sqlalchemy_would_have_converted_is_refused_on_the_driver_path():
    from sqlalchemy import JSON
    from sqlalchemy.dialects import postgresql
    dialect = postgresql.psycopg.dialect()
    table = Table("others", MetaData(), Column("id", Integer, primary_key=True),
                  Column("data", JSON))
    with pytest.raises(ValueError, match="conversions"):
        _plain_compiled(select(table.c.id).where(table.c.id.in_([1, 2])), dialect)
    with pytest.raises(ValueError, match="conversions"):
        _plain_compiled(select(table.c.id).where(table.c.data == bindparam("data")), dialect)
    compiled = _plain_compiled(select(table.c.data).where(table.c.id == 7), dialect)
    assert compiled.construct_params({}) == {"id_1": 7}


@pytest.mark.integration
def test_a_value_the_server_refuses_is_sqlalchemys_data_error(postgres_database):
    """Raised by the pipeline's sync, where SQLAlchemy does not see it: the
    services' error handlers still get SQLAlchemy's DataError (a 400)."""
    from sqlalchemy.exc import DataError
    engine = make_engine(postgres_database("refused"))
    metadata.create_all(engine)
    try:
        with pytest.raises(DataError):
            with engine.connect() as conn, pipelined_transaction(conn) as tx:
                tx.insert(things, [{"id": 1, "name": "x" * 41}])  # String(40)
        assert names(engine) == []
    finally:
        engine.dispose()


@pytest.mark.integration
def test_an_interrupt_while_rolling_back_never_leaves_an_autocommit_connection_in_the_pool(
        postgres_database, monkeypatch):
    engine = make_engine(postgres_database("interrupted"), pool_size=1, max_overflow=0)
    metadata.create_all(engine)
    try:
        with pytest.raises(KeyboardInterrupt):
            with engine.connect() as conn, pipelined_transaction(conn) as tx:
                driver = conn.connection.driver_connection
                tx.insert(things, [{"id": 1, "name": "uno"}])
                tx.insert(things, [{"id": 2, "name": "uno"}])  # fails at the sync
                execute = driver.execute

                def interrupted(query, *args, **kwargs):
                    if query == "ROLLBACK":
                        raise KeyboardInterrupt
                    return execute(query, *args, **kwargs)
                monkeypatch.setattr(driver, "execute", interrupted)
        with engine.connect() as conn:
            assert conn.connection.driver_connection is not driver
            assert conn.connection.driver_connection.autocommit is False
        assert names(engine) == []
    finally:
        engine.dispose()


def test_events_go_to_the_outbox_inside_the_transaction(engine):
    """add_to_outbox in the pipeline, one event too (no generated id to wait for)."""
    from datetime import datetime, timezone
    from coalizione_common.db import messaging_tables
    from coalizione_common.envelope import Envelope
    from coalizione_common.outbox import add_to_outbox
    outbox, _ = messaging_tables(MetaData())
    outbox.metadata.create_all(engine)
    now = datetime(2017, 6, 20, 9, tzinfo=timezone.utc)
    with engine.connect() as conn, pipelined_transaction(conn) as tx:
        tx.insert(things, [{"id": 1, "name": "uno"}])
        add_to_outbox(conn, outbox, [Envelope.new("thing.added", "test", "1", {}, now)], now)
    with engine.connect() as conn:
        assert conn.execute(select(outbox.c.type, outbox.c.subject)).all() == [("thing.added", "1")]
    assert names(engine) == ["uno"]
