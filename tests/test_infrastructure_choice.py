"""How integration tests choose their broker and database: the environment
first, and an unreachable service fails under CI instead of skipping."""
from __future__ import annotations

import pytest

from tests.support import infrastructure


class _Request:
    def getfixturevalue(self, name):
        raise AssertionError(f"{name} must not be used when the environment names the services")


def test_the_environment_wins_and_an_unreachable_broker_fails_under_ci(monkeypatch):
    monkeypatch.setenv("COALIZIONE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:9//")
    monkeypatch.setenv("COALIZIONE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:9")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="RabbitMQ at 127.0.0.1:9 .environment."):
        infrastructure.resolve(_Request())


def test_outside_ci_an_unreachable_database_is_a_skip_with_its_reason(monkeypatch):
    monkeypatch.setenv("COALIZIONE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:9//")
    monkeypatch.setenv("COALIZIONE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:9")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="does not answer"):
        infrastructure.resolve(_Request())


def test_the_services_variables_do_not_leak_into_tests():
    import os
    for name in infrastructure.SERVICE_VARIABLES:
        assert name not in os.environ
