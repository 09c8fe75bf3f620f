"""The platform's notion of "now".

``COALIZIONE_NOW`` pins the instant a process takes as now when it starts;
from there the clock runs on at real speed, so demos and tests can replay
the 2017 enrolment window while timeouts and backoffs still work.
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta, timezone


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant; a naive value is taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """An instant read back from the database as timezone-aware: SQLite
    returns naive datetimes, and everything stored is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def format_instant(value: datetime | None) -> str | None:
    """An instant as the APIs and events write it: ISO 8601 in UTC with
    ``Z`` (a naive value is taken as UTC); None stays None."""
    if value is None:
        return None
    return as_utc(value).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class Clock:
    """A wall clock that may start at a pinned instant and then runs on."""

    def __init__(self, start: datetime | None = None):
        self._offset = timedelta(0)
        if start is not None:
            self._offset = start - datetime.now(timezone.utc)

    @property
    def pinned(self) -> bool:
        return self._offset != timedelta(0)

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + self._offset

    @staticmethod
    def monotonic() -> float:
        return time.monotonic()

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Clock":
        raw = (environ if environ is not None else os.environ).get("COALIZIONE_NOW", "").strip()
        return cls(parse_instant(raw) if raw else None)
