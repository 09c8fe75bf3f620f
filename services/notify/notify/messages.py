"""Rendering messages: Jinja2 templates in Italian (plain text with the
subject in a block, and HTML), assembled into one MIME message."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

ROME = ZoneInfo("Europe/Rome")
TEMPLATES = Path(__file__).parent / "templates"
_DAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
_MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre")
_KINDS = {"comune": "Comune", "unione_di_comuni": "Unione di comuni",
          "comunita_montana": "Comunità montana", "provincia": "Provincia",
          "citta_metropolitana": "Città metropolitana"}


def local(value: datetime) -> datetime:
    return value.astimezone(ROME)


def italian_date(value: datetime | date) -> str:
    """``lunedì 3 luglio 2017`` (in Rome's time for instants)."""
    if isinstance(value, datetime):
        value = local(value)
    return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


def italian_time(value: datetime) -> str:
    return local(value).strftime("%H:%M")


def italian_datetime(value: datetime) -> str:
    return f"{italian_date(value)}, ore {italian_time(value)}"


def italian_number(value) -> str:
    """``12``, ``7,5``: hours as Italians write them."""
    number = float(value or 0)
    return (f"{number:.0f}" if number.is_integer() else f"{number:.2f}".rstrip("0")).replace(".", ",")


def topic_label(topic) -> str:
    """A topic's title, or its id made readable when no title is known."""
    if isinstance(topic, dict):
        if topic.get("title"):
            return topic["title"]
        topic = topic.get("id")
    if not topic:
        return ""
    text = str(topic).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def entity_label(entity: dict) -> str:
    kind = _KINDS.get(entity.get("kind") or "", "")
    name = entity.get("name") or entity.get("code") or ""
    if kind == "Comune":
        return f"Comune di {name}"
    return name if not kind or name.lower().startswith(kind.lower()) else f"{kind} {name}"


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(data=italian_date, ora=italian_time, data_ora=italian_datetime,
                       tema=topic_label, ente=entity_label, numero=italian_number)
    return env


ENVIRONMENT = _environment()


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    maintype: str
    subtype: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(template: str, context: dict) -> Rendered:
    """``<template>.txt`` gives the subject (block ``subject``) and the
    plain text; ``<template>.html`` the HTML alternative."""
    text_template = ENVIRONMENT.get_template(f"{template}.txt")
    ctx = text_template.new_context(context)
    subject = " ".join("".join(text_template.blocks["subject"](ctx)).split())
    text = text_template.render(context)
    html = ENVIRONMENT.get_template(f"{template}.html").render(context)
    return Rendered(subject, text.strip() + "\n", html)


def message_id(delivery_id: str, domain: str) -> str:
    """The Message-ID of a delivery: the same on every attempt, so a
    message sent twice across a crash is recognisably one message."""
    return f"<{delivery_id}@{domain}>"


def assemble(rendered: Rendered, *, sender: str, to_name: str, to_address: str,
             msg_id: str, date_: datetime, attachments=(), headers: dict | None = None) -> str:
    """The whole message, ASCII-safe (quoted-printable bodies, RFC 2047
    headers, base64 attachments), with CRLF line ends."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = formataddr((to_name, to_address)) if to_name else to_address
    msg["Date"] = format_datetime(date_)
    msg["Message-ID"] = msg_id
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = "it"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(rendered.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8", cte="quoted-printable")
    for attachment in attachments:
        msg.add_attachment(attachment.content, maintype=attachment.maintype,
                           subtype=attachment.subtype, filename=attachment.filename,
                           params=attachment.params or None)
    return msg.as_string()
