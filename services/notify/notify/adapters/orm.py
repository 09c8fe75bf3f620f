"""The notify service's tables: its replica of what it must know (bodies
and their people, sessions, assignments), the certificates it mailed, and
the delivery log."""
from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, Index, Integer, String, Table,
                        Text)

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

# Personal data arrive only in roster.* events; this is the latest roster
# of each adhesion, last writer (by ``changed_at``) wins.
adhesions = Table(
    "adhesions", metadata,
    Column("adhesion_id", String(64), primary_key=True),
    Column("edition", String(40)),
    Column("entity_code", String(40), nullable=False),
    Column("entity", JSON, nullable=False),
    Column("status", String(40), nullable=False),
    Column("contact_id", String(64)),
    Column("webinar_topics", JSON, nullable=False),
    Column("manage_url", Text),
    Column("confirm_url", Text),
    Column("confirm_expires_at", DateTime(timezone=True)),
    Column("changed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

people = Table(
    "people", metadata,
    Column("person_id", String(64), primary_key=True),
    Column("adhesion_id", String(64), nullable=False, index=True),
    Column("is_contact", Boolean, nullable=False),
    Column("name", String(300), nullable=False),
    Column("role", String(40)),
    Column("email", String(320), nullable=False),
    Column("office", String(300)),
    Column("phone", String(60)),
)

sessions = Table(
    "sessions", metadata,
    Column("session_id", String(64), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("topic", String(120)),
    Column("title", String(300), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("venue", JSON),
    Column("join_url", Text),
    Column("capacity", Integer),
    Column("status", String(20), nullable=False),
    # iCalendar SEQUENCE: grows with each change, so calendars replace the event.
    Column("sequence", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

assignments = Table(
    "assignments", metadata,
    Column("assignment_id", String(64), primary_key=True),
    Column("session_id", String(64), nullable=False, index=True),
    Column("adhesion_id", String(64), nullable=False, index=True),
    Column("entity_code", String(40)),
    Column("participant_ids", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per (occasion, template, recipient), its id derived from the
# three: the intent is recorded in the consumer's transaction, before any
# SMTP conversation, so a redelivered event finds it there and adds nothing.
# ``message`` holds the whole rendered RFC 5322 message (with its stable
# Message-ID), so a retry sends exactly the same bytes.
deliveries = Table(
    "deliveries", metadata,
    Column("id", String(64), primary_key=True),
    Column("event_id", String(64), nullable=False),
    Column("occasion", String(200), nullable=False),
    Column("template", String(80), nullable=False),
    Column("recipient_id", String(80), nullable=False),
    Column("recipient_address", String(320)),
    Column("adhesion_id", String(64)),
    Column("subject_id", String(80)),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("reason", Text),
    Column("message_id", String(200), nullable=False),
    Column("message", Text),
    # The rendered subject, kept for the person's log (GDPR access) after
    # the message itself is forgotten; erased if it names an erased person.
    Column("subject", Text),
    Column("resend_of", String(64)),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
    Index("ix_deliveries_adhesion_id", "adhesion_id"),
    Index("ix_deliveries_recipient_id", "recipient_id"),
    Index("ix_deliveries_subject_id", "subject_id"),
)

# People whose personal data were erased (roster.erased): only their ids,
# so a later message for them fails with that reason instead of "unknown".
erased_people = Table(
    "erased_people", metadata,
    Column("person_id", String(64), primary_key=True),
    Column("adhesion_id", String(64), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)

# The facts of each roster.certificate.issued, so the office can have the
# same PDF again. ``holder_name`` is the name the replica had when the
# certificate was mailed (the roster may drop the person later); it is
# erased with the person.
certificates = Table(
    "certificates", metadata,
    Column("certificate_id", String(64), primary_key=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("adhesion_id", String(64), nullable=False, index=True),
    Column("entity_code", String(40), nullable=False),
    Column("entity_name", String(300), nullable=False),
    Column("participant_id", String(64), nullable=False, index=True),
    Column("role", String(40), nullable=False),
    Column("sessions", JSON, nullable=False),
    Column("hours", Float, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("verify_path", String(200), nullable=False),
    Column("holder_name", String(300)),
    Column("event_id", String(64), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)
