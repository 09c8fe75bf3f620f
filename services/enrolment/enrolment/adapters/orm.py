"""The enrolment service's tables."""
from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table,
                        Text, text)

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

ACTIVE_STATUSES = ("pending_confirmation", "confirmed")
# Written out as SQL (not bound parameters) so that PostgreSQL can prove a
# query's predicate implies the partial index's, prepared statements too.
ACTIVE = "status IN ('pending_confirmation', 'confirmed')"

# The local replica of the registry, fed by registry.entity.upserted: the
# eligibility check at submit time reads only this table.
entities = Table(
    "entities", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    # lower case, without accents or punctuation: what the name search matches
    Column("search_name", String(200), nullable=False, server_default=""),
    Column("kind", String(40), nullable=False),
    Column("province", String(10)),
    Column("region", String(60)),
    Column("population", Integer),
    Column("eligible", Boolean, nullable=False),
    Column("eligibility_reason", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_entities_search_name", "search_name"),
)

# One row per adhesion; the entity fields are a snapshot taken at submit
# time, so operations can filter and count without the replica.
adhesions = Table(
    "adhesions", metadata,
    Column("id", String(36), primary_key=True),
    Column("edition", String(40), nullable=False),
    Column("entity_code", String(64), nullable=False),
    Column("entity_name", String(200), nullable=False),
    Column("entity_kind", String(40), nullable=False),
    Column("province", String(10)),
    Column("region", String(60)),
    Column("population", Integer),
    Column("status", String(24), nullable=False),
    Column("webinar_topics", Text, nullable=False),
    Column("privacy_notice_read_at", DateTime(timezone=True), nullable=False),
    Column("manage_token_hash", String(64), nullable=False),
    Column("manage_nonce", String(32), nullable=False),
    Column("confirm_token_hash", String(64)),
    Column("confirm_expires_at", DateTime(timezone=True)),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("confirmed_at", DateTime(timezone=True)),
    Column("withdrawn_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),
    # One active adhesion per body per edition, whatever the race.
    Index("ux_adhesions_active_entity", "edition", "entity_code", unique=True,
          postgresql_where=text(ACTIVE), sqlite_where=text(ACTIVE)),
    Index("ix_adhesions_status_region", "status", "region"),
)

# The contact (position 0, kind "contact") and the participants of an
# adhesion; ids are stable across changes. Erasure (enrolment/erasure.py)
# empties name, email, phone and office and sets erased_at; the id, kind
# and role stay, so every count stays the same.
people = Table(
    "people", metadata,
    Column("id", String(36), primary_key=True),
    Column("adhesion_id", String(36), ForeignKey("adhesions.id", ondelete="CASCADE"),
           nullable=False),
    Column("kind", String(12), nullable=False),
    Column("position", Integer, nullable=False),
    Column("name", String(200)),
    Column("role", String(20), nullable=False),
    Column("email", String(254)),
    Column("phone", String(40)),
    Column("office", String(200)),
    Column("erased_at", DateTime(timezone=True)),
    Index("ix_people_adhesion", "adhesion_id"),
    Index("ix_people_email", "email"),
)

