"""The scheduling service's tables."""
from sqlalchemy import (JSON, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer, String,
                        Table, Text, UniqueConstraint)

from coalizione_common.runtime import messaging_metadata

metadata = messaging_metadata()

# Where each body is: the optimiser measures travel from these coordinates.
entities = Table(
    "entities", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("province", String(10)),
    Column("region", String(60)),
    Column("lat", Float),
    Column("lon", Float),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Our view of each adhesion, from adhesion.*, roster.updated and roster.erased:
# who comes and which webinar topics they chose. ``participants`` holds
# [{id, role, name, office, erased}]: names and offices for the attendance
# registers and certificates (never e-mails); roster.erased blanks them and
# keeps ids and roles, so the indicators do not change.
adhesions = Table(
    "adhesions", metadata,
    Column("adhesion_id", String(64), primary_key=True),
    Column("entity_code", String(64), nullable=False, index=True),
    Column("entity_name", String(200)),
    Column("region", String(60)),
    Column("status", String(32), nullable=False),
    Column("participants", JSON, nullable=False),
    Column("headcount", Integer, nullable=False),
    Column("webinar_topics", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Venues an operator configured; where a region has any, only they host.
venues = Table(
    "venues", metadata,
    Column("entity_code", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("address", String(300), nullable=False),
    Column("region", String(60)),
    Column("capacity", Integer, nullable=False),
    Column("max_days", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("topic", String(100)),
    Column("title", String(300), nullable=False),
    Column("region", String(60)),
    Column("venue_code", String(64)),
    Column("venue_name", String(200)),
    Column("venue_address", String(300)),
    Column("venue_lat", Float),
    Column("venue_lon", Float),
    Column("join_url", String(500)),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("cancel_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_sessions_kind_start", "kind", "starts_at"),
)

assignments = Table(
    "assignments", metadata,
    Column("id", String(64), primary_key=True),
    Column("session_id", String(64), ForeignKey("sessions.id"), nullable=False, index=True),
    Column("adhesion_id", String(64), nullable=False, index=True),
    Column("entity_code", String(64), nullable=False),
    Column("participant_ids", JSON, nullable=False),
    Column("headcount", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("pinned", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("cancelled_at", DateTime(timezone=True)),
)

# Confirmed bodies no local day of their region could take.
waiting_list = Table(
    "waiting_list", metadata,
    Column("adhesion_id", String(64), primary_key=True),
    Column("region", String(60)),
    Column("since", DateTime(timezone=True), nullable=False),
)

attendance = Table(
    "attendance", metadata,
    Column("session_id", String(64), ForeignKey("sessions.id"), primary_key=True),
    Column("participant_id", String(64), primary_key=True),
    Column("adhesion_id", String(64), nullable=False),
    Column("present", Boolean, nullable=False),
    Column("marked_at", DateTime(timezone=True), nullable=False),
)

# Certificates of attendance: one current per person and edition (a person
# who attends more sessions later gets a new one, and the old one points to
# it with ``superseded_by``). ``sessions`` is the list of sessions attended
# as issued ([{session_id, kind, title, starts_at, ends_at}]);
# ``holder_name`` is blanked and ``erased`` set by roster.erased, and the
# certificate stays valid. ``revoked_at`` is set when a presence it lists is
# corrected to an absence.
certificates = Table(
    "certificates", metadata,
    Column("id", String(64), primary_key=True),
    Column("code", String(14), nullable=False),
    Column("adhesion_id", String(64), nullable=False, index=True),
    Column("entity_code", String(64), nullable=False),
    Column("entity_name", String(200)),
    Column("participant_id", String(64), nullable=False),
    Column("holder_name", String(200)),
    Column("role", String(32), nullable=False),
    Column("sessions", JSON, nullable=False),
    Column("hours", Float, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("erased", Boolean, nullable=False),
    Column("superseded_by", String(64)),
    Column("revoked_at", DateTime(timezone=True)),
    UniqueConstraint("code", name="uq_certificates_code"),
    Index("ix_certificates_participant_id", "participant_id"),
)
