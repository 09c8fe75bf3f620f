"""Working dates of an edition: weekdays, no Italian public holidays, and
at most one local day of a region on a date."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable, Iterator

import holidays


def working_dates(start: date, blackout: Iterable[date] = ()) -> Iterator[date]:
    """Weekdays from ``start`` on that are not Italian public holidays."""
    closed = set(blackout)
    italian = holidays.country_holidays("IT")  # expands to each year it is asked about
    day = start
    while True:
        if day.weekday() < 5 and day not in italian and day not in closed:
            yield day
        day += timedelta(days=1)


def is_working_date(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays.country_holidays("IT", years=day.year)


def assign_dates(needed: dict[str, int], start: date, per_date: int,
                 taken: dict[str, set[date]] | None = None,
                 load: dict[date, int] | None = None) -> dict[str, list[date]]:
    """Dates for ``needed[region]`` new days of each region: never two days
    of one region on a date (counting ``taken``), at most ``per_date`` days
    on a date across regions (counting ``load``); the regions with the most
    days left go first, so the calendar ends as early as it can."""
    taken = {r: set(d) for r, d in (taken or {}).items()}
    load = dict(load or {})
    left = {r: n for r, n in needed.items() if n > 0}
    result: dict[str, list[date]] = {r: [] for r in needed}
    for day in working_dates(start):
        if not left:
            break
        room = per_date - load.get(day, 0)
        for region in sorted(left, key=lambda r: (-left[r], r)):
            if room <= 0:
                break
            if day in taken.get(region, ()):
                continue
            result[region].append(day)
            taken.setdefault(region, set()).add(day)
            load[day] = load.get(day, 0) + 1
            room -= 1
            left[region] -= 1
            if not left[region]:
                del left[region]
    return result
