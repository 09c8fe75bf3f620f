"""The attendance register of a session: a printable signature sheet."""
from __future__ import annotations

from datetime import datetime

from . import pdf as document
from .labels import ERASED, KIND_LABELS, italian_date, italian_time, role_label

WALK_IN_ROWS = 5
HEADERS = ["N.", "Cognome e nome", "Ente", "Ruolo", "Firma (entrata)", "Firma (uscita)"]
WIDTHS = [10, 48, 46, 26, 28, 28]


def where(row: dict) -> str:
    if row["kind"] == "in_person":
        return ", ".join(p for p in (row["venue_name"], row["venue_address"]) if p) or "-"
    return row["join_url"] or "-"


def register_pdf(row: dict, people: list[dict], generated_at: datetime) -> bytes:
    """``row`` is the session, ``people`` its participants as
    rosters.session_participants returns them (sorted by body, then name)."""
    pdf = document.new_document("Registro presenze", generated_at, "Registro presenze")
    pdf.ln(1)
    document.heading(pdf, row["title"], 12)
    pdf.ln(1)
    document.line(pdf, "Tipo", KIND_LABELS.get(row["kind"], row["kind"]))
    document.line(pdf, "Data", italian_date(row["starts_at"], weekday=True))
    document.line(pdf, "Orario", f"{italian_time(row['starts_at'])} – "
                                 f"{italian_time(row['ends_at'])} (ora italiana)")
    document.line(pdf, "Sede" if row["kind"] == "in_person" else "Collegamento", where(row))
    if row["status"] == "cancelled":
        document.line(pdf, "Stato", "SESSIONE ANNULLATA")
    document.line(pdf, "Partecipanti attesi", str(len(people)))
    pdf.ln(3)
    rows = [[str(i), ERASED if p["erased"] else (p["name"] or ""), p["entity_name"] or "",
             role_label(p["role"]) if p["role"] else "", "", ""]
            for i, p in enumerate(people, 1)]
    rows += [[str(len(people) + i), "", "", "", "", ""] for i in range(1, WALK_IN_ROWS + 1)]
    document.table(pdf, HEADERS, WIDTHS, rows, height=10,
                   aligns=["R", "L", "L", "L", "L", "L"])
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(95, 6, document.latin1("Firma del responsabile: ______________________"))
    pdf.cell(0, 6, "Data: ____________", new_x="LMARGIN", new_y="NEXT")
    return document.render(pdf)
