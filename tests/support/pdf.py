"""The text drawn on the pages of a PDF written by fpdf2 (core fonts,
Flate-compressed content streams), for assertions in the tests of the
services that print documents."""
from __future__ import annotations

import re
import zlib


def pdf_text(content: bytes) -> str:
    """Every string shown with ``Tj``, one per line.

    A content stream is taken up to ``endstream`` whole and inflated with a
    decompressor object, which stops where the zlib data ends: a stream
    whose last compressed byte happens to be a CR or LF is not cut short."""
    assert content.startswith(b"%PDF-")
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            page = zlib.decompressobj().decompress(stream)
        except zlib.error:
            page = stream
        chunks.extend(m.decode("latin-1")
                      for m in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", page))
    return "\n".join(re.sub(r"\\(.)", r"\1", chunk) for chunk in chunks)
