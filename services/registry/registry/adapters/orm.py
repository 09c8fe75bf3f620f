"""The registry's tables."""
from sqlalchemy import Boolean, Column, DateTime, Float, Integer, String, Table, Text

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

# One row per comune or body. The columns of CONTRACT.md are columns (for
# filters and readers); ``details`` holds the rest of the document as JSON;
# ``fingerprint`` is the digest of the whole document, so an import knows
# what changed and announces only that.
entities = Table(
    "entities", metadata,
    Column("code", String(64), primary_key=True),
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
    Column("details", Text, nullable=False, default="{}"),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A single row whose ``version`` goes up in every transaction that changes
# entities: search indexes in other processes compare it to know when to
# rebuild, and the row lock serialises concurrent imports on PostgreSQL.
catalog = Table(
    "catalog", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", DateTime(timezone=True)),
)
