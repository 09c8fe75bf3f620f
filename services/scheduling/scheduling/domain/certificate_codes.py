"""Verification codes of the certificates: ``XXXX-XXXX-XXXX`` from an
alphabet without the characters people confuse (0/O, 1/I)."""
from __future__ import annotations

import re
import secrets

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_TYPED = re.compile(rf"[{ALPHABET}]{{12}}")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise(typed: str) -> str | None:
    """The code as stored, from what someone typed: any case, spaces,
    dashes or none; None when it cannot be a code."""
    raw = re.sub(r"[\s\-–—_.]", "", typed or "").upper()
    if not _TYPED.fullmatch(raw):
        return None
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
