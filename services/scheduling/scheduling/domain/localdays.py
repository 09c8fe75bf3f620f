"""Placing bodies in local days: a capacitated p-median per region.

Each region is solved alone (bodies never travel to another region's day):
choose which candidate venues host the region's days and send every body
to one of them, minimising the participants' great-circle travel
(``km * participants``: a body's people travel together) under each day's
capacity in participants. The model is a MILP solved by HiGHS
(``scipy.optimize.milp``) with a time limit; its dual bound gives the
optimality gap we report. To keep it small a body may only go to its
``k_nearest`` candidate venues. A body that cannot be placed (its region
is full) goes to the waiting list through a penalised slack variable, so
the model is always feasible.
"""
from __future__ import annotations

import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array

from .geo import distance_matrix

WAITING_PENALTY_KM = 10_000.0
SMALL_REGION = 60  # venues: below this the polishing MILP sees every venue


@dataclass(frozen=True)
class Body:
    """A confirmed body to place: ``key`` identifies it (an adhesion id)."""

    key: str
    code: str
    region: str
    lat: float
    lon: float
    participants: int
    population: int = 0


@dataclass(frozen=True)
class Venue:
    """A place that can host ``max_days`` local days of ``capacity``
    participants each; ``min_days`` > 0 forces it open (an existing day)."""

    code: str
    region: str
    lat: float
    lon: float
    capacity: int
    max_days: int = 1
    min_days: int = 0
    name: str = ""
    ref: str | None = None


@dataclass(frozen=True)
class SolverOptions:
    """``time_limit``: CPU seconds per region; ``polish_limit``: of which at
    most this much for the restricted MILP."""

    time_limit: float = 25.0
    polish_limit: float = 3.0
    mip_rel_gap: float = 0.005
    k_nearest: int = 20
    workers: int = 1


@dataclass
class Day:
    """One local day of a plan: its venue and the bodies it receives."""

    region: str
    venue: Venue
    bodies: list[Body] = field(default_factory=list)

    @property
    def participants(self) -> int:
        return sum(b.participants for b in self.bodies)


@dataclass
class RegionResult:
    region: str
    days: list[Day]
    waiting: list[Body]
    objective: float
    bound: float
    status: str
    wall_s: float


@dataclass
class Plan:
    days: list[Day]
    waiting: list[Body]
    regions: list[RegionResult]
    wall_s: float

    @property
    def objective(self) -> float:
        return sum(r.objective for r in self.regions)

    @property
    def bound(self) -> float:
        return sum(r.bound for r in self.regions)

    @property
    def gap(self) -> float:
        """Relative optimality gap of the whole plan (0 = proven optimal)."""
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / self.objective)

    def metrics(self) -> dict:
        return plan_metrics(self.days, self.waiting) | {
            "gap": round(self.gap, 6), "lower_bound_km": round(self.bound, 3),
            "wall_s": round(self.wall_s, 3),
            "regions": {r.region: {"status": r.status, "days": len(r.days),
                                   "objective_km": round(r.objective, 3),
                                   "bound_km": round(r.bound, 3)} for r in self.regions}}


def plan_metrics(days: list[Day], waiting: list[Body]) -> dict:
    """Travel figures of a set of days: total participant-km and the
    longest single trip."""
    total, longest = 0.0, 0.0
    for day in days:
        for body in day.bodies:
            km = travel_km(body, day.venue)
            total += km * body.participants
            longest = max(longest, km)
    return {"days": len(days), "bodies": sum(len(d.bodies) for d in days),
            "participants": sum(d.participants for d in days), "waiting": len(waiting),
            "total_km": round(total, 3), "max_km": round(longest, 3)}


def travel_km(body: Body, venue: Venue) -> float:
    return float(distance_matrix([body.lat], [body.lon], [venue.lat], [venue.lon])[0, 0])


def days_per_region(bodies: list[Body], days_target: int, capacity: int) -> dict[str, int]:
    """How many days each region gets: its share of the edition's target
    (largest remainder, by participants, at least one), raised to what its
    participants need at ``capacity``."""
    totals: dict[str, int] = {}
    for body in bodies:
        totals[body.region] = totals.get(body.region, 0) + body.participants
    if not totals:
        return {}
    grand = sum(totals.values())
    quotas = {r: days_target * p / grand for r, p in totals.items()}
    shares = {r: int(q) for r, q in quotas.items()}
    rest = days_target - sum(shares.values())
    for region in sorted(quotas, key=lambda r: quotas[r] - shares[r], reverse=True)[:max(0, rest)]:
        shares[region] += 1
    return {r: max(1, shares[r], math.ceil(p / capacity)) for r, p in totals.items()}


