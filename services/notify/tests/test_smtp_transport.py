"""The SMTP transport against a real server on loopback: STARTTLS with
authentication, TLS from the first byte, and how refusals are classified."""
from __future__ import annotations

import shutil
import socket
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notify.adapters.transport import (PermanentFailure, SmtpTransport, TransientFailure,
                                      without_addresses)
from services.notify.tests.smtp_server import Mailbox, free_port

MESSAGE = (b"From: a@coalizione.example\r\nTo: b@comune.example.it\r\n"
           b"Subject: prova\r\nMessage-ID: <x@coalizione.example>\r\n\r\nciao\r\n")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and \
        (auth_data.login, auth_data.password) == (b"notify@ente", b"s:egreto")
    return AuthResult(success=ok, handled=False)


def serve(mailbox: Mailbox | None = None, **kwargs):
    mailbox = mailbox if mailbox is not None else Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return mailbox, controller


def test_starttls_and_login_when_the_server_requires_them(certificate):
    server_ctx, client_ctx = certificate
    mailbox, controller = serve(tls_context=server_ctx, require_starttls=True,
                                authenticator=authenticator, auth_require_tls=True)
    try:
        url = f"smtp://notify%40ente:s%3Aegreto@127.0.0.1:{controller.port}"
        SmtpTransport(url, timeout=5, ssl_context=client_ctx).send(
            "a@coalizione.example", "b@comune.example.it", MESSAGE)
        [received] = mailbox.received
        assert received.rcpt_tos == ["b@comune.example.it"]
        assert received.message["Message-ID"] == "<x@coalizione.example>"
        wrong = f"smtp://notify%40ente:sbagliata@127.0.0.1:{controller.port}"
        with pytest.raises(TransientFailure, match="authentication"):
            SmtpTransport(wrong, timeout=5, ssl_context=client_ctx).send(
                "a@coalizione.example", "b@comune.example.it", MESSAGE)
    finally:
        controller.stop()


def test_smtps_speaks_tls_from_the_first_byte(certificate):
    server_ctx, client_ctx = certificate
    mailbox, controller = serve(ssl_context=server_ctx)
    try:
        SmtpTransport(f"smtps://127.0.0.1:{controller.port}", timeout=5,
                      ssl_context=client_ctx).send("a@coalizione.example",
                                                   "b@comune.example.it", MESSAGE)
        assert mailbox.count() == 1
    finally:
        controller.stop()


def test_refusals_are_transient_or_permanent_by_their_code():
    mailbox, controller = serve()
    transport = SmtpTransport(f"smtp://127.0.0.1:{controller.port}", timeout=5)
    try:
        mailbox.replies = ["452 4.2.2 mailbox full", "550 5.1.1 no such user"]
        with pytest.raises(TransientFailure) as transient:
            transport.send("a@coalizione.example", "b@comune.example.it", MESSAGE)
        assert transient.value.reason == "452 4.2.2 mailbox full"
        with pytest.raises(PermanentFailure) as permanent:
            transport.send("a@coalizione.example", "b@comune.example.it", MESSAGE)
        assert permanent.value.reason == "550 5.1.1 no such user"
    finally:
        controller.stop()
    with pytest.raises(TransientFailure, match="connection"):
        SmtpTransport(f"smtp://127.0.0.1:{free_port()}", timeout=2).send(
            "a@coalizione.example", "b@comune.example.it", MESSAGE)


def test_a_refusal_quoting_the_recipient_keeps_the_reason_but_not_the_address():
    mailbox, controller = serve()
    transport = SmtpTransport(f"smtp://127.0.0.1:{controller.port}", timeout=5)
    try:
        mailbox.replies = ["550 5.1.1 <b.rossi@comune.example.it>: Recipient address rejected"]
        with pytest.raises(PermanentFailure) as permanent:
            transport.send("a@coalizione.example", "b.rossi@comune.example.it", MESSAGE)
    finally:
        controller.stop()
    assert permanent.value.reason == "550 5.1.1 <[address]>: Recipient address rejected"


@pytest.mark.parametrize("text, masked", [
    ("550 5.1.1 <mario.rossi@comune.forli.fc.it>: Recipient address rejected",
     "550 5.1.1 <[address]>: Recipient address rejected"),
    ("550 sorry, no mailbox here by that name (#5.1.1 - chkuser) a+b@x.it",
     "550 sorry, no mailbox here by that name (#5.1.1 - chkuser) [address]"),
    ("452 too many recipients: a@b.it, c@d.it", "452 too many recipients: [address], [address]"),
    ("552 5.2.2 mailbox full", "552 5.2.2 mailbox full"),
    ("SMTPRecipientsRefused: {'x@y.it': (550, b'no')}", "SMTPRecipientsRefused: {'[address]': (550, b'no')}"),
])
def test_reasons_are_stripped_of_addresses(text, masked):
    assert without_addresses(text) == masked


class Peers(Mailbox):
    """A mailbox that also notes the SMTP session (one per connection) of
    each accepted message."""

    def __init__(self):
        super().__init__()
        self.peers = []

    async def handle_DATA(self, server, session, envelope):
        self.peers.append(session)
        return await super().handle_DATA(server, session, envelope)


def test_a_session_sends_several_messages_over_one_connection():
    mailbox, controller = serve(Peers())
    try:
        with SmtpTransport(f"smtp://127.0.0.1:{controller.port}", timeout=5).session() as smtp:
            for n in range(3):
                smtp.send("a@coalizione.example", f"p{n}@comune.example.it", MESSAGE)
        assert mailbox.count() == 3 and len(set(map(id, mailbox.peers))) == 1
    finally:
        controller.stop()


def test_a_session_reconnects_when_its_connection_was_dropped_and_after_a_refusal():
    mailbox, controller = serve(Peers())
    try:
        with SmtpTransport(f"smtp://127.0.0.1:{controller.port}", timeout=5).session() as smtp:
            smtp.send("a@coalizione.example", "p1@comune.example.it", MESSAGE)
            smtp.client.sock.shutdown(socket.SHUT_RDWR)  # the connection is gone while idle
            smtp.send("a@coalizione.example", "p2@comune.example.it", MESSAGE)
            mailbox.replies = ["550 5.1.1 no such user"]
            with pytest.raises(PermanentFailure, match="550 5.1.1"):
                smtp.send("a@coalizione.example", "p3@comune.example.it", MESSAGE)
            smtp.send("a@coalizione.example", "p4@comune.example.it", MESSAGE)
        assert [r.rcpt_tos for r in mailbox.received] == [["p1@comune.example.it"],
                                                          ["p2@comune.example.it"],
                                                          ["p4@comune.example.it"]]
        assert len(set(map(id, mailbox.peers))) == 3, "dropped, refused: a new connection each time"
    finally:
        controller.stop()
