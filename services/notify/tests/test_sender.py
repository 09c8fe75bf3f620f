"""The delivery state machine: queued -> sending -> sent | retry | failed."""
from __future__ import annotations

import dataclasses
from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from notify.adapters.transport import FileTransport, SmtpTransport
from notify.config import NotifyConfig
from notify.deliveries import Sender
from services.notify.tests.builders import Body
from services.notify.tests.conftest import delivery_rows, outbox_events


def test_transient_refusals_are_retried_until_the_server_accepts(notify):
    notify.transport.script = ["451 4.3.0 try later", "421 4.7.0 busy"]
    body = Body()
    notify.handle(body.roster("submitted"))
    sender = Sender(notify)
    [row] = delivery_rows(notify)
    sender.attempt(sender.claim())
    [row] = delivery_rows(notify)
    assert (row.state, row.attempts, row.reason) == ("retry", 1, "451 4.3.0 try later")
    assert outbox_events(notify) == []
    sender.run_once()
    [row] = delivery_rows(notify)
    assert (row.state, row.attempts, row.reason) == ("sent", 3, None)
    assert len(notify.transport.sent) == 1
    assert [e["type"] for e in outbox_events(notify)] == ["notification.sent"]


def test_a_retry_waits_for_its_backoff(notify):
    notify.notify = dataclasses.replace(notify.notify, retry_backoff=(3600.0,))
    notify.transport.script = ["450 mailbox busy"]
    notify.handle(Body().roster("submitted"))
    assert Sender(notify).run_once() == 1
    assert Sender(notify).run_once() == 0
    [row] = delivery_rows(notify)
    assert row.state == "retry"
    waited = (row.next_attempt_at - row.updated_at).total_seconds()
    assert waited == 3600


def test_a_permanent_refusal_fails_with_the_servers_reason(notify):
    notify.transport.script = ["550 5.1.1 mailbox unknown"]
    body = Body()
    notify.handle(body.roster("submitted"))
    Sender(notify).run_once()
    [row] = delivery_rows(notify)
    assert (row.state, row.attempts, row.reason) == ("failed", 1, "550 5.1.1 mailbox unknown")
    [event] = outbox_events(notify)
    assert event["type"] == "notification.failed"
    assert event["data"]["reason"] == "550 5.1.1 mailbox unknown"
    assert event["data"]["recipient_id"] == body.contact["id"]
    assert Sender(notify).run_once() == 0 and notify.transport.sent == []


def test_a_delivery_that_keeps_failing_transiently_fails_after_max_attempts(notify):
    notify.transport.script = ["451 later"] * 10
    notify.handle(Body().roster("submitted"))
    Sender(notify).run_once()
    [row] = delivery_rows(notify)
    assert (row.state, row.attempts) == ("failed", notify.notify.max_attempts)
    assert row.reason == f"gave up after {notify.notify.max_attempts} attempts: 451 later"
    assert [e["type"] for e in outbox_events(notify)] == ["notification.failed"]


def test_a_sender_that_died_mid_send_is_taken_over_after_the_lease_with_the_same_message_id(notify):
    notify.handle(Body().roster("submitted"))
    crashed = Sender(notify).claim()  # claimed, then the process died
    assert Sender(notify).run_once() == 0, "within the lease nobody else sends it"
    notify.notify = dataclasses.replace(notify.notify, sending_lease=0.0)
    assert Sender(notify).run_once() == 1
    [row] = delivery_rows(notify)
    assert (row.state, row.attempts) == ("sent", 2)
    [(_, _, message)] = notify.transport.sent
    assert message["Message-ID"] == crashed.message_id
    assert Sender(notify).record(crashed, "sent", None) == "sent"
    assert len(outbox_events(notify)) == 1, "the late outcome of the dead attempt is ignored"


