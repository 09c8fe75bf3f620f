"""Text normalisation shared by the name search and the form."""
from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: ``Bolzano/Bozen`` ->
    ``bolzano bozen``, ``Forlì`` -> ``forli``."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", plain).split())
