import itertools
import threading
import uuid

import pytest

from coalizione_common.config import BusSettings

_n = itertools.count(1)


@pytest.fixture(params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
def backend(request, tmp_path):
    """(database URL, bus settings, broker tracker) on the in-memory bus with
    SQLite, or on the real RabbitMQ with PostgreSQL."""
    if request.param == "memory":
        tag = f"m{uuid.uuid4().hex[:8]}"
        settings = BusSettings(url="memory://", exchange=f"{tag}.events",
                               dead_exchange=f"{tag}.dead", queue_prefix=f"{tag}.")
        return f"sqlite:///{tmp_path / f'db{next(_n)}.sqlite'}", settings, None
    broker = request.getfixturevalue("broker")
    make_db = request.getfixturevalue("postgres_database")
    return make_db("backbone"), broker.settings(), broker


@pytest.fixture
def stop():
    event = threading.Event()
    yield event
    event.set()
