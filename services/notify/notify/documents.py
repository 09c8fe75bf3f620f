"""Attachments: the scheda di adesione and the certificate of attendance
as PDF, sessions as iCalendar."""
from __future__ import annotations

from datetime import datetime

from coalizione_common.pdftext import latin1 as _latin1

from .messages import (Attachment, entity_label, italian_date, italian_datetime, italian_number,
                       italian_time, topic_label)

ROLE_LABELS = {"amministratore": "Amministratore", "dirigente": "Dirigente",
               "funzionario": "Funzionario"}
STATUS_LABELS = {"pending_confirmation": "In attesa di conferma", "confirmed": "Confermata",
                 "withdrawn": "Ritirata"}


def scheda_pdf(adhesion: dict, contact: dict | None, participants: list[dict],
               generated_at: datetime) -> Attachment:
    """A one-page summary of the adhesion as the body filled it in."""
    from fpdf import FPDF  # imported when first needed: it takes a second to load
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1("Scheda di adesione - " + entity_label(adhesion["entity"])))
    pdf.set_creator("coalizione notify")
    pdf.set_creation_date(generated_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Programma CO-AliZIONE - Scheda di adesione", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)

    def line(label: str, value) -> None:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(55, 7, _latin1(label))
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 9, _latin1(text), new_x="LMARGIN", new_y="NEXT")

    entity = adhesion["entity"]
    heading("Ente")
    line("Ente", entity_label(entity))
    line("Codice", entity.get("code", ""))
    line("Provincia / Regione", f"{entity.get('province') or ''} - {entity.get('region') or ''}")
    line("Stato dell'adesione", STATUS_LABELS.get(adhesion["status"], adhesion["status"]))
    line("Identificativo", adhesion["adhesion_id"])
    if contact:
        heading("Referente")
        line("Nome", contact.get("name", ""))
        line("Ruolo", ROLE_LABELS.get(contact.get("role"), contact.get("role") or ""))
        line("E-mail", contact.get("email", ""))
        line("Telefono", contact.get("phone") or "-")
    heading(f"Partecipanti ({len(participants)})")
    for index, person in enumerate(participants, 1):
        role = ROLE_LABELS.get(person.get("role"), person.get("role") or "")
        office = f", {person['office']}" if person.get("office") else ""
        line(f"{index}.", f"{person.get('name', '')} - {role}{office} - {person.get('email', '')}")
    heading("Webinar di interesse")
    topics = adhesion.get("webinar_topics") or []
    for topic in topics:
        line("-", topic_label(topic))
    if not topics:
        line("-", "nessuno indicato")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 5, _latin1(f"Documento generato il {italian_datetime(generated_at)}."),
                   new_x="LMARGIN", new_y="NEXT")
    return Attachment("scheda-di-adesione.pdf", bytes(pdf.output()), "application", "pdf")


PROGRAMME = "Programma CO-AliZIONE 2017"
PROMOTER = ("ANCI con Fondazione Cittalia, progetto finanziato dal Ministero dell'Interno "
            "(FAMI 2014-2020)")
KIND_LABELS = {"in_person": "Giornata formativa in presenza", "webinar": "Webinar"}


