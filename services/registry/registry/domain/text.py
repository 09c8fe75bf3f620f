"""Italian formatting and the normalisation behind search."""
from __future__ import annotations

import re
import unicodedata

MONTHS = ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
          "settembre", "ottobre", "novembre", "dicembre")

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower case without accents; every run of other characters becomes
    one space (``"Sant'Agata/Forlì"`` -> ``"sant agata forli"``)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", plain.replace("ß", "ss")).strip()


def words(text: str) -> list[str]:
    return fold(text).split()


def thousands(n: int) -> str:
    """``4987`` -> ``"4.987"`` (Italian digit grouping)."""
    return f"{n:,}".replace(",", ".")


def long_date(iso: str) -> str:
    """``"2011-10-09"`` -> ``"9 ottobre 2011"``."""
    year, month, day = (int(p) for p in iso.split("-"))
    return f"{day} {MONTHS[month - 1]} {year}"
