"""Where the integration tests find RabbitMQ and PostgreSQL.

In order: the environment (``COALIZIONE_TEST_AMQP_URL`` and
``COALIZIONE_TEST_POSTGRES_URL``, which .ci/run sets for the services this
machine runs, or else ``AMQP_URL`` and ``POSTGRES_URL`` as they were when the
test session started); otherwise, where a Docker engine
answers, pytest-docker starts ``rabbitmq`` and ``postgres`` from
docker-compose.yml; otherwise the default local ports. A broker or database
that cannot be reached fails the run under ``CI=true`` and is reported as a
skip with its reason elsewhere: never a silent skip.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest

LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672//"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
RUN_ID = uuid.uuid4().hex[:10]


@dataclass(frozen=True)
class Infrastructure:
    amqp_url: str
    postgres_url: str
    origin: str


def reachable(url: str, default_port: int, timeout: float = 2.0) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port),
                                      timeout=timeout):
            return True
    except OSError:
        return False


def docker_engine_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def unavailable(reason: str):
    """Fail under CI, skip loudly elsewhere."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"integration infrastructure unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"integration infrastructure unavailable: {reason}")


# The services' own variables are taken out of the test process, so that no
# test picks up a developer's broker or database by accident; only the
# integration fixtures see them.
SERVICE_VARIABLES = ("AMQP_URL", "POSTGRES_URL", "DATABASE_URL", "SMTP_URL", "COALIZIONE_NOW",
                     "COALIZIONE_OPERATOR_TOKEN", "PORT")
_SAVED = {name: os.environ.pop(name) for name in SERVICE_VARIABLES if name in os.environ}


def resolve(request) -> Infrastructure:
    env_amqp = os.environ.get("COALIZIONE_TEST_AMQP_URL") or _SAVED.get("AMQP_URL")
    env_pg = os.environ.get("COALIZIONE_TEST_POSTGRES_URL") or _SAVED.get("POSTGRES_URL")
    if env_amqp and env_amqp.startswith("memory"):
        env_amqp = None
    if env_amqp or env_pg:
        infra = Infrastructure(env_amqp or LOCAL_AMQP, env_pg or LOCAL_POSTGRES, "environment")
    elif docker_engine_available():
        services = request.getfixturevalue("docker_services")
        # guest may only connect from inside the container: use the
        # compose file's dev-only administrator on its vhost.
        amqp = f"amqp://admin:admin-dev-only@127.0.0.1:{services.port_for('rabbitmq', 5672)}/coalizione"
        os.environ.setdefault(
            "COALIZIONE_TEST_RABBITMQ_MANAGEMENT_URL",
            f"http://admin:admin-dev-only@127.0.0.1:{services.port_for('rabbitmq', 15672)}")
        pg = f"postgresql://postgres:postgres@127.0.0.1:{services.port_for('postgres', 5432)}"
        services.wait_until_responsive(lambda: reachable(amqp, 5672) and reachable(pg, 5432),
                                       timeout=120, pause=1)
        infra = Infrastructure(amqp, pg, "pytest-docker")
    else:
        infra = Infrastructure(LOCAL_AMQP, LOCAL_POSTGRES, "local default ports")
    for url, port, what in ((infra.amqp_url, 5672, "RabbitMQ"), (infra.postgres_url, 5432, "PostgreSQL")):
        if not reachable(url, port):
            unavailable(f"{what} at {urlsplit(url).hostname}:{urlsplit(url).port or port} "
                        f"({infra.origin}) does not answer")
    return infra


def create_database(postgres_url: str, name: str) -> str:
    import psycopg
    with psycopg.connect(f"{postgres_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_url.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def drop_database(postgres_url: str, name: str) -> None:
    import psycopg
    with psycopg.connect(f"{postgres_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def delete_broker_objects(amqp_url: str, queues=(), exchanges=()) -> None:
    from kombu import Connection
    with Connection(amqp_url) as conn:
        channel = conn.channel()
        for queue in queues:
            try:
                channel.queue_delete(queue)
            except Exception:
                channel = conn.channel()
        for exchange in exchanges:
            try:
                channel.exchange_delete(exchange)
            except Exception:
                channel = conn.channel()
