"""Secret links: only the SHA-256 of a token is stored.

The confirmation token is random and single use. The manage token is an
HMAC of the adhesion id and a per-adhesion nonce under the service's
secret key, so each event can carry the manage link again without the
database holding the token; a new nonce revokes the old link.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def matches(token, stored_hash: str | None) -> bool:
    if not isinstance(token, str) or not token or not stored_hash:
        return False
    return hmac.compare_digest(digest(token), stored_hash)


def new_nonce() -> str:
    return secrets.token_hex(16)


def manage_token(secret_key: str, adhesion_id: str, nonce: str) -> str:
    mac = hmac.new(secret_key.encode(), f"manage:{adhesion_id}:{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def confirm_token() -> str:
    return secrets.token_urlsafe(32)
