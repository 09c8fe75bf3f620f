"""The registry's domain: entities, editions and eligibility (no Flask, no SQLAlchemy)."""