def test_without_smtp_messages_are_written_as_eml_files(tmp_path):
    folder = tmp_path / "mail"
    FileTransport(folder).send("a@x", "b@y", b"Subject: ciao\r\n\r\ntesto\r\n", name="d1")
    FileTransport(folder).send("a@x", "b@y", b"Subject: ciao\r\n\r\ntesto\r\n", name="d1")
    [path] = folder.iterdir()
    assert path.name == "d1.eml"
    assert message_from_bytes(path.read_bytes(), policy=policy.default)["Subject"] == "ciao"


@pytest.mark.parametrize("url, expected", [
    ("smtp://relay.example:2525", (False, "relay.example", 2525, None, None)),
    ("smtp://mailpit", (False, "mailpit", 25, None, None)),
    ("smtps://user%40pa:s%3Aecret@smtp.example", (True, "smtp.example", 465, "user@pa", "s:ecret")),
])
def test_smtp_url_gives_host_port_tls_and_credentials(url, expected):
    transport = SmtpTransport(url)
    assert (transport.tls, transport.host, transport.port, transport.username,
            transport.password) == expected


def test_an_unknown_scheme_is_refused():
    with pytest.raises(ValueError):
        SmtpTransport("http://example")


def test_the_mail_folder_follows_the_var_dir_or_the_database(tmp_path):
    from notify.config import mail_dir
    from tests.support.services import settings_for
    settings = settings_for("notify", tmp_path)
    assert mail_dir(settings, {}) == tmp_path / "mail"
    assert mail_dir(settings, {"COALIZIONE_VAR_DIR": "/srv/c"}) == tmp_path.__class__("/srv/c/mail")
    config = NotifyConfig.from_env(settings, {"NOTIFY_RETRY_BACKOFF": "0.1, 0.5",
                                              "NOTIFY_MAX_ATTEMPTS": "3"})
    assert config.retry_backoff == (0.1, 0.5) and config.max_attempts == 3
    assert [config.backoff(n).total_seconds() for n in (1, 2, 3)] == [0.1, 0.5, 0.5]


def test_outcomes_keep_the_event_contract(notify):
    """notification.sent and notification.failed as docs/events/ describe them."""
    from tests.contract.schemas import problems
    notify.transport.script = ["550 5.1.1 mailbox unknown"]
    notify.handle(Body().roster("submitted"))
    notify.handle(Body().roster("submitted"))
    Sender(notify).run_once()
    events = outbox_events(notify)
    assert sorted(e["type"] for e in events) == ["notification.failed", "notification.sent"]
    assert [problems(e) for e in events] == [[], []]


def test_messages_are_forgotten_after_the_retention_but_the_log_stays(notify):
    from notify.deliveries import forget_old_messages
    notify.handle(Body().roster("submitted"))
    notify.handle(Body().roster("submitted"))
    Sender(notify).run_once(limit=1)
    assert forget_old_messages(notify) == 0
    notify.notify = dataclasses.replace(notify.notify, retention_days=-1)
    assert forget_old_messages(notify) == 1
    kept = {r.state: r for r in delivery_rows(notify)}
    assert kept["sent"].message is None and kept["sent"].recipient_address is None
    assert kept["queued"].message is not None, "what is still to send is kept"


class CountingTransport:
    """A transport with sessions, as SMTP has: which messages went on which."""

    def __init__(self):
        self.sessions = []

    def send(self, sender, recipient, message, name=""):
        raise AssertionError("the sender sends through a session")

    def session(self):
        transport = self

        class Session:
            def __init__(self):
                self.sent, self.closed = [], False
                transport.sessions.append(self)

            def send(self, sender, recipient, message, name=""):
                self.sent.append(recipient)

            def close(self):
                self.closed = True
        return Session()


