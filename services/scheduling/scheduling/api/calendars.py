"""Calendars (RFC 5545): a body's local day and webinars, and each session.

Times are in UTC, so no VTIMEZONE is needed and every calendar application
shows them in its own zone. UIDs are stable per session and SEQUENCE grows
with each reschedule, so an imported event is updated, not duplicated.
Calendars are public like the links notify sends (no personal data in them).
"""
from __future__ import annotations

import re
from datetime import timezone

from flask import Blueprint, Response, current_app
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from coalizione_common.http import Problem

from .. import handlers
from ..adapters.orm import assignments, sessions

calendars = Blueprint("scheduling_calendars", __name__, url_prefix="/api/scheduling/v1")
UID_DOMAIN = "scheduling.coalizione"
ENTITY_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _utc(value):
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def session_event(row: dict, stamp) -> Event:
    event = Event()
    event.add("uid", f"{row['id']}@{UID_DOMAIN}")
    event.add("dtstamp", _utc(stamp))
    event.add("dtstart", _utc(row["starts_at"]))
    event.add("dtend", _utc(row["ends_at"]))
    event.add("sequence", row["sequence"])
    event.add("summary", row["title"])
    event.add("status", "CANCELLED" if row["status"] == "cancelled" else "CONFIRMED")
    event.add("last-modified", _utc(row["updated_at"]))
    if row["kind"] == "in_person":
        event.add("location", ", ".join(p for p in (row["venue_name"], row["venue_address"]) if p))
        event.add("description", "Giornata formativa in presenza del programma CO-AliZIONE.")
    else:
        event.add("location", row["join_url"])
        event.add("url", row["join_url"])
        event.add("description", f"Webinar del programma CO-AliZIONE: {row['join_url']}")
    return event


def calendar_of(rows: list[dict], stamp, name: str) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//coalizione//scheduling//IT")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    for row in rows:
        cal.add_component(session_event(row, stamp))
    return cal.to_ical()


def _ics(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@calendars.get("/entities/<code>/calendar.ics")
def entity_calendar(code):
    if not ENTITY_CODE.fullmatch(code):
        raise Problem(404, "not-found", "Unknown body", "Entity codes are letters, digits, - and _.")
    runtime = current_app.extensions["runtime"]
    with Session(runtime.engine) as db:
        ids = select(assignments.c.session_id).where(assignments.c.entity_code == code)
        rows = [dict(r) for r in db.execute(select(sessions).where(sessions.c.id.in_(ids))
                                            .order_by(sessions.c.starts_at)).mappings()]
        active = set(db.execute(select(assignments.c.session_id).where(
            assignments.c.entity_code == code, assignments.c.status == "active")).scalars())
    for row in rows:
        if row["id"] not in active and row["status"] == "scheduled":
            row["status"] = "cancelled"  # no longer this body's: withdraw it from its calendar
            row["sequence"] += 1
    return _ics(calendar_of(rows, runtime.clock.now(), f"CO-AliZIONE - {code}"), f"{code}.ics")


@calendars.get("/sessions/<session_id>/calendar.ics")
def session_calendar(session_id):
    runtime = current_app.extensions["runtime"]
    with Session(runtime.engine) as db:
        row = handlers.get_session(db, session_id)
    return _ics(calendar_of([row], runtime.clock.now(), row["title"]), f"{session_id}.ics")
