"""The four services built for fuzzing: SQLite under a temporary folder,
the in-memory bus, a bootstrap operator token, a few real records so that
lookups reach past the 404 branch."""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from pathlib import Path

from coalizione_common.envelope import Envelope
from sqlalchemy.orm import Session

from tests.support.services import build_service

SERVICES = ("registry", "enrolment", "scheduling", "notify")
OPERATOR_TOKEN = "fuzz-operator-token"
NOW = "2017-06-20T09:00:00+02:00"

# What the services read from the environment outside their settings.
ENVIRONMENT = {"REGISTRY_SEED": "0", "ENROLMENT_RATE_LIMIT": "0"}

ENTITY = {
    "code": "040012", "name": "Forlì", "kind": "comune", "province": "FC",
    "region": "Emilia-Romagna", "population": 116434, "population_date": "2011-10-09",
    "eligible": True, "eligibility_reason": "popolazione legale 116.434", "lat": 44.22,
    "lon": 12.04,
}


@contextmanager
def environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build(service: str, folder: Path, **kwargs):
    folder.mkdir(parents=True, exist_ok=True)
    with environment(ENVIRONMENT):
        runtime = build_service(service, folder, now=NOW, operator_token=OPERATOR_TOKEN, **kwargs)
        app = importlib.import_module(f"{service}.app").create_app(runtime)
    app.config["TESTING"] = False
    return runtime, app


def deliver(runtime, type: str, data: dict, subject: str | None = None) -> None:
    """Hand one event to the service's own handler, as its consumer would."""
    envelope = Envelope.new(type, "fuzz", subject, data, runtime.clock.now())
    for subscription in runtime.subscriptions:
        if any(_matches(p, type) for p in subscription.patterns):
            with Session(runtime.engine) as session, session.begin():
                subscription.handler(session, envelope)


def _matches(pattern: str, key: str) -> bool:
    import re
    regex = re.escape(pattern).replace(r"\#", ".*").replace(r"\*", "[^.]+")
    return re.fullmatch(regex, key) is not None