def test_one_run_claims_several_rows_at_once_and_shares_one_connection(notify, monkeypatch):
    import notify.deliveries as module
    notify.notify = dataclasses.replace(notify.notify, claim_batch=2)
    for _ in range(5):
        notify.handle(Body().roster("submitted"))
    transport = CountingTransport()
    claims = []
    sender = Sender(notify, transport=transport)
    original = sender.claim_many
    monkeypatch.setattr(sender, "claim_many", lambda n: claims.append(original(n)) or claims[-1])
    assert sender.run_once() == 5
    assert [len(c) for c in claims] == [2, 2, 1], "a short batch ends the run"
    [session] = transport.sessions
    assert len(session.sent) == 5 and session.closed
    assert {(r.state, r.attempts) for r in delivery_rows(notify)} == {("sent", 1)}
    assert len(outbox_events(notify)) == 5
    monkeypatch.setattr(module, "SMTP_KEEP_IDLE", 3600)
    worker = Sender(notify, transport=transport, keep_connection=True)
    notify.handle(Body().roster("submitted"))
    assert worker.run_once() == 1 and not transport.sessions[-1].closed
    notify.handle(Body().roster("submitted"))
    assert worker.run_once() == 1 and len(transport.sessions) == 2, "kept for the next run"
    monkeypatch.setattr(module, "SMTP_KEEP_IDLE", -1)
    assert worker.run_once() == 0 and transport.sessions[-1].closed, "closed once idle"


def test_a_row_claimed_with_others_is_not_sent_once_half_its_lease_has_passed(notify):
    notify.handle(Body().roster("submitted"))
    notify.handle(Body().roster("submitted"))
    sender = Sender(notify)
    first, second = sender.claim_many(2)
    second.updated_at -= timedelta(seconds=notify.notify.sending_lease)  # a slow batch
    assert sender._within_lease(first) and not sender._within_lease(second)


def test_an_idle_helper_sender_does_not_look_for_work_unless_there_is_a_backlog(notify):
    notify.notify = dataclasses.replace(notify.notify, claim_batch=2)
    first, helper = [job for job in notify.periodic if job.name.startswith("sender-")][:2]
    notify.handle(Body().roster("submitted"))
    helper.run()
    assert notify.transport.sent == [], "the first sender is idle: it takes new deliveries"
    first.run()
    assert len(notify.transport.sent) == 1 and not helper.wake.is_set()
    for _ in range(3):
        notify.handle(Body().roster("submitted"))
    first.run()  # its first claim fills its batch: the helpers are called
    assert len(notify.transport.sent) == 4 and helper.wake.is_set()


def test_a_run_keeps_one_database_connection_and_records_again_when_it_was_lost(
        notify, monkeypatch):
    """A run claims and records on one connection; if that connection is
    lost while a message goes out, the outcome is written on a new one,
    once, and the rest of the run goes on."""
    from sqlalchemy.exc import DBAPIError

    bodies = [Body() for _ in range(3)]
    for body in bodies:
        notify.handle(body.roster("submitted"))
    sender = Sender(notify)
    checkouts = []
    connect = type(notify.engine).connect
    monkeypatch.setattr(type(notify.engine), "connect",
                        lambda engine: checkouts.append(1) or connect(engine))
    write = Sender._write_outcome
    lost = []

    def lose_once(self, *args):
        if not lost:
            lost.append(1)
            error = DBAPIError("UPDATE deliveries", {}, Exception("server closed the connection"))
            error.connection_invalidated = True
            raise error
        return write(self, *args)

    monkeypatch.setattr(Sender, "_write_outcome", lose_once)
    assert sender.run_once() == 3
    rows = delivery_rows(notify)
    assert [(r.state, r.attempts) for r in rows] == [("sent", 1)] * 3
    assert len(notify.transport.sent) == 3
    assert [e["type"] for e in outbox_events(notify)] == ["notification.sent"] * 3
    # the run's connection, then the claims and outcomes after it was lost
    # each took one (engine.begin() connects too)
    assert lost and len(checkouts) >= 2

    for body in bodies[:2]:
        notify.handle(body.roster("confirmation_requested"))
    checkouts.clear()
    assert sender.run_once() == 2
    assert len(checkouts) == 1  # claims and outcomes of a run share one connection
