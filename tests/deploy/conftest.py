"""The broker definitions loaded into a fresh vhost, for the tests of
deploy/ that need the real RabbitMQ."""
from __future__ import annotations

import itertools

import pytest

from tests.deploy.brokertest import LoadedDefinitions, management_for
from tests.support import infrastructure as infra

_loads = itertools.count(1)


@pytest.fixture(scope="module")
def loaded(infrastructure):
    api = management_for(infrastructure.amqp_url)
    definitions = LoadedDefinitions(api, infrastructure.amqp_url, f"t{infra.RUN_ID}{next(_loads)}")
    definitions.load()
    yield definitions
    definitions.delete()
