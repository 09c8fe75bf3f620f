"""Getting a rendered message to its recipient: SMTP, or .eml files.

Both raise :class:`TransientFailure` for what may work later (4xx replies,
lost connections, timeouts) and :class:`PermanentFailure` for what will
not (5xx replies), with the server's own words as the reason.
"""
from __future__ import annotations

import os
import smtplib
import socket
import ssl
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit


class DeliveryFailure(Exception):
    def __init__(self, reason: str):
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
        """Return once the server accepted the message for ``recipient``."""
        try:
            client = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            # The message is fine; the relay's credentials are not.
            raise TransientFailure(f"authentication: {_reply(exc.smtp_code, exc.smtp_error)}")
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientFailure(f"connection: {type(exc).__name__}: {exc}")
        try:
            client.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients.get(recipient, next(iter(exc.recipients.values())))
            raise _classify(code, _reply(code, text))
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:
            raise TransientFailure(f"connection: {type(exc).__name__}: {exc}")
        finally:
            try:
                client.quit()
            except Exception:
                client.close()


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
