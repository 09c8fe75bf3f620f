"""certificates (roster.certificate.issued), erased_people, and the
subject of each delivery

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("subject", sa.Text(), nullable=True))
    op.create_table(
        "erased_people",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("adhesion_id", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "certificates",
        sa.Column("certificate_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("adhesion_id", sa.String(length=64), nullable=False),
        sa.Column("entity_code", sa.String(length=40), nullable=False),
        sa.Column("entity_name", sa.String(length=300), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("sessions", sa.JSON(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verify_path", sa.String(length=200), nullable=False),
        sa.Column("holder_name", sa.String(length=300), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("certificate_id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_certificates_adhesion_id", "certificates", ["adhesion_id"], unique=False)
    op.create_index("ix_certificates_participant_id", "certificates", ["participant_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_table("certificates")
    op.drop_table("erased_people")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("subject")
