"""Dates of local days and webinar series: weekdays, no Italian holidays,
one day per region and date, no participant in two places at once."""
from __future__ import annotations

import random
from itertools import islice
from collections import Counter
from datetime import date, time

import holidays

from scheduling.domain.dates import assign_dates, working_dates
from scheduling.domain.webinars import Learner, WebinarOptions, plan_webinars, popular_topics

START = date(2017, 7, 3)
ITALY = holidays.country_holidays("IT", years=[2017, 2018])


def test_working_dates_skip_weekends_and_the_15th_of_august():
    dates = [d for _, d in zip(range(40), working_dates(date(2017, 8, 1)))]
    assert all(d.weekday() < 5 for d in dates)
    assert date(2017, 8, 15) not in dates and date(2017, 8, 14) in dates
    assert date(2017, 12, 25) not in list(zip(range(120), working_dates(date(2017, 12, 1))))


def test_assigned_dates_are_working_days_and_never_twice_in_a_region():
    needed = {"Lombardia": 35, "Veneto": 21, "Molise": 1, "Umbria": 3}
    result = assign_dates(needed, START, per_date=3)
    assert {r: len(d) for r, d in result.items()} == needed
    per_date = Counter(d for dates in result.values() for d in dates)
    assert max(per_date.values()) <= 3
    for dates in result.values():
        assert len(set(dates)) == len(dates)
        assert all(d >= START and d.weekday() < 5 and d not in ITALY for d in dates)


def test_webinars_seat_everyone_without_clashes():
    rng = random.Random(3)
    topics = [f"t{i}" for i in range(6)]
    local = list(islice(working_dates(START), 30))
    learners = [Learner(f"b{i}", rng.randint(1, 8),
                        tuple(rng.sample(topics, rng.randint(0, 4))) + (("rare",) if i == 0 else ()),
                        rng.choice(local)) for i in range(300)]
    options = WebinarOptions(min_bodies=5, seats=100, slot_times=(time(10), time(11)), parallel=3)
    sessions = plan_webinars(learners, START, options)
    popular = popular_topics(learners, 5)
    assert "rare" not in popular and {s.topic for s in sessions} == set(popular)
    for learner in learners:
        mine = [s for s in sessions if learner in s.learners]
        assert sorted(s.topic for s in mine) == sorted(set(learner.topics) & set(popular))
        for i, a in enumerate(mine):
            assert a.starts_at.date() != learner.local_day
            assert a.starts_at.date().weekday() < 5 and a.starts_at.date() not in ITALY
            for b in mine[i + 1:]:
                assert a.ends_at <= b.starts_at or b.ends_at <= a.starts_at
    assert all(s.taken <= s.seats for s in sessions)
