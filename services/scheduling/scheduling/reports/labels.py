"""Italian labels and formats shared by the documents and pages."""
from __future__ import annotations

from datetime import datetime, timezone

from ..domain.webinars import ROME

ROLE_LABELS = {"amministratore": "Amministratore", "dirigente": "Dirigente",
               "funzionario": "Funzionario"}
KIND_LABELS = {"in_person": "Giornata in presenza", "webinar": "Webinar"}
ENTITY_KIND_LABELS = {"comune": "Comune", "unione_di_comuni": "Unione di comuni",
                      "comunita_montana": "Comunità montana", "provincia": "Provincia",
                      "citta_metropolitana": "Città metropolitana"}
MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
          "settembre", "ottobre", "novembre", "dicembre")
WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")
ERASED = "(dati cancellati)"


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role, role or "non indicato")


def entity_kind_label(kind: str | None) -> str:
    return ENTITY_KIND_LABELS.get(kind, (kind or "non indicato").replace("_", " ").capitalize())


def rome(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(ROME)


def italian_date(value: datetime, weekday: bool = False) -> str:
    local = rome(value)
    text = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    return f"{WEEKDAYS[local.weekday()]} {text}" if weekday else text


def italian_time(value: datetime) -> str:
    return rome(value).strftime("%H:%M")


def italian_number(value: float, decimals: int = 1) -> str:
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
