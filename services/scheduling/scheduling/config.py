"""The scheduling service's own settings, read once from the environment
(the variables are listed in the service's README.md)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date, time


# The 2017 catalogue as the enrolment publishes its topic ids; an edition
# with other topics sets SCHEDULING_TOPIC_TITLES (a JSON object id -> title).
TOPIC_TITLES_2017 = {
    "reti-coalizioni-locali": "Reti e coalizioni locali per l'integrazione",
    "accoglienza-integrata": "Accoglienza integrata e ruolo del Comune",
    "progetti-finanziati": "Co-progettazione e gestione di progetti finanziati "
                           "(FAMI e altri fondi)",
    "servizi-comunali-stranieri": "Servizi comunali per cittadini stranieri "
                                  "(anagrafe, residenza, accesso ai servizi)",
    "msna": "Minori stranieri non accompagnati",
    "mediazione-comunicazione": "Mediazione interculturale e comunicazione pubblica",
    "inserimento-lavorativo": "Inserimento lavorativo e formazione",
    "politiche-abitative": "Politiche abitative",
}


def _times(raw: str) -> tuple[time, ...]:
    return tuple(time.fromisoformat(part.strip()) for part in raw.split(",") if part.strip())


@dataclass(frozen=True)
class PlanningConfig:
    edition_start: date = date(2017, 7, 3)
    day_capacity: int = 60
    days_target: int = 50
    day_fill: float = 0.9
    days_per_date: int = 4
    day_starts: time = time(9, 0)
    day_ends: time = time(17, 0)
    time_limit: float = 25.0
    k_nearest: int = 20
    solver_workers: int = 2
    webinar_min_bodies: int = 5
    webinar_seats: int = 100
    webinar_minutes: int = 90
    webinar_times: tuple[time, ...] = (time(10, 0), time(15, 0))
    webinar_parallel: int = 2
    join_url_base: str = "https://webinar.coalizione.example/s/"
    topic_titles: dict = field(default_factory=lambda: dict(TOPIC_TITLES_2017))
    # How often the worker looks for an empty entity replica, and the least
    # time between two resync requests (coalizione_common.replica).
    resync_check: float = 15.0
    resync_interval: float = 600.0

    def topic_title(self, topic: str) -> str:
        return self.topic_titles.get(topic, topic)

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "PlanningConfig":
        env = environ if environ is not None else os.environ
        default = cls()

        def get(name, convert, fallback):
            raw = env.get(f"SCHEDULING_{name}")
            return convert(raw) if raw not in (None, "") else fallback

        return cls(
            edition_start=get("EDITION_START", date.fromisoformat, default.edition_start),
            day_capacity=get("DAY_CAPACITY", int, default.day_capacity),
            days_target=get("DAYS_TARGET", int, default.days_target),
            day_fill=get("DAY_FILL", float, default.day_fill),
            days_per_date=get("DAYS_PER_DATE", int, default.days_per_date),
            day_starts=get("DAY_STARTS", time.fromisoformat, default.day_starts),
            day_ends=get("DAY_ENDS", time.fromisoformat, default.day_ends),
            time_limit=get("TIME_LIMIT", float, default.time_limit),
            k_nearest=get("K_NEAREST", int, default.k_nearest),
            solver_workers=get("SOLVER_WORKERS", int, default.solver_workers),
            webinar_min_bodies=get("WEBINAR_MIN_BODIES", int, default.webinar_min_bodies),
            webinar_seats=get("WEBINAR_SEATS", int, default.webinar_seats),
            webinar_minutes=get("WEBINAR_MINUTES", int, default.webinar_minutes),
            webinar_times=get("WEBINAR_TIMES", _times, default.webinar_times),
            webinar_parallel=get("WEBINAR_PARALLEL", int, default.webinar_parallel),
            join_url_base=get("JOIN_URL_BASE", str, default.join_url_base),
            topic_titles=get("TOPIC_TITLES", json.loads, default.topic_titles),
            resync_check=get("RESYNC_CHECK_SECONDS", float, default.resync_check),
            resync_interval=get("RESYNC_INTERVAL_SECONDS", float, default.resync_interval),
        )
