"""The registry's tables."""
from sqlalchemy import Boolean, Column, DateTime, Float, Integer, String, Table, Text

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

entities = Table(
    "entities", metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False, index=True),
    Column("province", String(10), index=True),
    Column("region", String(60), index=True),
    Column("population", Integer),
    Column("population_date", String(10)),
    Column("eligible", Boolean, nullable=False, default=False),
    Column("eligibility_reason", Text, nullable=False, default=""),
    Column("lat", Float),
    Column("lon", Float),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
