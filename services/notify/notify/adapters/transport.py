"""Getting a rendered message to its recipient: SMTP, or .eml files.

Both raise :class:`TransientFailure` for what may work later (4xx replies,
lost connections, timeouts) and :class:`PermanentFailure` for what will
not (5xx replies), with the server's own words as the reason, any e-mail
address in them masked: the reason travels in ``notification.failed``,
which partners may read.
"""
from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit


ADDRESS = re.compile(r"[^\s<>()\[\]{}@,;:\"']+@[^\s<>()\[\]{}@,;:\"']+")


def without_addresses(text: str) -> str:
    """``text`` with every e-mail address replaced by ``[address]``."""
    return ADDRESS.sub("[address]", text)


class DeliveryFailure(Exception):
    def __init__(self, reason: str):
        reason = without_addresses(reason)
        super().__init__(reason)
        self.reason = reason


class TransientFailure(DeliveryFailure):
    """Try again later."""


class PermanentFailure(DeliveryFailure):
    """Do not try again: the server refused for good."""


def _reply(code: int, message) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}".strip()


def _classify(code: int, reason: str) -> DeliveryFailure:
    return PermanentFailure(reason) if 500 <= code < 600 else TransientFailure(reason)


class SmtpTransport:
    """``smtp://[user:pass@]host[:port]`` (STARTTLS whenever the server
    offers it) or ``smtps://`` (TLS from the first byte)."""

    def __init__(self, url: str, timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None,
                 helo: str | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"SMTP_URL must start with smtp:// or smtps://, got {parts.scheme!r}")
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        # smtplib would otherwise resolve our FQDN on every connection.
        self.helo = helo or socket.gethostname() or "localhost"
        self.ssl_context = ssl_context or ssl.create_default_context()

    def __repr__(self) -> str:
        return f"SmtpTransport({'smtps' if self.tls else 'smtp'}://{self.host}:{self.port})"

    def _connect(self) -> smtplib.SMTP:
        if self.tls:
            client = smtplib.SMTP_SSL(self.host, self.port, local_hostname=self.helo,
                                      timeout=self.timeout, context=self.ssl_context)
        else:
            client = smtplib.SMTP(self.host, self.port, local_hostname=self.helo,
                                  timeout=self.timeout)
        client.ehlo_or_helo_if_needed()
        if not self.tls and client.has_extn("starttls"):
            client.starttls(context=self.ssl_context)
            client.ehlo()
        if self.username:
            client.login(self.username, self.password or "")
        return client

    def send(self, sender: str, recipient: str, message: bytes, name: str = "") -> None:
        """Return once the server accepted the message for ``recipient``
        (on a connection of its own)."""
        with self.session() as smtp:
            smtp.send(sender, recipient, message, name)

    def session(self) -> "SmtpSession":
        """A connection for several messages (see :class:`SmtpSession`)."""
        return SmtpSession(self)

    def open(self) -> smtplib.SMTP:
        """A connected, greeted (and, as configured, encrypted and logged in)
        client; failures raised as :class:`DeliveryFailure`."""
        try:
            return self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            # The message is fine; the relay's credentials are not.
            raise TransientFailure(f"authentication: {_reply(exc.smtp_code, exc.smtp_error)}")
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientFailure(f"connection: {type(exc).__name__}: {exc}")


class _Stale(Exception):
    """A reused connection the server had closed, noticed at MAIL FROM:
    nothing of the message has gone out."""


class SmtpSession:
    """Several messages over one SMTP connection (a sender's batch): the
    connection is opened for the first message, again after any failure,
    and closed with QUIT by :meth:`close`.

    A connection the server dropped while we were not using it shows at
    MAIL FROM (disconnection or ``421``), before any of the message was
    sent: the message then goes on a new connection. Any other failure
    closes the connection and is reported as :meth:`SmtpTransport.send`
    would report it, so a message is never given twice to the server by
    one call.
    """

    def __init__(self, transport: SmtpTransport):
        self.transport = transport
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> "SmtpSession":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def send(self, sender: str, recipient: str, message: bytes, name: str = "") -> None:
        """Return once the server accepted the message for ``recipient``."""
        reused = self.client is not None
        if not reused:
            self.client = self.transport.open()
        try:
            try:
                self._mail_from(sender, message, reused)
            except _Stale:
                self._drop()
                self.client = self.transport.open()
                self._mail_from(sender, message, reused=False)
            self._rcpt_and_data(recipient, message)
        except smtplib.SMTPRecipientsRefused as exc:
            self._drop()
            code, text = exc.recipients.get(recipient, next(iter(exc.recipients.values())))
            raise _classify(code, _reply(code, text))
        except smtplib.SMTPResponseException as exc:
            self._drop()
            raise _classify(exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:
            self._drop()
            raise TransientFailure(f"connection: {type(exc).__name__}: {exc}")
        except BaseException:
            self._drop()
            raise

    def _mail_from(self, sender: str, message: bytes, reused: bool) -> None:
        """MAIL FROM, as ``smtplib.SMTP.sendmail`` gives it."""
        client = self.client
        options = [f"size={len(message)}"] if client.does_esmtp and client.has_extn("size") \
            else []
        try:
            code, text = client.mail(sender, options)
        except (OSError, smtplib.SMTPServerDisconnected):
            if reused:
                raise _Stale()
            raise
        if code == 421 and reused:
            raise _Stale()
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, text, sender)

    def _rcpt_and_data(self, recipient: str, message: bytes) -> None:
        code, text = self.client.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, text)})
        code, text = self.client.data(message)
        if code != 250:
            raise smtplib.SMTPDataError(code, text)

    def _drop(self) -> None:
        """Forget the connection after a failure (its state is unknown)."""
        client, self.client = self.client, None
        if client is not None:
            try:
                client.close()
            except Exception:
                pass

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.quit()
        except Exception:
            client.close()


class _OneByOne:
    """The session of a transport that has none: each message is sent alone."""

    def __init__(self, transport):
        self.transport = transport

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def send(self, sender: str, recipient: str, message: bytes, name: str = ""):
        return self.transport.send(sender, recipient, message, name=name)

    def close(self) -> None:
        pass


def session_of(transport):
    """``transport.session()`` when it has one (SMTP), else a session that
    hands each message to ``transport.send``."""
    opener = getattr(transport, "session", None)
    return opener() if opener else _OneByOne(transport)


class FileTransport:
    """Writes each message as ``<delivery id>.eml``: the embedded mode's
    outbox for people, and a faithful record for demos."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __repr__(self) -> str:
        return f"FileTransport({self.folder})"

    def send(self, sender: str, recipient: str, message: bytes, name: str = "message") -> Path:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{name}.eml"
            fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
            with os.fdopen(fd, "wb") as handle:
                handle.write(message)
            os.replace(temporary, target)
            return target
        except OSError as exc:
            raise TransientFailure(f"cannot write {self.folder}: {exc}")


def transport_for(config):
    if config.smtp_url:
        return SmtpTransport(config.smtp_url, timeout=config.smtp_timeout, helo=config.smtp_helo)
    return FileTransport(config.mail_dir)
