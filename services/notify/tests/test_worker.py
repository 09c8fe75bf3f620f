"""The worker as the embedded process runs it: in-memory bus, SQLite, no
SMTP_URL, so messages become .eml files."""
from __future__ import annotations

import threading
from email import message_from_bytes, policy

from kombu import Connection

from coalizione_common.bus import ConfirmingPublisher, OutgoingMessage
from coalizione_common.config import ServiceSettings
from notify.bootstrap import build_runtime, prepare
from services.notify.tests.builders import NOW, Body
from tests.support.backbone import wait_for
from tests.support.services import settings_for


def test_without_smtp_the_worker_writes_each_message_once_as_eml(tmp_path, monkeypatch):
    for name in ("SMTP_URL", "NOTIFY_MAIL_DIR", "COALIZIONE_VAR_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NOTIFY_SENDER_INTERVAL", "0.05")
    settings: ServiceSettings = settings_for("notify", tmp_path, now=NOW)
    runtime = build_runtime(settings)
    prepare(runtime)
    runtime.declare_queues()
    stop = threading.Event()
    threads = runtime.start_worker(stop)
    try:
        body = Body()
        event = body.roster("submitted")
        with Connection(settings.bus.url) as conn:
            publisher = ConfirmingPublisher(conn)
            publisher.publish([OutgoingMessage(event.to_json(), event.type,
                                               settings.bus.exchange, event.id)] * 3)
            publisher.close()
        folder = tmp_path / "mail"
        assert wait_for(lambda: folder.exists() and list(folder.glob("*.eml")), timeout=20)
        wait_for(lambda: False, timeout=0.5)
        [path] = folder.glob("*.eml")
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message["To"].addresses[0].addr_spec == body.contact["email"]
        assert message["Message-ID"] == f"<{path.stem}@localhost>"
        assert body.confirm_url in message.get_body(("plain",)).get_content()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        runtime.engine.dispose()


def test_its_own_settings_may_come_from_a_given_environment(tmp_path):
    environ = {"NOTIFY_MAIL_DIR": str(tmp_path / "posta"), "NOTIFY_RETRY_BACKOFF": "1,2",
               "NOTIFY_MAIL_FROM": "Segreteria <segreteria@coalizione.example>"}
    runtime = build_runtime(settings_for("notify", tmp_path), environ=environ)
    assert runtime.notify.retry_backoff == (1.0, 2.0)
    assert runtime.notify.message_id_domain == "coalizione.example"
    assert runtime.transport.folder == tmp_path / "posta"
    runtime.engine.dispose()
