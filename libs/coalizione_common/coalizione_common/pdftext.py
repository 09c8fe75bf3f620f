"""Text for the PDF core fonts, which speak Latin-1 only: the services that
print documents (notify's scheda and certificates, scheduling's registers
and reports) keep Italian accents and fold the rest."""
from __future__ import annotations

import unicodedata

_FOLD = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'",
                       "\u201c": '"', "\u201d": '"', "\u2026": "...", "\u20ac": "EUR",
                       "\u0141": "L", "\u0142": "l", "\u0110": "D", "\u0111": "d",
                       "\u0131": "i", "\u0152": "OE", "\u0153": "oe"})


def latin1(text) -> str:
    text = ("" if text is None else str(text)).translate(_FOLD)
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore")
            out.append(folded.decode("latin-1") or "?")
    return "".join(out)
