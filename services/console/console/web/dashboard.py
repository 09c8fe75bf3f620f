"""The dashboard: adhesions over time against the deadline, by region and
by kind of body."""
from __future__ import annotations

from datetime import date

from flask import render_template

from .. import charts
from .guard import bp, fetch, parse_instant, requires, ROME

KINDS = {"comune": "Comuni", "unione_di_comuni": "Unioni di comuni",
         "unione_montana": "Unioni montane", "comunita_montana": "Comunità montane",
         "comunita_isolana": "Comunità isolane", "consorzio_di_comuni": "Consorzi di comuni",
         "provincia": "Province", "provincia_autonoma": "Province autonome",
         "libero_consorzio": "Liberi consorzi comunali",
         "citta_metropolitana": "Città metropolitane",
         "unita_non_amministrativa": "Unità non amministrative"}
STATUSES = {"pending_confirmation": "In attesa di conferma", "confirmed": "Confermate",
            "withdrawn": "Ritirate"}


def _counts(section: dict | None, key: str) -> dict:
    return dict((section or {}).get(key) or {})


@bp.get("/")
@requires("viewer")
def dashboard():
    stats = fetch("enrolment", "/stats") or {}
    bodies = stats.get("bodies") or {}
    people = stats.get("participants") or {}
    deadline = parse_instant(stats.get("deadline"))
    days = [(date.fromisoformat(d["date"]), d["cumulative"]) for d in stats.get("by_day") or []]
    deadline_day = deadline.astimezone(ROME).date() if deadline else (
        days[-1][0] if days else date.today())
    by_region = _counts(bodies, "by_region")
    by_kind = {KINDS.get(k, k): v for k, v in _counts(bodies, "by_kind").items()}
    sessions = (fetch("scheduling", "/sessions", {"items": []}) or {}).get("items", [])
    return render_template(
        "dashboard.html", stats=stats, bodies=bodies, people=people, deadline=deadline,
        by_status={STATUSES.get(k, k): v for k, v in _counts(bodies, "by_status").items()},
        by_role=_counts(people, "by_role"), by_region=by_region, by_kind=by_kind,
        days=stats.get("by_day") or [],
        over_time=charts.cumulative(days, deadline_day, "Adesioni cumulate nel tempo"),
        region_chart=charts.bars(list(by_region.items()), "Enti aderenti per regione"),
        kind_chart=charts.bars(list(by_kind.items()), "Enti aderenti per tipo di ente"),
        sessions_total=len([s for s in sessions if s.get("status") != "cancelled"]))
