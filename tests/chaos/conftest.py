"""The isolated stack of the chaos tests, on the real RabbitMQ and
PostgreSQL, e-mail into an in-process SMTP sink."""
from __future__ import annotations

import pytest

pytest.importorskip("psutil")

from tests.chaos.harness import SERVICES, SmtpSink, Stack


@pytest.fixture
def chaos_stack(infrastructure, postgres_database, broker, tmp_path):
    bus = broker.settings()
    databases = {service: postgres_database(service) for service in SERVICES}
    with SmtpSink() as sink:
        stack = Stack(infrastructure.amqp_url, databases, bus.exchange, bus.dead_exchange,
                      bus.queue_prefix, tmp_path, extra_env={"SMTP_URL": sink.url})
        try:
            stack.start()
            yield stack, sink
        finally:
            stack.stop()
            broker.track(*stack.queues() if stack.port else ())
