"""initial schema: entities, adhesions, people, outbox, inbox, api_tokens

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

ACTIVE = "status IN ('pending_confirmation', 'confirmed')"


def upgrade() -> None:
    create_messaging_tables(op)
    op.create_table(
        "entities",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("search_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("province", sa.String(length=10), nullable=True),
        sa.Column("region", sa.String(length=60), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("eligibility_reason", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_entities_search_name", "entities", ["search_name"], unique=False)
    op.create_table(
        "adhesions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("edition", sa.String(length=40), nullable=False),
        sa.Column("entity_code", sa.String(length=64), nullable=False),
        sa.Column("entity_name", sa.String(length=200), nullable=False),
        sa.Column("entity_kind", sa.String(length=40), nullable=False),
        sa.Column("province", sa.String(length=10), nullable=True),
        sa.Column("region", sa.String(length=60), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("webinar_topics", sa.Text(), nullable=False),
        sa.Column("privacy_notice_read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("manage_token_hash", sa.String(length=64), nullable=False),
        sa.Column("manage_nonce", sa.String(length=32), nullable=False),
        sa.Column("confirm_token_hash", sa.String(length=64), nullable=True),
        sa.Column("confirm_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_adhesions_active_entity", "adhesions", ["edition", "entity_code"],
                    unique=True, postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))
    op.create_index("ix_adhesions_status_region", "adhesions", ["status", "region"], unique=False)
    op.create_table(
        "people",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("adhesion_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("office", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["adhesion_id"], ["adhesions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_people_adhesion", "people", ["adhesion_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_people_adhesion", table_name="people")
    op.drop_table("people")
    op.drop_index("ix_adhesions_status_region", table_name="adhesions")
    op.drop_index("ux_adhesions_active_entity", table_name="adhesions")
    op.drop_table("adhesions")
    op.drop_index("ix_entities_search_name", table_name="entities")
    op.drop_table("entities")
    drop_messaging_tables(op)
