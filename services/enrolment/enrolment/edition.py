"""The edition the service enrols for: the one place that says what
CO-AliZIONE 2017 is (name, deadline, roles, webinar catalogue, how long
the personal data are kept).

A new edition is a new :class:`Edition` value here; no other module names
dates, roles or topics.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

ROME = ZoneInfo("Europe/Rome")


@dataclass(frozen=True)
class Topic:
    id: str
    title: str


@dataclass(frozen=True)
class Edition:
    id: str
    name: str
    promoter: str
    deadline: datetime
    activities_from: datetime
    activities_until: datetime
    roles: dict[str, str]
    topics: tuple[Topic, ...]
    max_participants: int = 30
    retention_days: int = 730

    @property
    def personal_data_expire_at(self) -> datetime:
        """The instant after which the contacts' and participants' personal
        data must be erased: ``retention_days`` after the end of the
        activities (the figures for the funder stay, without names)."""
        return self.activities_until + timedelta(days=self.retention_days)

    def is_open(self, now: datetime) -> bool:
        return now <= self.deadline

    def topic_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.topics)

    def topic_title(self, topic_id: str) -> str:
        return next((t.title for t in self.topics if t.id == topic_id), topic_id)


CURRENT = Edition(
    id="coalizione-2017",
    name="CO-AliZIONE 2017",
    promoter="ANCI con Fondazione Cittalia, progetto finanziato dal Ministero dell'Interno "
             "(FAMI 2014-2020)",
    deadline=datetime(2017, 6, 30, 23, 59, 59, tzinfo=ROME),
    activities_from=datetime(2017, 7, 3, tzinfo=ROME),
    activities_until=datetime(2018, 7, 31, 23, 59, 59, tzinfo=ROME),
    retention_days=730,
    roles={"amministratore": "Amministratore", "dirigente": "Dirigente",
           "funzionario": "Funzionario"},
    topics=(
        Topic("reti-coalizioni-locali", "Reti e coalizioni locali per l'integrazione"),
        Topic("accoglienza-integrata", "Accoglienza integrata e ruolo del Comune"),
        Topic("progetti-finanziati", "Co-progettazione e gestione di progetti finanziati "
                                     "(FAMI e altri fondi)"),
        Topic("servizi-comunali-stranieri", "Servizi comunali per cittadini stranieri "
                                            "(anagrafe, residenza, accesso ai servizi)"),
        Topic("msna", "Minori stranieri non accompagnati"),
        Topic("mediazione-comunicazione", "Mediazione interculturale e comunicazione pubblica"),
        Topic("inserimento-lavorativo", "Inserimento lavorativo e formazione"),
        Topic("politiche-abitative", "Politiche abitative"),
    ),
)

EDITIONS = {CURRENT.id: CURRENT}
"""Every edition the database may hold adhesions of, by id (the retention
job erases each one's personal data when its time comes)."""
