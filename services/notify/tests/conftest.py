"""Fixtures of the notify tests: the service on SQLite with a recording
transport, and a way to hand it events as its consumer would."""
from __future__ import annotations

import dataclasses
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.auth import create_token
from coalizione_common.inbox import claim
from notify.app import create_app
from notify.adapters.orm import deliveries
from notify.bootstrap import build_runtime, prepare
from notify.config import NotifyConfig
from notify.consumers import dispatch
from notify.deliveries import Sender
from tests.support.services import settings_for

from services.notify.tests.builders import NOW
from services.notify.tests.fakes import RecordingTransport


@pytest.fixture
def notify(tmp_path):
    config = NotifyConfig(mail_dir=tmp_path / "mail", retry_backoff=(0.0,), max_attempts=4,
                          sender_interval=0.02, reminder_interval=3600,
                          mail_from="Programma CO-AliZIONE <coalizione@coalizione.example>")
    runtime = build_runtime(settings_for("notify", tmp_path, now=NOW), config=config,
                            transport=RecordingTransport())
    prepare(runtime)
    runtime.handle = lambda envelope: handle(runtime, envelope)
    runtime.send_all = lambda: Sender(runtime).run_once()
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def api(notify):
    """notify's HTTP API with an operator token ("op-token") and a viewer
    token; ``client.operator`` and ``client.viewer`` are their headers."""
    notify.settings = dataclasses.replace(notify.settings, operator_token="op-token")
    client = create_app(notify).test_client()
    client.viewer = {"Authorization": f"Bearer {create_token(notify, 'viewer')}"}
    client.operator = {"Authorization": "Bearer op-token"}
    return client


def handle(runtime, envelope) -> bool:
    """What the consumer does with one message: claim it in the inbox and
    run the handler, in one transaction."""
    with Session(runtime.engine) as session, session.begin():
        if not claim(session, runtime.inbox, "notify.test", envelope, runtime.clock.now()):
            return False
        dispatch(runtime, session, envelope)
    return True


def delivery_rows(runtime, **where):
    query = select(deliveries).order_by(deliveries.c.created_at, deliveries.c.id)
    for column, value in where.items():
        query = query.where(deliveries.c[column] == value)
    with runtime.engine.connect() as conn:
        return conn.execute(query).all()


def outbox_events(runtime, type_prefix: str = "notification."):
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(runtime.outbox.c.type, runtime.outbox.c.body)
                            .order_by(runtime.outbox.c.id)).all()
    return [json.loads(r.body) for r in rows if r.type.startswith(type_prefix)]
