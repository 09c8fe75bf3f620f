"""Bearer tokens for the operations endpoints.

Tokens are random strings shown once when created; only their SHA-256 is
stored (``api_tokens`` in each service's database). ``COALIZIONE_OPERATOR_TOKEN``
is a bootstrap token with the operator role, for automation and first use;
``COALIZIONE_VIEWER_TOKEN`` one with the viewer role (the console calls the
services with it for its read-only users).
Roles: ``viewer`` reads, ``operator`` reads and changes.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from flask import current_app, g, request
from sqlalchemy import Column, DateTime, MetaData, String, Table, insert, select

from .http import Problem

ROLES = ("viewer", "operator")


def tokens_table(metadata: MetaData) -> Table:
    return Table(
        "api_tokens", metadata,
        Column("token_hash", String(64), primary_key=True),
        Column("role", String(16), nullable=False),
        Column("label", String(200), nullable=False, default=""),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("revoked_at", DateTime(timezone=True)),
    )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(runtime, role: str, label: str = "") -> str:
    """Store a new token's hash and return the token (shown only this once)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    token = secrets.token_urlsafe(32)
    with runtime.engine.begin() as conn:
        conn.execute(insert(runtime.metadata.tables["api_tokens"]).values(
            token_hash=hash_token(token), role=role, label=label,
            created_at=runtime.clock.now()))
    return token


def role_of(runtime, token: str) -> str | None:
    for role, bootstrap in (("operator", runtime.settings.operator_token),
                            ("viewer", runtime.settings.viewer_token)):
        if bootstrap and hmac.compare_digest(token.encode(), bootstrap.encode()):
            return role
    table = runtime.metadata.tables["api_tokens"]
    with runtime.engine.connect() as conn:
        row = conn.execute(select(table.c.role).where(table.c.token_hash == hash_token(token),
                                                      table.c.revoked_at.is_(None))).first()
    return row.role if row else None


def require_role(role: str):
    """Decorate a view: a bearer token of ``role`` (or operator) is needed."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Problem(401, "unauthorized", "Authentication required",
                              "Send an operations token as 'Authorization: Bearer <token>'.")
            granted = role_of(current_app.extensions["runtime"], token.strip())
            if granted is None:
                raise Problem(401, "unauthorized", "Invalid token",
                              "The token is unknown or has been revoked.")
            if ROLES.index(granted) < ROLES.index(role):
                raise Problem(403, "forbidden", "Insufficient role",
                              f"This operation needs the {role} role.")
            g.role = granted
            return view(*args, **kwargs)
        return wrapper
    return decorate
