"""A transport that keeps messages in a list and can be told to fail."""
from __future__ import annotations

from email import message_from_bytes, policy

from notify.adapters.transport import PermanentFailure, TransientFailure


class RecordingTransport:
    def __init__(self):
        self.sent = []
        self.script: list[str] = []

    def send(self, sender, recipient, message: bytes, name: str = "") -> None:
        if self.script:
            step = self.script.pop(0)
            if step.startswith("4"):
                raise TransientFailure(step)
            if step.startswith("5"):
                raise PermanentFailure(step)
        self.sent.append((sender, recipient, message_from_bytes(message, policy=policy.default)))

    def to(self, address: str):
        return [m for _, r, m in self.sent if r == address]


def pdf_text(content: bytes) -> str:
    """The text drawn on the pages of a PDF written by fpdf2 (core fonts,
    Flate-compressed content streams), for assertions."""
    import re
    import zlib
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            page = zlib.decompress(stream)
        except zlib.error:
            page = stream
        chunks.extend(m.decode("latin-1") for m in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", page))
    return "\n".join(c.replace("\\(", "(").replace("\\)", ")").replace("\\\\", "\\") for c in chunks)
