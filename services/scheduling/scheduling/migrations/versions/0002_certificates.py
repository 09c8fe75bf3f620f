"""certificates of attendance

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=14), nullable=False),
        sa.Column("adhesion_id", sa.String(length=64), nullable=False),
        sa.Column("entity_code", sa.String(length=64), nullable=False),
        sa.Column("entity_name", sa.String(length=200), nullable=True),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("sessions", sa.JSON(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="uq_certificates_code"),
        sa.UniqueConstraint("participant_id", name="uq_certificates_participant_id"),
    )
    op.create_index(op.f("ix_certificates_adhesion_id"), "certificates", ["adhesion_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_certificates_adhesion_id"), table_name="certificates")
    op.drop_table("certificates")
