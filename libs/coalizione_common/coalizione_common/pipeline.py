"""A read-then-write transaction in two round trips on PostgreSQL.

For a hot path such as the enrolment's intake: read a row, decide, insert
rows. :func:`pipelined_transaction` gives a :class:`Transaction` whose
``first`` and ``insert`` run as usual on SQLite and, on PostgreSQL, in one
psycopg pipeline: BEGIN travels with the read whose answer the code waits
for, the inserts after it with the COMMIT when the block ends. Before it,
the same path took five round trips (pool ping, BEGIN, read, inserts,
COMMIT); psycopg's own BEGIN and COMMIT in a pipeline each wait for their
answer, so both are sent here as statements.
"""
from __future__ import annotations

from contextlib import contextmanager, suppress
from functools import lru_cache
from typing import Iterator

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from .db import is_postgres


class Transaction:
    """Reads of one row and plain inserts, one statement at a time."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def first(self, statement, params: dict):
        """The first row of a read (attributes by column name), or None."""
        return self.connection.execute(statement, params).first()

    def insert(self, table: Table, rows: list[dict]) -> None:
        """Insert ``rows`` (each with the same keys) into ``table``."""
        if rows:
            self.connection.execute(_insert_into(table), rows)


class _Pipelined(Transaction):
    """The same in psycopg's pipeline: the inserts go through SQLAlchemy and
    wait in the pipeline; a read goes through the driver, as SQLAlchemy
    would look for its rows before they arrive. Its SQL is SQLAlchemy's,
    compiled once per statement."""

    def __init__(self, connection: Connection, driver):
        super().__init__(connection)
        self.driver = driver

    def first(self, statement, params: dict):
        from psycopg.rows import namedtuple_row
        compiled = _plain_compiled(statement, self.connection.dialect)
        with self.driver.cursor(row_factory=namedtuple_row) as cursor:
            cursor.execute(compiled.string, compiled.construct_params(params))
            return cursor.fetchone()  # flushes the pipeline and waits for this answer


@contextmanager
def pipelined_transaction(connection: Connection) -> Iterator[Transaction]:
    """One transaction for the block, committed when it ends. An exception
    in the block, or a failed statement, commits nothing (the driver's
    errors raised as SQLAlchemy's: IntegrityError for a violated
    constraint, DataError for a value refused, as elsewhere).
    The connection goes back to the pool as it came (or is invalidated)."""
    driver = connection.connection.driver_connection
    if not is_postgres(connection) or not hasattr(driver, "pipeline"):
        yield Transaction(connection)
        connection.commit()
        return
    import psycopg
    from psycopg.pq import TransactionStatus
    driver.autocommit = True  # BEGIN and COMMIT are ours
    try:
        with driver.pipeline():
            driver.execute("BEGIN", prepare=False)
            try:
                yield _Pipelined(connection, driver)
            except BaseException:
                with suppress(psycopg.Error):  # a failed statement already aborted it
                    driver.execute("ROLLBACK", prepare=False)
                raise
            driver.execute("COMMIT", prepare=False)  # sent with the inserts, at the exit
    except psycopg.Error as exc:  # the driver's own (a read, or the sync at the exit)
        raise DBAPIError.instance("pipelined transaction", None, exc, psycopg.Error,
                                  dialect=connection.dialect) from exc
    finally:
        restored = False
        try:
            if driver.pgconn.transaction_status != TransactionStatus.IDLE:
                driver.execute("ROLLBACK")  # a failed statement made the server skip the COMMIT
            driver.autocommit = False
            restored = True
        except psycopg.Error:
            pass
        finally:
            if not restored:  # whatever stopped it, even an interrupt:
                connection.invalidate()  # never back to the pool in autocommit mode
    connection.commit()  # the server's transaction has ended: SQLAlchemy's bookkeeping


@lru_cache(maxsize=64)
def _insert_into(table: Table):
    """Inline: SQLAlchemy would otherwise read back a generated key
    (RETURNING) for a single row, which in the pipeline has not arrived."""
    return insert(table).inline()


@lru_cache(maxsize=64)
def _plain_compiled(statement, dialect):
    """``statement`` compiled for the driver, refused when SQLAlchemy would
    have done more than pass the values on: convert one, or expand a list."""
    compiled = statement.compile(dialect=dialect)
    converted = [name for name, bind in compiled.binds.items()
                 if bind.expanding or _converts(bind.type, dialect)]
    if converted:
        raise ValueError(f"not a plain statement (conversions for {converted})")
    return compiled


def _converts(type_, dialect) -> bool:
    return type_.dialect_impl(dialect).bind_processor(dialect) is not None
