"""The scheduling service's tables."""
from sqlalchemy import Column, DateTime, Float, String, Table

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

# Where each body is: the optimiser measures travel from these coordinates.
entities = Table(
    "entities", metadata,
    Column("code", String(16), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("province", String(10)),
    Column("region", String(60)),
    Column("lat", Float),
    Column("lon", Float),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