def solve_region(region: str, bodies: list[Body], venues: list[Venue], n_days: int | None,
                 options: SolverOptions) -> RegionResult:
    """Open ``n_days`` days among ``venues`` (None: exactly the forced
    ones) and place ``bodies``, minimising participant-km.

    The bound is the LP relaxation of the capacitated p-median (with
    ``x <= y``, which is tight on these instances); the plan comes from
    rounding that relaxation, then alternating an exact assignment (a MILP
    with the venues fixed) with moving each venue to the best 1-median of
    its bodies, until nothing improves or time runs out.
    """
    started = time.perf_counter()
    deadline = _cpu() + options.time_limit
    if not bodies or not venues:
        days = [Day(region, v) for v in venues for _ in range(v.min_days)]
        waiting = list(bodies)
        return RegionResult(region, days, waiting, _penalty(waiting), _penalty(waiting),
                            "empty" if not bodies else "no-venues", time.perf_counter() - started)
    if n_days is not None:  # never more days than venues can host or bodies can fill
        n_days = max(sum(v.min_days for v in venues),
                     min(n_days, sum(v.max_days for v in venues), len(bodies)))
    model = _Model(bodies, venues, options.k_nearest, options.polish_limit)
    if n_days is None:
        counts = np.array([v.min_days for v in venues])
        bound, y, status = model.relaxation(counts, counts), None, "assigned"
    else:
        bound, y = model.relaxation(np.array([v.min_days for v in venues]),
                                    np.array([v.max_days for v in venues]), n_days)
        counts = _round_days(y, n_days, venues)
        status = "heuristic"
    best = model.assign(counts, deadline)
    if n_days is not None:
        best = _improve(model, best, deadline)
        if best.cost - bound > options.mip_rel_gap * best.cost:
            best = model.polish(best, y, n_days, deadline, options.mip_rel_gap)
    days, waiting = model.days(region, best)
    objective = float(sum(travel_km(b, d.venue) * b.participants for d in days for b in d.bodies)
                      + _penalty(waiting))
    if objective - bound <= options.mip_rel_gap * max(objective, 1e-9):
        status = "optimal" if objective - bound <= 1e-6 * max(objective, 1) else "within-gap"
    return RegionResult(region, days, waiting, objective, min(bound, objective), status,
                        time.perf_counter() - started)


def _cpu() -> float:
    """The region's clock: CPU seconds of this process, so that a busy
    machine slows a plan down rather than making it worse."""
    return time.process_time()


def _penalty(bodies: list[Body]) -> float:
    return float(sum(b.participants * WAITING_PENALTY_KM for b in bodies))


@dataclass
class _Solution:
    counts: np.ndarray
    venue_of: np.ndarray  # venue index per body, -1 when waiting
    cost: float


