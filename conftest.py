"""Fixtures every test suite of the repository may use."""
from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from coalizione_common.config import BusSettings
from tests.support import infrastructure as infra

ROOT = Path(__file__).parent
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def docker_compose_file():
    return str(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def infrastructure(request) -> infra.Infrastructure:
    return infra.resolve(request)


class Broker:
    """Isolated names on the real broker for one test; deleted afterwards."""

    def __init__(self, url: str):
        self.url = url
        self.queues: set[str] = set()
        self.exchanges: set[str] = set()

    def settings(self, **overrides) -> BusSettings:
        tag = f"t{infra.RUN_ID}.{next(_counter)}"
        settings = BusSettings(url=self.url, exchange=f"{tag}.events", dead_exchange=f"{tag}.dead",
                               queue_prefix=f"{tag}.", **overrides)
        self.exchanges.update({settings.exchange, settings.dead_exchange})
        return settings

    def track(self, *queue_names: str) -> None:
        for name in queue_names:
            self.queues.update({name, f"{name}.dead"})

    def cleanup(self) -> None:
        infra.delete_broker_objects(self.url, sorted(self.queues), sorted(self.exchanges))


@pytest.fixture
def broker(infrastructure):
    b = Broker(infrastructure.amqp_url)
    yield b
    b.cleanup()


@pytest.fixture
def postgres_database(infrastructure):
    """A factory of fresh PostgreSQL databases, dropped after the test."""
    names = []

    def make(label: str = "db") -> str:
        name = f"t{infra.RUN_ID}_{next(_counter)}_{label}"
        names.append(name)
        return infra.create_database(infrastructure.postgres_url, name)

    yield make
    for name in names:
        infra.drop_database(infrastructure.postgres_url, name)
