"""The enrolment service's tables."""
from sqlalchemy import Boolean, Column, DateTime, Integer, String, Table, Text

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

# The local replica of the registry, fed by registry.entity.upserted: the
# eligibility check at submit time reads only this table.
entities = Table(
    "entities", metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("province", String(10)),
    Column("region", String(60)),
    Column("population", Integer),
    Column("eligible", Boolean, nullable=False),
    Column("eligibility_reason", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
