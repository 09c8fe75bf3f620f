"""certificates: a newer certificate supersedes an older one of the same person

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("superseded_by", sa.String(length=64), nullable=True))
        batch.drop_constraint("uq_certificates_participant_id", type_="unique")
        batch.create_index("ix_certificates_participant_id", ["participant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_index("ix_certificates_participant_id")
        batch.create_unique_constraint("uq_certificates_participant_id", ["participant_id"])
        batch.drop_column("superseded_by")