def certificate_pdf(certificate: dict, holder_name: str, verify_url: str) -> Attachment:
    """The certificate of attendance: who, for which body, which sessions
    (Rome's time), how many hours, and how to verify it. Rendered from the
    stored facts alone (its creation date is the issue date), so the same
    certificate gives the same document whenever it is rendered."""
    from fpdf import FPDF
    issued_at = certificate["issued_at"]
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Attestato di partecipazione {certificate['code']}"))
    pdf.set_creator("coalizione notify")
    pdf.set_creation_date(issued_at)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 12, "Attestato di partecipazione", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(0, 8, _latin1(PROGRAMME), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "I", 10)
    pdf.multi_cell(0, 5, _latin1(PROMOTER), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(0, 8, "Si attesta che", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 10, _latin1(holder_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 12)
    role = ROLE_LABELS.get(certificate["role"], certificate["role"])
    entity = certificate["entity_name"] or certificate["entity_code"]
    pdf.multi_cell(0, 7, _latin1(f"{role} - {entity}"), align="C", new_x="LMARGIN", new_y="NEXT")
    hours = italian_number(certificate["hours"])
    pdf.multi_cell(0, 7, _latin1(
        f"ha partecipato alle attività formative del programma per un totale di {hours} "
        f"{'ora' if certificate['hours'] == 1 else 'ore'}:"), align="C",
        new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for item in certificate["sessions"]:
        when = "-"
        if item["starts_at"] and item["ends_at"]:
            when = (f"{italian_date(item['starts_at'])}, dalle {italian_time(item['starts_at'])} "
                    f"alle {italian_time(item['ends_at'])}")
        pdf.set_font("Helvetica", "B", 11)
        kind = KIND_LABELS.get(item.get("kind"), "Incontro")
        pdf.multi_cell(0, 6, _latin1(f"{kind}: {item.get('title') or ''}"),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, _latin1(when), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, _latin1(f"Totale ore di partecipazione: {hours}"), new_x="LMARGIN",
             new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, _latin1(f"Rilasciato il {italian_date(issued_at)}"), new_x="LMARGIN",
             new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, _latin1(f"Codice di verifica: {certificate['code']}"), new_x="LMARGIN",
             new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, _latin1(f"L'autenticità dell'attestato si può verificare all'indirizzo "
                                 f"{verify_url}"), new_x="LMARGIN", new_y="NEXT")
    return Attachment(f"attestato-{certificate['code']}.pdf", bytes(pdf.output()),
                      "application", "pdf")


UID_DOMAIN = "scheduling.coalizione"


def session_uid(session_id: str) -> str:
    return f"{session_id}@{UID_DOMAIN}"


def session_ics(session: dict, *, organizer: str, attendee_name: str | None,
                attendee_email: str | None, stamp: datetime,
                cancelled: bool = False) -> Attachment:
    """An invitation (METHOD:REQUEST) or its cancellation (METHOD:CANCEL)
    for an attendee; without one (the contact's overview: they organise,
    they do not necessarily attend) the event for information
    (METHOD:PUBLISH, STATUS:CANCELLED once cancelled). The UID is the one
    scheduling's calendar feeds give the session, and SEQUENCE grows with
    each change, so calendar programs update the event they already hold
    instead of adding another."""
    from icalendar import Calendar, Event, vCalAddress, vText
    method = "PUBLISH" if attendee_email is None else "CANCEL" if cancelled else "REQUEST"
    cal = Calendar()
    cal.add("prodid", "-//coalizione//notify//IT")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", session_uid(session["session_id"]))
    event.add("sequence", session["sequence"])
    event.add("dtstamp", stamp)
    event.add("dtstart", session["starts_at"])
    event.add("dtend", session["ends_at"])
    event.add("summary", session["title"])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if session["kind"] == "webinar":
        event.add("location", session.get("join_url") or "Online")
        if session.get("join_url"):
            event.add("url", session["join_url"])
        description = f"Webinar del programma CO-AliZIONE. Collegamento: {session.get('join_url') or ''}"
    else:
        venue = session.get("venue") or {}
        event.add("location", ", ".join(p for p in (venue.get("name"), venue.get("address")) if p))
        description = "Giornata formativa in presenza del programma CO-AliZIONE."
    event.add("description", description)
    organizer_address = vCalAddress(f"mailto:{organizer}")
    organizer_address.params["cn"] = vText("Programma CO-AliZIONE")
    event["organizer"] = organizer_address
    if attendee_email is not None:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["cn"] = vText(attendee_name or "")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    cal.add_component(event)
    name = "annullamento.ics" if cancelled else "invito.ics"
    return Attachment(name, cal.to_ical(), "text", "calendar", {"method": method, "charset": "utf-8"})
