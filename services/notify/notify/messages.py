"""Rendering messages: Jinja2 templates in Italian (plain text with the
subject in a block, and HTML), assembled into one MIME message."""
from __future__ import annotations

import binascii
import random
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy, quoprimime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import lru_cache
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
    # "Unione dei Comuni della Romagna Forlivese" is already named as a union.
    if not kind or name.lower().startswith(kind.split()[0].lower()):
        return name
    if kind in ("Provincia", "Città metropolitana"):
        return f"{kind} di {name}"
    return f"{kind} {name}"


# The article of a body's label, by its first word ("il Comune di Forlì",
# "l'Unione...", "la Provincia di..."); a label starting otherwise gets none.
_ARTICLES = {"comune": "il", "consorzio": "il", "libero": "il", "unione": "l'",
             "unità": "l'", "comunità": "la", "provincia": "la", "città": "la"}
_WITH_DI = {"il": "del ", "la": "della ", "l'": "dell'"}


def entity_with_article(entity: dict, preposition: str = "") -> str:
    """The body's label with its article and ``preposition`` ("di" joins
    it: "del Comune di Forlì", "dell'Unione..."; "per" precedes it: "per
    il Comune di Forlì")."""
    label = entity_label(entity)
    article = _ARTICLES.get(label.split(" ", 1)[0].lower())
    if article is None:
        return f"{preposition} {label}".strip()
    if preposition == "di":
        return _WITH_DI[article] + label
    spaced = article if article.endswith("'") else article + " "
    return f"{preposition} {spaced}{label}".strip()


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html"]), trim_blocks=True,
                      lstrip_blocks=True, keep_trailing_newline=True,
                      auto_reload=False)  # templates ship with the code: no stat() per render
    env.filters.update(data=italian_date, ora=italian_time, data_ora=italian_datetime,
                       tema=topic_label, ente=entity_label, numero=italian_number,
                       l_ente=entity_with_article,
                       del_ente=lambda entity: entity_with_article(entity, "di"),
                       per_ente=lambda entity: entity_with_article(entity, "per"))
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
    headers, base64 attachments), with CRLF line ends.

    Written directly rather than through :class:`email.message.EmailMessage`
    (whose header registry parses every header again, about 2 ms a message)
    but to the same bytes: each header is folded by ``policy.SMTP`` itself,
    the bodies are encoded by the same functions, and the structure (part
    headers, their order, boundaries) is the one ``set_content``,
    ``add_alternative`` and ``add_attachment`` produce. The test
    ``test_message_assembly`` holds it to that reference byte for byte.
    (That reference drops ``Content-Language``: ``set_content`` clears every
    ``Content-*`` header of the root, so messages never carried it.)
    """
    to = formataddr((to_name, to_address)) if to_name else to_address
    top = [_header("Subject", rendered.subject), _header("From", sender),
           _fold_address("To", to), _header("Date", format_datetime(date_)),
           _fold_message_id(msg_id), _header("Auto-Submitted", "auto-generated")]
    top += [_header(name, value) for name, value in (headers or {}).items()]
    top.append(_MIME_VERSION)
    body = _alternative(rendered.text, rendered.html)
    if attachments:
        body = _multipart("mixed", [body] + [_attachment(a) for a in attachments])
    return "".join(top) + body


_SMTP = policy.SMTP
_NEWLINES = re.compile(r"\r\n|\r|\n")
_MIME_VERSION = "MIME-Version: 1.0\r\n"
_TEXT_PART = ('Content-Type: text/{subtype}; charset="utf-8"\r\n'
              "Content-Transfer-Encoding: quoted-printable\r\n")
# Every boundary has this length, so the folded multipart header of a
# placeholder fits every real one.
_BOUNDARY_PLACEHOLDER = "=" * 15 + "0" * len(repr(sys.maxsize - 1)) + "=="


def _fold_header(name: str, value: str) -> str:
    """``name: value`` as ``policy.SMTP`` writes it: RFC 2047 encoded words
    for what is not ASCII, folded at 78 characters, CRLF."""
    return _SMTP.fold(*_SMTP.header_store_parse(name, value))


# Values ``policy.SMTP`` writes back unchanged: plain ASCII words (no
# character the parser would quote, decode or escape), short enough not to
# be folded. ``test_message_assembly`` holds the fast path to the ``email``
# package's output, byte for byte, on many generated values.
_WORD = r"[A-Za-z0-9_+-]+"
_DOT_ATOM = rf"{_WORD}(?:\.{_WORD})*"
_DOMAIN = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_PLAIN_ADDRESS = re.compile(
    rf"(?:[A-Za-z0-9'-]+(?: [A-Za-z0-9'-]+)* <{_DOT_ATOM}@{_DOMAIN}>|{_DOT_ATOM}@{_DOMAIN})")
_PLAIN_MESSAGE_ID = re.compile(rf"<{_DOT_ATOM}@{_DOMAIN}>")
_PLAIN_LENGTH = 76  # the folding starts beyond 78 characters; kept clear of it


def _fold_address(name: str, value: str) -> str:
    """:func:`_fold_header` of an address header, without parsing it when
    it is plain (``Maria Rossi <maria.rossi@comune.example.it>``)."""
    if len(name) + 2 + len(value) <= _PLAIN_LENGTH and _PLAIN_ADDRESS.fullmatch(value):
        return f"{name}: {value}\r\n"
    return _fold_header(name, value)


def _fold_message_id(value: str) -> str:
    """:func:`_fold_header` of ``Message-ID``, without parsing a plain one
    (``<delivery id@domain>``)."""
    if len(value) + 12 <= _PLAIN_LENGTH and _PLAIN_MESSAGE_ID.fullmatch(value):
        return f"Message-ID: {value}\r\n"
    return _fold_header("Message-ID", value)


@lru_cache(maxsize=512)
def _header(name: str, value: str) -> str:
    """:func:`_fold_header` for values that repeat (sender, subjects, dates);
    addresses and Message-IDs are not kept."""
    return _fold_header(name, value)


def _crlf(text: str) -> str:
    return _NEWLINES.sub("\r\n", text)


def _part(headers: str, payload: str) -> str:
    """One MIME entity as ``email.generator`` writes it."""
    return headers + "\r\n" + _crlf(payload)


def _text_part(text: str, subtype: str) -> str:
    """What ``set_content(text, subtype=..., charset="utf-8",
    cte="quoted-printable")`` gives: lines normalised, then quoted-printable."""
    normal = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    payload = quoprimime.body_encode(normal.decode("latin-1"), _SMTP.max_line_length)
    headers = _TEXT_PART.format(subtype=subtype)
    return _part(headers + (_MIME_VERSION if subtype == "html" else ""), payload)


def _alternative(text: str, html: str) -> str:
    # The plain part comes from the root's own set_content, so only the
    # HTML part (a new EmailMessage) has a MIME-Version of its own.
    return _multipart("alternative", [_text_part(text, "plain"), _text_part(html, "html")])


@lru_cache(maxsize=64)
def _attachment_headers(filename: str, maintype: str, subtype: str, params: tuple) -> str:
    """The headers ``add_attachment`` gives a part (they do not depend on its
    content), taken from the ``email`` package itself once per kind."""
    part = EmailMessage(policy=_SMTP)
    part.set_content(b"", maintype=maintype, subtype=subtype, filename=filename,
                     params=dict(params) or None)
    if "content-disposition" not in part:
        part["Content-Disposition"] = "attachment"
    return "".join(_SMTP.fold(name, value) for name, value in part.raw_items())


def _attachment(attachment: Attachment) -> str:
    headers = _attachment_headers(attachment.filename, attachment.maintype, attachment.subtype,
                                  tuple((attachment.params or {}).items()))
    step = _SMTP.max_line_length // 4 * 3
    content = attachment.content
    payload = "".join(binascii.b2a_base64(content[i:i + step]).decode("ascii")
                      for i in range(0, len(content), step))
    return _part(headers, payload)


@lru_cache(maxsize=4)
def _multipart_header(subtype: str) -> str:
    return _fold_header("Content-Type",
                        f'multipart/{subtype}; boundary="{_BOUNDARY_PLACEHOLDER}"')


def _boundary(text: str) -> str:
    """A boundary as ``email.generator`` draws it, and like it one that
    does not occur in ``text``."""
    boundary = "=" * 15 + f"{random.randrange(sys.maxsize):0{len(repr(sys.maxsize - 1))}d}" + "=="
    candidate, counter = boundary, 0
    while f"--{candidate}" in text and \
            re.search("^--" + re.escape(candidate) + "(--)?$", text, re.MULTILINE):
        candidate, counter = f"{boundary}.{counter}", counter + 1
    return candidate


def _multipart(subtype: str, parts: list[str]) -> str:
    """Headers then the parts between boundaries, as the generator writes a
    ``multipart/<subtype>`` whose parts are already written."""
    boundary = _boundary("\r\n".join(parts))
    header = _multipart_header(subtype).replace(_BOUNDARY_PLACEHOLDER, boundary)
    if len(boundary) != len(_BOUNDARY_PLACEHOLDER):  # a collision made it longer
        header = _fold_header("Content-Type", f'multipart/{subtype}; boundary="{boundary}"')
    delimiter = f"--{boundary}"
    body = delimiter + "\r\n" + ("\r\n" + delimiter + "\r\n").join(parts)
    return header + "\r\n" + body + "\r\n" + delimiter + "--\r\n"
