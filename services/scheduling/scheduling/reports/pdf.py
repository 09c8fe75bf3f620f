"""The common frame of the scheduling's PDF documents (fpdf2, A4, core
fonts): a title block, page numbers, and text that fits its cell."""
from __future__ import annotations

from datetime import datetime

from coalizione_common.pdftext import latin1

from .labels import italian_date, italian_time

PROGRAMME = "Programma CO-AliZIONE"
FUNDER = "ANCI · Fondazione Cittalia · Ministero dell'Interno – FAMI 2014-2020"


def new_document(title: str, generated_at: datetime, heading_text: str,
                 orientation: str = "P"):
    """A document on its first page, under the funder's line and the
    heading ``{PROGRAMME} – {heading_text}``; ``title`` names it in the
    footer and the metadata."""
    from fpdf import FPDF  # imported when first needed: it takes a second to load

    class Document(FPDF):
        def footer(self):
            self.set_y(-12)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 6, latin1(f"{PROGRAMME} – {title} – generato il "
                                   f"{italian_date(generated_at)} alle "
                                   f"{italian_time(generated_at)}"), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 6, f"Pagina {self.page_no()} di {{nb}}", align="R")

    pdf = Document(orientation=orientation, format="A4")
    pdf.set_title(latin1(f"{PROGRAMME} – {title}"))
    pdf.set_creator("coalizione scheduling")
    pdf.set_creation_date(generated_at)
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, margin=16)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, latin1(FUNDER), new_x="LMARGIN", new_y="NEXT")
    heading(pdf, f"{PROGRAMME} – {heading_text}", 15)
    return pdf


def fit(pdf, text, width: float) -> str:
    """``text`` in Latin-1, shortened with an ellipsis to fit ``width`` mm."""
    text = latin1(text)
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "...") > width - 2:
        text = text[:-1]
    return text.rstrip() + "..."


def heading(pdf, text: str, size: int = 13) -> None:
    pdf.set_font("Helvetica", "B", size)
    pdf.multi_cell(0, size * 0.55, latin1(text), new_x="LMARGIN", new_y="NEXT")


def line(pdf, label: str, value, label_width: float = 40) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(label_width, 6, latin1(label))
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 6, latin1(value), new_x="LMARGIN", new_y="NEXT")


def table(pdf, headers: list[str], widths: list[float], rows: list[list], height: float = 7,
          aligns: list[str] | None = None) -> None:
    """A table whose header row is repeated on each new page."""
    aligns = aligns or ["L"] * len(headers)

    def head():
        pdf.set_font("Helvetica", "B", 9)
        pdf.set_fill_color(230, 238, 247)
        for header, width in zip(headers, widths):
            pdf.cell(width, 8, fit(pdf, header, width), border=1, fill=True)
        pdf.ln()
        pdf.set_font("Helvetica", "", 9)

    head()
    for row in rows:
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            head()
        for value, width, align in zip(row, widths, aligns):
            pdf.cell(width, height, fit(pdf, value, width), border=1, align=align)
        pdf.ln()


def render(pdf) -> bytes:
    return bytes(pdf.output())
