"""examples/partner_subscriber.py, run as a partner would run it, against
the definitions on the real RabbitMQ: it gets the adhesion events the
enrolment publishes, never a roster event, and comes back after the broker
drops its connection."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import pytest
from sqlalchemy.orm import Session

from deploy import brokerdefs
from tests.contract.schemas import examples
from tests.deploy.brokertest import ROOT, publish_outbox, service_runtime

pytestmark = pytest.mark.integration


def _lines(process) -> "queue.Queue[str]":
    found: queue.Queue[str] = queue.Queue()

    def read():
        for line in process.stdout:
            found.put(line)

    threading.Thread(target=read, daemon=True).start()
    return found


def _next_event(lines, timeout=20.0) -> dict:
    return json.loads(lines.get(timeout=timeout))


def _emit(loaded, folder, *types):
    runtime = service_runtime(loaded, "enrolment", folder)
    try:
        with Session(runtime.engine) as session, session.begin():
            for event_type in types:
                example = examples()[event_type]
                runtime.emit(session, event_type, example["subject"], example["data"])
        publish_outbox(runtime)
    finally:
        runtime.engine.dispose()


def _drop_partner_connections(loaded, user: str, timeout: float = 30.0) -> int:
    """Close the user's connections from the broker side (the management
    API lists a connection a few seconds after it opened)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [c for c in loaded.api.request("GET", "connections") or [] if c.get("user") == user]
        if found or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    for conn in found:
        loaded.api.request("DELETE", f"connections/{quote(conn['name'], safe='')}")
    return len(found)


def test_the_example_subscriber_receives_adhesions_and_reconnects(loaded, tmp_path):
    user = loaded.user("partner-demo")
    env = {**os.environ, "PARTNER_NAME": brokerdefs.DEMO_PARTNER, "LOG_LEVEL": "INFO",
           "PARTNER_AMQP_URL": loaded.amqp_url(user, brokerdefs.DEV_PASSWORDS["partner-demo"])}
    process = subprocess.Popen([sys.executable, str(ROOT / "examples" / "partner_subscriber.py")],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not _queue_bound(loaded):
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.2)
        lines = _lines(process)
        _emit(loaded, tmp_path / "a", "roster.updated", "adhesion.submitted")
        first = _next_event(lines)
        assert first["type"] == "adhesion.submitted"
        assert first["adhesion_id"] == examples()["adhesion.submitted"]["data"]["adhesion_id"]

        assert _drop_partner_connections(loaded, user) >= 1
        _emit(loaded, tmp_path / "b", "roster.updated", "adhesion.withdrawn")
        second = _next_event(lines, timeout=60)
        assert second["type"] == "adhesion.withdrawn"
        time.sleep(0.5)
        assert lines.empty(), "a roster event or a duplicate reached the partner"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0
    assert "reconnecting" in process.stderr.read()


def _queue_bound(loaded) -> bool:
    name = f"partner.{brokerdefs.DEMO_PARTNER}.adhesions"
    bindings = loaded.api.request("GET", f"queues/{quote(loaded.vhost, safe='')}/{name}/bindings") \
        if _exists(loaded, name) else []
    return any(b.get("routing_key") == "adhesion.#" for b in bindings)


def _exists(loaded, name: str) -> bool:
    import urllib.error
    try:
        loaded.api.request("GET", f"queues/{quote(loaded.vhost, safe='')}/{name}")
        return True
    except urllib.error.HTTPError:
        return False
