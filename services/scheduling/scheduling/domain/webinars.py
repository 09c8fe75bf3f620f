"""Webinar series: one per topic enough bodies chose, with enough sessions
for everyone, and no clash for any participant.

A body's participants follow its topics together, so clashes are checked
per body: no two of its sessions in the same slot, none on the date of its
local day. Sessions of different topics may run in parallel (up to
``parallel`` per slot); when no session of a topic suits a body, the
series gets one more session in a new slot, so everyone is seated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Iterator
from zoneinfo import ZoneInfo

from .dates import working_dates

ROME = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class Learner:
    """A body as the webinars see it: its people and chosen topics."""

    key: str
    participants: int
    topics: tuple[str, ...]
    local_day: date | None = None


@dataclass(frozen=True)
class WebinarOptions:
    min_bodies: int = 5
    seats: int = 100
    minutes: int = 90
    slot_times: tuple[time, ...] = (time(10, 0), time(15, 0))
    parallel: int = 2


@dataclass
class Webinar:
    topic: str
    starts_at: datetime
    ends_at: datetime
    seats: int
    learners: list[Learner] = field(default_factory=list)
    ref: str | None = None

    @property
    def taken(self) -> int:
        return sum(l.participants for l in self.learners)


def popular_topics(learners: list[Learner], min_bodies: int) -> list[str]:
    """Topics chosen by at least ``min_bodies`` bodies, most chosen first."""
    counts: dict[str, int] = {}
    for learner in learners:
        for topic in set(learner.topics):
            counts[topic] = counts.get(topic, 0) + 1
    return sorted((t for t, n in counts.items() if n >= min_bodies), key=lambda t: (-counts[t], t))


def _slots(start: date, options: WebinarOptions) -> Iterator[datetime]:
    for day in working_dates(start):
        for at in options.slot_times:
            yield datetime.combine(day, at, tzinfo=ROME)


def plan_webinars(learners: list[Learner], start: date, options: WebinarOptions,
                  existing: list[Webinar] = ()) -> list[Webinar]:
    """Series for the popular topics; every learner who chose one is seated
    in exactly one of its sessions. ``existing`` sessions (with the
    learners already seated) are kept and filled first; new sessions come
    after the last existing one. Returns existing and new sessions."""
    topics = popular_topics(learners, options.min_bodies)
    sessions = list(existing)
    busy: dict[str, list[Webinar]] = {}
    seated: set[tuple[str, str]] = set()
    for session in sessions:
        for learner in session.learners:
            busy.setdefault(learner.key, []).append(session)
            seated.add((learner.key, session.topic))
    todo = [(l, t) for l in learners for t in topics if t in l.topics and (l.key, t) not in seated]
    left = {}
    for topic in topics:
        demand = sum(l.participants for l, t in todo if t == topic)
        free = sum(max(0, s.seats - s.taken) for s in sessions if s.topic == topic)
        left[topic] = max(0, math.ceil((demand - free) / options.seats)) if demand else 0
    duration = timedelta(minutes=options.minutes)
    after = max((s.starts_at for s in sessions), default=None)
    slots = (s for s in _slots(start, options) if after is None or s > after)
    while any(left.values()):
        at = next(slots)
        open_topics = sorted((t for t in left if left[t]), key=lambda t: (-left[t], t))
        for topic in open_topics[:options.parallel]:
            sessions.append(Webinar(topic, at, at + duration, options.seats))
            left[topic] -= 1
    todo.sort(key=lambda p: (-len(set(p[0].topics) & set(topics)), -p[0].participants, p[0].key,
                             topics.index(p[1])))
    for learner, topic in todo:
        mine = busy.setdefault(learner.key, [])
        seat = _best_session(sessions, topic, learner, mine)
        if seat is None:
            at = next(s for s in slots if s.date() != learner.local_day
                      and not any(_overlap(s, s + duration, w) for w in mine))
            seat = Webinar(topic, at, at + duration, max(options.seats, learner.participants))
            sessions.append(seat)
        seat.learners.append(learner)
        mine.append(seat)
    return sessions


def _overlap(starts_at: datetime, ends_at: datetime, other: Webinar) -> bool:
    return starts_at < other.ends_at and other.starts_at < ends_at


def _best_session(sessions: list[Webinar], topic: str, learner: Learner,
                  busy: list[Webinar]) -> Webinar | None:
    """The fullest session of ``topic`` that still has room and suits."""
    fits = [s for s in sessions if s.topic == topic
            and s.taken + learner.participants <= s.seats
            and s.starts_at.date() != learner.local_day
            and not any(_overlap(s.starts_at, s.ends_at, w) for w in busy)]
    return max(fits, key=lambda s: (s.taken, -s.starts_at.timestamp()), default=None)
