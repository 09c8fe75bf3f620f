"""``messages.assemble`` writes a message without the ``email`` package's
object model, for speed; it must give the bytes that model gives. The
reference below is the former implementation (EmailMessage with
``policy.SMTP``); both draw their MIME boundaries from ``random``, so with
the same seed the two messages must be identical, byte for byte."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email import message_from_string, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import pytest

from notify.documents import scheda_pdf
from notify.messages import Attachment, Rendered, assemble

SENDER = "Programma CO-AliZIONE <coalizione@coalizione.example>"
WHEN = datetime(2017, 6, 20, 8, 0, tzinfo=timezone.utc)


def reference(rendered: Rendered, *, sender: str, to_name: str, to_address: str,
              msg_id: str, date_: datetime, attachments=(), headers: dict | None = None) -> str:
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


SUBJECTS = [
    "Conferma l'adesione di Comune di Forlì al programma CO-AliZIONE",
    "Attestato di partecipazione – CO-AliZIONE 2017",
    "Breve",
    "Cambio di programma: Reti e coalizioni locali per l'accoglienza integrata dei "
    "migranti si terrà lunedì 3 luglio 2017",
    "Invito al webinar CO-AliZIONE: " + "Parola " * 30,
    "Unione di comuni Valle del Savio: città, comunità — ÀÈÌÒÙ «virgolette» €",
    "=?utf-8?q?not_an_encoded_word?= and  two  spaces ",
    "Sottoscrizione senza spazi " + "x" * 120,
]
NAMES = ["Maria Rossi", "", "Niccolò D'Àvila", "Rossi, Maria", 'Mario "Il Capo" Bianchi',
         "Jean-Luc Ñúñez Østergård " * 3]
TEXTS = [
    "Gentile Maria,\nriga con à è ì ò ù\n\nciao\n",
    "una riga lunghissima " * 20 + "\n",
    "spazi finali   \n\tun tab\nFrom the start\n.\n.punto\nx=y=z\n",
    "CRLF\r\nsolo CR\rfine senza a capo",
    "",
    "€" * 100,
]


def pairs():
    for i, subject in enumerate(SUBJECTS):
        yield subject, NAMES[i % len(NAMES)], TEXTS[i % len(TEXTS)]
    for name in NAMES:
        yield SUBJECTS[0], name, TEXTS[0]
    for text in TEXTS:
        yield SUBJECTS[1], NAMES[0], text


def attachment_sets():
    yield ()
    yield (Attachment("invito.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text", "calendar",
                      {"method": "REQUEST", "charset": "utf-8"}),)
    yield (Attachment("scheda-di-adesione.pdf", bytes(range(256)) * 7, "application", "pdf"),
           Attachment("annullamento.ics", b"", "text", "calendar",
                      {"method": "CANCEL", "charset": "utf-8"}))
    yield (Attachment("attestato-AB12-CD34.pdf", b"%PDF-1.4\n" * 57, "application", "pdf"),)


def both(seed: int, **kwargs) -> tuple[str, str]:
    random.seed(seed)
    expected = reference(**kwargs)
    random.seed(seed)
    return expected, assemble(**kwargs)


@pytest.mark.parametrize("attachments", list(attachment_sets()), ids=lambda a: str(len(a)))
def test_assemble_writes_the_same_bytes_as_the_email_package(attachments):
    for n, (subject, name, text) in enumerate(pairs()):
        kwargs = dict(rendered=Rendered(subject, text, f"<p>{text}</p>\n"), sender=SENDER,
                      to_name=name, to_address=f"persona{n}@comune.example.it",
                      msg_id=f"<{n:08d}-2a7b-4b8e-9a52-6f1c0e1a7c11@coalizione.example>",
                      date_=WHEN + timedelta(seconds=n), attachments=attachments,
                      headers={"X-Coalizione-Template": "confirmation_request"})
        expected, got = both(n, **kwargs)
        assert got == expected, (subject, name, text)


def test_real_attachments_and_a_naive_date_give_the_same_bytes():
    now = WHEN
    contact = {"person_id": "c1", "name": "Maria Rossi", "email": "m@comune.example.it",
               "role": "dirigente", "phone": "0543 712111"}
    adhesion = {"adhesion_id": "a1", "entity": {"code": "040012", "name": "Forlì",
                                                "kind": "comune"},
                "status": "confirmed", "edition": "2017", "webinar_topics": [],
                "changed_at": now}
    attachments = [scheda_pdf(adhesion, contact, [], now)]
    kwargs = dict(rendered=Rendered(SUBJECTS[0], TEXTS[0], "<p>ciao</p>"), sender=SENDER,
                  to_name="Maria Rossi", to_address="m@comune.example.it",
                  msg_id="<x@coalizione.example>", date_=datetime(2017, 6, 20, 8, 0),
                  attachments=attachments, headers={"X-Coalizione-Template": "t"})
    expected, got = both(1, **kwargs)
    assert got == expected
    parsed = message_from_string(got, policy=policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert not parsed.defects


def test_a_boundary_found_in_the_content_is_not_used():
    random.seed(3)
    token = f"{random.randrange(2 ** 63 - 1):019d}"
    clash = f"--{'=' * 15}{token}==\n"
    kwargs = dict(rendered=Rendered("s", clash, clash), sender=SENDER, to_name="",
                  to_address="a@b.example", msg_id="<x@coalizione.example>", date_=WHEN)
    expected, got = both(3, **kwargs)
    assert got == expected


def generated_addresses(rng: random.Random):
    """Names and addresses as formataddr gives them: plain ones of every
    length around the folding limit, and ones with what the parser quotes,
    decodes or escapes (dots, commas, quotes, encoded words, non-ASCII)."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    odd = ["'", "-", ".", ",", '"', "=?utf-8?q?x?=", "à", "ñ", "(", ")", "@", ":", ";", "\\",
           "_", "+", "?", "=", "!", "#", "  ", "\t", "é", "€", "<", ">", "[", "]"]

    def word(size):
        return "".join(rng.choice(letters) for _ in range(size))

    for n in range(1500):
        name = " ".join(word(rng.randint(1, 12)) for _ in range(rng.randint(0, 5)))
        local = ".".join(word(rng.randint(1, 10)) for _ in range(rng.randint(1, 3)))
        domain = ".".join(word(rng.randint(1, 12)) for _ in range(rng.randint(1, 4)))
        if n % 3 == 0:
            spot = rng.randrange(len(name) + 1)
            name = name[:spot] + rng.choice(odd) + name[spot:]
        if n % 7 == 0:
            local = rng.choice(["_", "+", "-", ""]).join((local, word(3)))
        if n % 11 == 0:
            domain = rng.choice(["-", "_", ".."]).join((domain, word(2)))
        yield name, f"{local}@{domain}"


