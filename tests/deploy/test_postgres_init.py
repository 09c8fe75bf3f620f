"""deploy/postgres/init-databases.sh on the real PostgreSQL: one role and
one database per service, each role locked out of the others' databases.
Names are prefixed for the test (COALIZIONE_ROLE_PREFIX/COALIZIONE_DB_PREFIX)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.support import infrastructure as infra

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "postgres" / "init-databases.sh"
SERVICES = ("registry", "enrolment", "scheduling", "notify", "console")


@pytest.fixture(scope="module")
def initialised(infrastructure):
    assert shutil.which("psql"), "psql is needed (postgresql-client)"
    server = urlsplit(infrastructure.postgres_url)
    tag = f"t{infra.RUN_ID}"
    env = {**os.environ, "PGHOST": server.hostname or "127.0.0.1",
           "PGPORT": str(server.port or 5432), "POSTGRES_USER": server.username or "postgres",
           "COALIZIONE_ROLE_PREFIX": f"{tag}_", "COALIZIONE_DB_PREFIX": f"{tag}_db_"}
    if server.password:
        env["PGPASSWORD"] = server.password
    passwords = {}
    for service in SERVICES:
        passwords[service] = env[f"{service.upper()}_DB_PASSWORD"] = f"{service}-{tag}-pw"
    admin = f"{infrastructure.postgres_url}/postgres"
    try:
        for _ in range(2):  # running it twice changes nothing
            result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True,
                                    text=True, timeout=120)
            assert result.returncode == 0, result.stderr
        yield tag, passwords, server
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for service in SERVICES:
                conn.execute(f'DROP DATABASE IF EXISTS "{tag}_db_{service}" WITH (FORCE)')
                conn.execute(f'DROP ROLE IF EXISTS "{tag}_{service}"')


def _url(server, user, password, database):
    return f"postgresql://{user}:{password}@{server.hostname or '127.0.0.1'}:{server.port or 5432}/{database}"


def test_each_service_gets_its_own_role_and_database(initialised):
    tag, passwords, server = initialised
    for service in SERVICES:
        url = _url(server, f"{tag}_{service}", passwords[service], f"{tag}_db_{service}")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE probe (id int)")
            owner = conn.execute("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database "
                                 "WHERE datname = current_database()").fetchone()[0]
            assert owner == f"{tag}_{service}"


def test_a_role_cannot_connect_to_another_services_database(initialised):
    tag, passwords, server = initialised
    url = _url(server, f"{tag}_notify", passwords["notify"], f"{tag}_db_enrolment")
    with pytest.raises(psycopg.OperationalError, match="permission denied|not permitted|denied"):
        psycopg.connect(url).close()
