"""The notify service's tables."""
from sqlalchemy import Column, DateTime, Integer, String, Table, Text

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

# One row per (event, template, recipient): the intent is recorded before
# any SMTP conversation, so a message is never sent twice.
deliveries = Table(
    "deliveries", metadata,
    Column("id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("template", String(80), nullable=False),
    Column("recipient_id", String(80), nullable=False),
    Column("subject_id", String(80), index=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
