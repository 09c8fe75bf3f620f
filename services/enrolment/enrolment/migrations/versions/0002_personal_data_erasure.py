"""personal data erasure: people.erased_at, name and email may be empty,
people looked up by e-mail

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("name", existing_type=sa.String(length=200), nullable=True)
        batch.alter_column("email", existing_type=sa.String(length=254), nullable=True)
    op.create_index("ix_people_email", "people", ["email"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_people_email", table_name="people")
    op.execute("UPDATE people SET name = '' WHERE name IS NULL")
    op.execute("UPDATE people SET email = '' WHERE email IS NULL")
    with op.batch_alter_table("people") as batch:
        batch.alter_column("email", existing_type=sa.String(length=254), nullable=False)
        batch.alter_column("name", existing_type=sa.String(length=200), nullable=False)
        batch.drop_column("erased_at")