def test_plain_headers_skip_the_parser_and_give_the_same_bytes():
    from notify.messages import _fold_address, _fold_header, _fold_message_id

    def outcome(fold, *args):  # the email package fails on some odd values: so must we
        try:
            return fold(*args)
        except Exception as exc:  # noqa: BLE001
            return type(exc)

    rng = random.Random(2017)
    fast = 0
    for name, address in generated_addresses(rng):
        value = formataddr((name, address)) if name else address
        expected = outcome(_fold_header, "To", value)
        assert outcome(_fold_address, "To", value) == expected, value
        fast += expected == f"To: {value}\r\n"
        for msg_id in (f"<{address}>", f"<{name}@{address}>", address, f"<{address}> x"):
            assert outcome(_fold_message_id, msg_id) == \
                outcome(_fold_header, "Message-ID", msg_id), msg_id
    for size in range(40, 90):  # every length across the folding limit
        local = "a" * (size - len("@coalizione.example"))
        for value in (f"{local}@coalizione.example", f"Maria Rossi <{local}@c.example>",
                      f"<{local}@coalizione.example>"):
            assert outcome(_fold_address, "To", value) == outcome(_fold_header, "To", value)
            assert outcome(_fold_message_id, value) == outcome(_fold_header, "Message-ID", value)
    assert fast > 500  # the plain ones were many


@pytest.mark.parametrize("entity, di, per, alone", [
    ({"kind": "comune", "name": "Forlì"}, "del Comune di Forlì", "per il Comune di Forlì",
     "il Comune di Forlì"),
    ({"kind": "unione_di_comuni", "name": "Unione dei Comuni della Romagna Forlivese"},
     "dell'Unione dei Comuni della Romagna Forlivese",
     "per l'Unione dei Comuni della Romagna Forlivese",
     "l'Unione dei Comuni della Romagna Forlivese"),
    ({"kind": "unione_di_comuni", "name": "Unione Rubicone e Mare"},
     "dell'Unione Rubicone e Mare", "per l'Unione Rubicone e Mare", "l'Unione Rubicone e Mare"),
    ({"kind": "provincia", "name": "Forlì-Cesena"}, "della Provincia di Forlì-Cesena",
     "per la Provincia di Forlì-Cesena", "la Provincia di Forlì-Cesena"),
    ({"kind": "citta_metropolitana", "name": "Bologna"}, "della Città metropolitana di Bologna",
     "per la Città metropolitana di Bologna", "la Città metropolitana di Bologna"),
    ({"kind": "comunita_montana", "name": "Comunità montana Valle Brembana"},
     "della Comunità montana Valle Brembana", "per la Comunità montana Valle Brembana",
     "la Comunità montana Valle Brembana"),
    ({"kind": "consorzio_di_comuni", "name": "ASP Bassa Romagna"}, "di ASP Bassa Romagna",
     "per ASP Bassa Romagna", "ASP Bassa Romagna"),
])
def test_bodies_are_named_with_their_article(entity, di, per, alone):
    from notify.messages import entity_with_article
    assert entity_with_article(entity, "di") == di
    assert entity_with_article(entity, "per") == per
    assert entity_with_article(entity) == alone
