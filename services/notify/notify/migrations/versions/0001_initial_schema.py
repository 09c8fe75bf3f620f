"""initial schema: replica (adhesions, people, sessions, assignments),
deliveries, outbox, inbox, api_tokens

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

from coalizione_common.migrations import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "adhesions",
        sa.Column("adhesion_id", sa.String(length=64), nullable=False),
        sa.Column("edition", sa.String(length=40), nullable=True),
        sa.Column("entity_code", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=True),
        sa.Column("webinar_topics", sa.JSON(), nullable=False),
        sa.Column("manage_url", sa.Text(), nullable=True),
        sa.Column("confirm_url", sa.Text(), nullable=True),
        sa.Column("confirm_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("adhesion_id"),
    )
    op.create_table(
        "people",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("adhesion_id", sa.String(length=64), nullable=False),
        sa.Column("is_contact", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("office", sa.String(length=300), nullable=True),
        sa.Column("phone", sa.String(length=60), nullable=True),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_index("ix_people_adhesion_id", "people", ["adhesion_id"], unique=False)
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=120), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("venue", sa.JSON(), nullable=True),
        sa.Column("join_url", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_table(
        "assignments",
        sa.Column("assignment_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("adhesion_id", sa.String(length=64), nullable=False),
        sa.Column("entity_code", sa.String(length=40), nullable=True),
        sa.Column("participant_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    op.create_index("ix_assignments_adhesion_id", "assignments", ["adhesion_id"], unique=False)
    op.create_index("ix_assignments_session_id", "assignments", ["session_id"], unique=False)
    op.create_table(
        "deliveries",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("occasion", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=80), nullable=False),
        sa.Column("recipient_id", sa.String(length=80), nullable=False),
        sa.Column("recipient_address", sa.String(length=320), nullable=True),
        sa.Column("adhesion_id", sa.String(length=64), nullable=True),
        sa.Column("subject_id", sa.String(length=80), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("resend_of", sa.String(length=64), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_deliveries_adhesion_id", "deliveries", ["adhesion_id"], unique=False)
    op.create_index("ix_deliveries_due", "deliveries", ["state", "next_attempt_at"], unique=False)
    op.create_index("ix_deliveries_recipient_id", "deliveries", ["recipient_id"], unique=False)
    op.create_index("ix_deliveries_subject_id", "deliveries", ["subject_id"], unique=False)


def downgrade() -> None:
    op.drop_table("deliveries")
    op.drop_table("assignments")
    op.drop_table("sessions")
    op.drop_table("people")
    op.drop_table("adhesions")
    drop_messaging_tables(op)
