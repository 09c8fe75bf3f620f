"""The local-day optimiser on the real coordinates and on instances small
enough to check against brute force."""
from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from scheduling.domain.geo import haversine_km
from scheduling.domain.localdays import (Body, SolverOptions, Venue, days_per_region,
                                         default_venues, plan_local_days, solve_region, travel_km)

from .conftest import eligible_bodies

FAST = SolverOptions(time_limit=10, polish_limit=2, k_nearest=15, workers=1)


def test_haversine_matches_a_known_distance():
    # Roma (41.9028, 12.4964) to Milano (45.4642, 9.19): about 477 km
    assert haversine_km(41.9028, 12.4964, 45.4642, 9.19) == pytest.approx(477, abs=3)


def brute_force(bodies, venues, n_days):
    best = float("inf")
    for choice in itertools.product(range(len(venues)), repeat=len(bodies)):
        if len(set(choice)) > n_days:
            continue
        load = Counter()
        for body, v in zip(bodies, choice):
            load[v] += body.participants
        if any(load[v] > venues[v].capacity for v in load):
            continue
        best = min(best, sum(travel_km(b, venues[v]) * b.participants
                             for b, v in zip(bodies, choice)))
    return best


@pytest.mark.parametrize("seed,n_days", [(1, 2), (2, 2), (3, 3), (4, 1)])
def test_the_solver_matches_brute_force_on_eight_bodies_and_three_venues(comuni, seed, n_days):
    rng = random.Random(seed)
    pool = eligible_bodies(comuni, {"Emilia-Romagna"})
    picked = rng.sample(pool, 11)
    bodies = [Body(b.key, b.code, b.region, b.lat, b.lon, rng.randint(1, 6))
              for b in picked[:8]]
    total = sum(b.participants for b in bodies)
    capacity = -(-total // n_days) + rng.randint(0, 4) if n_days > 1 else total
    venues = [Venue(b.code, b.region, b.lat, b.lon, capacity) for b in picked[8:]]
    expected = brute_force(bodies, venues, n_days)
    result = solve_region("Emilia-Romagna", bodies, venues, n_days,
                          SolverOptions(time_limit=10, mip_rel_gap=0.0, workers=1))
    assert not result.waiting
    assert result.objective == pytest.approx(expected, rel=1e-6)
    assert result.bound <= result.objective + 1e-6


def test_a_real_plan_places_every_body_once_within_capacity_and_region(comuni):
    regions = {"Umbria", "Marche", "Liguria", "Molise"}
    rng = random.Random(7)
    bodies = eligible_bodies(comuni, regions, participants=lambda row: rng.randint(1, 9))
    days = days_per_region(bodies, 50, 54)
    venues = {r: default_venues([b for b in bodies if b.region == r], 60) for r in regions}
    plan = plan_local_days(bodies, venues, days, FAST)
    placed = Counter(b.key for d in plan.days for b in d.bodies)
    assert not plan.waiting
    assert set(placed) == {b.key for b in bodies} and set(placed.values()) == {1}
    for day in plan.days:
        assert day.participants <= day.venue.capacity
        assert {b.region for b in day.bodies} <= {day.region} == {day.venue.region}
    assert Counter(d.region for d in plan.days) == Counter(days)
    metrics = plan.metrics()
    assert 0 <= metrics["gap"] < 0.05
    assert metrics["max_km"] == pytest.approx(
        max(travel_km(b, d.venue) for d in plan.days for b in d.bodies), abs=1e-3)


def test_days_per_region_shares_the_target_and_covers_capacity():
    bodies = [Body(str(i), str(i), "A" if i < 90 else "B", 0, 0, 4) for i in range(100)]
    assert days_per_region(bodies, 10, 60) == {"A": 9, "B": 1}
    assert days_per_region(bodies, 2, 60) == {"A": 6, "B": 1}


def test_a_full_region_sends_the_extra_body_to_the_waiting_list():
    bodies = [Body(str(i), str(i), "A", 45 + i * 0.01, 11, 10) for i in range(4)]
    venue = Venue("v", "A", 45, 11, capacity=30, min_days=1)
    result = solve_region("A", bodies, [venue], None, FAST)
    assert len(result.waiting) == 1
    assert sum(d.participants for d in result.days) == 30


def test_a_venue_with_several_days_never_overfills_one():
    bodies = [Body(str(i), str(i), "A", 45 + i * 0.01, 11, 7) for i in range(10)]
    venue = Venue("v", "A", 45, 11, capacity=21, max_days=3)
    result = solve_region("A", bodies, [venue], 3, FAST)
    assert len(result.days) == 3 and len(result.waiting) == 1
    assert all(d.participants <= 21 for d in result.days)