class _Model:
    """One region's distances and the two models solved on them."""

    def __init__(self, bodies: list[Body], venues: list[Venue], k_nearest: int,
                 polish_limit: float = 3.0):
        self.bodies, self.venues = bodies, venues
        self.dist = distance_matrix([b.lat for b in bodies], [b.lon for b in bodies],
                                    [v.lat for v in venues], [v.lon for v in venues])
        self.size = np.array([b.participants for b in bodies], dtype=float)
        self.cap = np.array([v.capacity for v in venues], dtype=float)
        self.cost = self.dist * self.size[:, None]
        self.k = k_nearest
        self.polish_limit = polish_limit

    def _pairs(self, allowed: np.ndarray, k: int):
        """Each body's ``k`` nearest allowed venues that can hold it."""
        dist = np.where(allowed[None, :] & (self.cap[None, :] >= self.size[:, None]),
                        self.dist, np.inf)
        k = min(k, int(allowed.sum()))
        nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
        ok = np.isfinite(np.take_along_axis(dist, nearest, axis=1)).ravel()
        pairs_b = np.repeat(np.arange(len(self.bodies)), k)[ok]
        return pairs_b, nearest.ravel()[ok]

    def _build(self, pairs_b, pairs_v, lower, upper, n_days, integral):
        nb, nv, nx = len(self.bodies), len(self.venues), len(pairs_b)
        cost = np.concatenate([self.cost[pairs_b, pairs_v], np.zeros(nv),
                               self.size * WAITING_PENALTY_KM])
        blocks = [  # rows, cols, values, lo, hi
            (np.concatenate([pairs_b, np.arange(nb)]),
             np.concatenate([np.arange(nx), nx + nv + np.arange(nb)]),
             np.ones(nx + nb), np.ones(nb), np.ones(nb)),
            (np.concatenate([pairs_v, np.arange(nv)]),
             np.concatenate([np.arange(nx), nx + np.arange(nv)]),
             np.concatenate([self.size[pairs_b], -self.cap]), np.full(nv, -np.inf), np.zeros(nv)),
            (np.concatenate([np.arange(nx), np.arange(nx)]),
             np.concatenate([np.arange(nx), nx + pairs_v]),
             np.concatenate([np.ones(nx), -np.ones(nx)]), np.full(nx, -np.inf), np.zeros(nx)),
        ]
        if n_days is not None:
            blocks.append((np.zeros(nv, dtype=int), nx + np.arange(nv), np.ones(nv),
                           np.array([float(n_days)]), np.array([float(n_days)])))
        rows, cols, vals, lo, hi, offset = [], [], [], [], [], 0
        for r, c, v, l, h in blocks:
            rows.append(r + offset)
            cols.append(c)
            vals.append(v)
            lo.append(l)
            hi.append(h)
            offset += len(l)
        matrix = coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(offset, nx + nv + nb)).tocsr()
        integrality = np.concatenate([np.full(nx + nv, 1 if integral else 0), np.zeros(nb)])
        bounds = Bounds(np.concatenate([np.zeros(nx), lower, np.zeros(nb)]),
                        np.concatenate([np.ones(nx), upper, np.ones(nb)]))
        return cost, integrality, bounds, LinearConstraint(matrix, np.concatenate(lo),
                                                           np.concatenate(hi))

    def relaxation(self, lower, upper, n_days=None):
        """LP bound of the whole region (and the fractional days per venue);
        HiGHS's interior point is several times faster than the simplex on
        this degenerate LP."""
        pairs_b, pairs_v = self._pairs(np.ones(len(self.venues), dtype=bool), self.k)
        cost, _, bounds, constraint = self._build(pairs_b, pairs_v, lower, upper,
                                                  n_days, integral=False)
        equal = constraint.lb == constraint.ub
        matrix = constraint.A
        result = linprog(cost, A_ub=matrix[~equal], b_ub=constraint.ub[~equal],
                         A_eq=matrix[equal], b_eq=constraint.ub[equal],
                         bounds=np.column_stack([bounds.lb, bounds.ub]), method="highs-ipm")
        if result.x is None:
            raise RuntimeError(f"relaxation failed: {result.message}")
        nx = len(pairs_b)
        y = result.x[nx:nx + len(self.venues)]
        return (float(result.fun), y) if n_days is not None else float(result.fun)

    def assign(self, counts: np.ndarray, deadline: float) -> _Solution:
        """The best placement of every body with the open days fixed."""
        open_ = counts > 0
        pairs_b, pairs_v = self._pairs(open_, max(8, self.k // 2))
        cost, integrality, bounds, constraint = self._build(
            pairs_b, pairs_v, counts.astype(float), counts.astype(float), None, integral=True)
        result = milp(cost, integrality=integrality, bounds=bounds, constraints=constraint,
                      options={"time_limit": max(1.0, deadline - _cpu()),
                               "mip_rel_gap": 1e-4})
        if result.x is None:
            raise RuntimeError(f"assignment failed: {result.message}")
        venue_of = np.full(len(self.bodies), -1)
        chosen = np.flatnonzero(result.x[:len(pairs_b)] > 0.5)
        venue_of[pairs_b[chosen]] = pairs_v[chosen]
        return _Solution(counts.copy(), venue_of, float(result.fun))

    def polish(self, best: _Solution, y: np.ndarray, n_days: int, deadline: float,
               gap: float) -> _Solution:
        """The exact MILP restricted to the venues the relaxation or the
        current plan uses; kept only when it beats ``best``."""
        remaining = min(deadline - _cpu(), self.polish_limit)
        if remaining < 1.0:
            return best
        allowed = (y > 1e-3) | (best.counts > 0) | (len(self.venues) <= SMALL_REGION)
        pairs_b, pairs_v = self._pairs(allowed, self.k)
        lower = np.array([v.min_days for v in self.venues], dtype=float)
        upper = np.where(allowed, [v.max_days for v in self.venues], 0).astype(float)
        cost, integrality, bounds, constraint = self._build(pairs_b, pairs_v, lower, upper,
                                                            n_days, integral=True)
        result = milp(cost, integrality=integrality, bounds=bounds, constraints=constraint,
                      options={"time_limit": remaining, "mip_rel_gap": gap})
        if result.x is None or result.fun >= best.cost - 1e-9:
            return best
        nx = len(pairs_b)
        venue_of = np.full(len(self.bodies), -1)
        chosen = np.flatnonzero(result.x[:nx] > 0.5)
        venue_of[pairs_b[chosen]] = pairs_v[chosen]
        counts = np.round(result.x[nx:nx + len(self.venues)]).astype(int)
        return _Solution(counts, venue_of, float(result.fun))

    def days(self, region: str, solution: _Solution) -> tuple[list[Day], list[Body]]:
        days, waiting = [], [b for i, b in enumerate(self.bodies) if solution.venue_of[i] < 0]
        for v in np.flatnonzero(solution.counts):
            members = [self.bodies[i] for i in np.flatnonzero(solution.venue_of == v)]
            venue = self.venues[int(v)]
            split, overflow = split_into_days(members, int(solution.counts[v]), venue.capacity)
            days += [Day(region, venue, group) for group in split]
            waiting += overflow
        return days, waiting


def _round_days(y: np.ndarray, n_days: int, venues: list[Venue]) -> np.ndarray:
    """Integral days per venue summing to ``n_days``, near the relaxation."""
    counts = np.floor(y + 1e-6).astype(int)
    counts = np.maximum(counts, [v.min_days for v in venues])
    room = np.array([v.max_days for v in venues]) - counts
    for v in np.argsort(-(y - counts), kind="stable"):
        if counts.sum() >= n_days:
            break
        if room[v] > 0:
            counts[v] += 1
            room[v] -= 1
    return counts


def _improve(model: _Model, best: _Solution, deadline: float) -> _Solution:
    """Move each open venue to the candidate that serves its bodies with
    the least travel (a 1-median), re-assign, keep what improves."""
    venues = model.venues
    max_days = np.array([v.max_days for v in venues])
    movable = np.array([v.min_days == 0 for v in venues])
    for _ in range(20):
        if _cpu() >= deadline:
            break
        counts = best.counts.copy()
        for v in np.flatnonzero(counts):
            members = np.flatnonzero(best.venue_of == v)
            if not movable[v] or len(members) == 0:
                continue
            load = model.size[members].sum()
            fits = (counts == 0) & movable & (max_days >= counts[v]) & \
                (model.cap * counts[v] >= load)
            fits[v] = True
            travel = np.where(fits, model.cost[members].sum(axis=0), np.inf)
            target = int(np.argmin(travel))
            if target != v and travel[target] < travel[v] - 1e-9:
                counts[target], counts[v] = counts[v], 0
        if np.array_equal(counts, best.counts):
            break
        candidate = model.assign(counts, deadline)
        if candidate.cost >= best.cost - 1e-9:
            break
        best = candidate
    return best


def split_into_days(bodies: list[Body], count: int,
                    capacity: int) -> tuple[list[list[Body]], list[Body]]:
    """Share a venue's bodies among its ``count`` days (first fit
    decreasing); what does not fit is returned as overflow."""
    groups: list[list[Body]] = [[] for _ in range(count)]
    loads = [0] * count
    overflow = []
    for body in sorted(bodies, key=lambda b: (-b.participants, b.key)):
        target = min((i for i in range(count) if loads[i] + body.participants <= capacity),
                     key=lambda i: loads[i], default=None)
        if target is None:
            overflow.append(body)
        else:
            groups[target].append(body)
            loads[target] += body.participants
    return groups, overflow


def default_venues(bodies: list[Body], capacity: int) -> list[Venue]:
    """Every participating body of a region may host one day."""
    return [Venue(b.code, b.region, b.lat, b.lon, capacity) for b in bodies]


def plan_local_days(bodies: list[Body], venues_by_region: dict[str, list[Venue]],
                    days_by_region: dict[str, int | None], options: SolverOptions) -> Plan:
    """Solve every region (in parallel processes when ``options.workers`` > 1)."""
    started = time.perf_counter()
    by_region: dict[str, list[Body]] = {}
    for body in bodies:
        by_region.setdefault(body.region, []).append(body)
    regions = sorted(set(by_region) | set(venues_by_region),
                     key=lambda r: -len(by_region.get(r, [])))
    jobs = [(r, by_region.get(r, []), venues_by_region.get(r, []), days_by_region.get(r), options)
            for r in regions]
    workers = min(options.workers, len(jobs))
    if workers > 1:
        # spawn, not fork: the web and worker processes run threads
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            results = list(pool.map(_solve_job, jobs))
    else:
        results = [_solve_job(job) for job in jobs]
    days = [d for res in results for d in res.days]
    waiting = [b for res in results for b in res.waiting]
    return Plan(days, waiting, results, time.perf_counter() - started)


def _solve_job(job) -> RegionResult:
    return solve_region(*job)


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))
