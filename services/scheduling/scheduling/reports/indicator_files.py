"""The indicators as files for the funder: CSV (semicolon, UTF-8 with BOM,
decimal comma, as Italian spreadsheets expect), XLSX (one sheet per
breakdown) and a PDF summary."""
from __future__ import annotations

import csv
import io
from datetime import datetime

from . import pdf as document
from .labels import entity_kind_label, italian_number, role_label

DIMENSIONS = (("by_region", "region", "regione", "Regioni"),
              ("by_province", "province", "provincia", "Province"),
              ("by_kind", "kind", "tipo_ente", "Tipi di ente"),
              ("by_role", "role", "ruolo", "Ruoli"))
COLUMN = {"region": "Regione", "province": "Provincia", "kind": "Tipo di ente", "role": "Ruolo"}
MODES = (("in_person", "in presenza"), ("webinar", "webinar"), ("total", "totale"))


def _label(dimension: str, value: str) -> str:
    if dimension == "kind":
        return entity_kind_label(value)
    if dimension == "role":
        return role_label(value)
    return value


def _rows(figures: dict) -> list[list]:
    """The long table: dimension, value, bodies, people, then sessions and hours."""
    totals = figures["totals"]
    rows = [["totale", "totale", totals["bodies_trained"], totals["people_trained"], "", "", ""]]
    for key, field, name, _ in DIMENSIONS:
        rows += [[name, _label(field, item[field]), item["bodies_trained"],
                  item["people_trained"], "", "", ""] for item in figures[key]]
    rows += [["modalita", label, "", "", figures["sessions_held"][mode],
              figures["hours_delivered"][mode], figures["participant_hours"][mode]]
             for mode, label in MODES]
    return rows


CSV_HEADER = ["dimensione", "valore", "enti_formati", "persone_formate", "sessioni_svolte",
              "ore_erogate", "ore_partecipante"]


def indicators_csv(figures: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in _rows(figures):
        writer.writerow([italian_number(v) if isinstance(v, float) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def indicators_xlsx(figures: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    sheet = book.active
    sheet.title = "Totali"
    totals = figures["totals"]
    sheet.append(["Indicatore", "Valore"])
    for label, key in (("Enti formati", "bodies_trained"), ("Persone formate", "people_trained"),
                       ("Sessioni svolte", "sessions_held"), ("Ore erogate", "hours_delivered"),
                       ("Ore-partecipante", "participant_hours")):
        sheet.append([label, totals[key]])
    sheet.append(["Generato il (UTC)", figures["generated_at"]])
    for key, field, _, title in DIMENSIONS:
        sheet = book.create_sheet(title)
        sheet.append([COLUMN[field]] + (["Regione"] if field == "province" else [])
                     + ["Enti formati", "Persone formate"])
        for item in figures[key]:
            sheet.append([_label(field, item[field])]
                         + ([item["region"]] if field == "province" else [])
                         + [item["bodies_trained"], item["people_trained"]])
    sheet = book.create_sheet("Sessioni e ore")
    sheet.append(["Modalità", "Sessioni svolte", "Ore erogate", "Ore-partecipante"])
    for mode, label in MODES:
        sheet.append([label, figures["sessions_held"][mode], figures["hours_delivered"][mode],
                      figures["participant_hours"][mode]])
    for sheet in book.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 28
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def indicators_pdf(figures: dict, generated_at: datetime) -> bytes:
    pdf = document.new_document("Indicatori FAMI", generated_at, "Indicatori di realizzazione")
    pdf.ln(2)
    totals = figures["totals"]
    document.line(pdf, "Enti formati", str(totals["bodies_trained"]), 55)
    document.line(pdf, "Persone formate", str(totals["people_trained"]), 55)
    document.line(pdf, "Sessioni svolte", str(totals["sessions_held"]), 55)
    document.line(pdf, "Ore erogate", italian_number(totals["hours_delivered"]), 55)
    document.line(pdf, "Ore-partecipante", italian_number(totals["participant_hours"]), 55)
    pdf.set_font("Helvetica", "I", 8)
    pdf.multi_cell(0, 4, document.latin1(
        "Formato: presente ad almeno una sessione non annullata. Sessione svolta: non annullata, "
        "con almeno un presente. Ore erogate: durata delle sessioni svolte."),
        new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    document.heading(pdf, "Sessioni e ore per modalità", 12)
    document.table(pdf, ["Modalità", "Sessioni svolte", "Ore erogate", "Ore-partecipante"],
                   [60, 40, 40, 46],
                   [[label, str(figures["sessions_held"][mode]),
                     italian_number(figures["hours_delivered"][mode]),
                     italian_number(figures["participant_hours"][mode])] for mode, label in MODES],
                   aligns=["L", "R", "R", "R"])
    for key, field, _, title in DIMENSIONS:
        pdf.ln(4)
        document.heading(pdf, title, 12)
        document.table(pdf, [COLUMN[field], "Enti formati", "Persone formate"], [106, 40, 40],
                       [[_label(field, item[field]) + (f" ({item['region']})" if field ==
                                                       "province" else ""),
                         str(item["bodies_trained"]), str(item["people_trained"])]
                        for item in figures[key]], aligns=["L", "R", "R"])
    return document.render(pdf)


