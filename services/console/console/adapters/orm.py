"""The console's own tables: the office's users and the audit log."""
from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Table

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

users = Table(
    "users", metadata,
    Column("username", String(80), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(300), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    Column("disabled_at", DateTime(timezone=True)),
    # Sessions issued before this instant are over (a logout, a new password).
    Column("sessions_valid_from", DateTime(timezone=True)),
)

# Who in the office saw or changed what: one row per page of personal data
# viewed, export downloaded, and change asked of a service.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(60), nullable=False),
    Column("target", String(300), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("request_id", String(64)),
    Column("client", String(64)),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_actor", "actor"),
)
