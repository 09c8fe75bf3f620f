"""The engines the services get from coalizione_common.db."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from coalizione_common.db import make_engine

pytestmark = pytest.mark.integration


def _server_view(url: str, pid: int) -> tuple[str, str] | None:
    """(state, last query) of one server process, as pg_stat_activity shows it."""
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        return conn.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s",
                            (pid,)).fetchone()


def test_a_pooled_connection_is_checked_out_without_a_round_trip(postgres_database):
    """pool_pre_ping would send ``SELECT 1`` at every checkout; the engine's
    check looks at the socket instead, so the server sees nothing between
    one use of the connection and the next."""
    url = postgres_database("checkout")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        assert _server_view(url, pid) == ("idle", "COMMIT")
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.connection.driver_connection.info.backend_pid == pid
        assert _server_view(url, pid) == ("idle", "COMMIT")
    finally:
        engine.dispose()


def test_a_connection_the_server_ended_is_replaced_at_checkout(postgres_database):
    """A server restart or pg_terminate_backend while a connection waits in
    the pool: the next request gets a new connection, not an error."""
    url = postgres_database("ended")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ended = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (ended,)).fetchone()[0]
        deadline = time.monotonic() + 5
        while _server_view(url, ended) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != ended
            assert conn.execute(text("SELECT 41 + 1")).scalar() == 42
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()


def test_a_connection_closed_on_this_side_is_replaced_at_checkout(postgres_database):
    """psycopg closes a connection it finds broken; the pool must not hand it out."""
    engine = make_engine(postgres_database("closed"))
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
            pooled = conn.connection.driver_connection
        pooled.close()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
    finally:
        engine.dispose()


def test_the_check_works_with_descriptors_above_1024(postgres_database):
    """A busy process holds many files: select.select would refuse every
    connection's socket from descriptor 1024 on."""
    import os
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(1200, hard), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    engine = make_engine(postgres_database("many_files"))
    try:
        for _ in range(3):
            with engine.connect() as conn:
                assert conn.connection.driver_connection.pgconn.socket >= 1024
                assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_connections_ask_for_tcp_keepalives(postgres_database):
    """What lets the socket check notice a server that vanished silently."""
    engine = make_engine(postgres_database("keepalive"))
    try:
        with engine.connect() as conn:
            parameters = conn.connection.driver_connection.info.get_parameters()
        assert (parameters.get("keepalives"), parameters.get("keepalives_idle")) == ("1", "60")
    finally:
        engine.dispose()
