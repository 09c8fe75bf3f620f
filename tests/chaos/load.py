"""Submissions for the chaos test and the system benchmark: valid adhesions
for distinct eligible bodies, a share of deliberately wrong ones, and the
record of what the entry port answered to each."""
from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.chaos.harness import TOKEN, call, wait_until

ROLES = ("amministratore", "dirigente", "funzionario")


@dataclass
class Submission:
    index: int
    kind: str  # valid | not-eligible | validation | duplicate
    entity_code: str
    contact_email: str
    body: dict
    status: int | None = None
    answer: object = None
    content_type: str = ""
    sent_at: float = 0.0
    answered_at: float = 0.0


def adhesion(entity_code: str, tag: str, index: int, participants: int = 3,
             topics: list[str] | None = None) -> dict:
    return {
        "entity_code": entity_code,
        "contact": {"name": f"Referente {index}", "role": "dirigente",
                    "email": f"c{index}.{tag}@comune.example.it", "phone": "+39 06 1234567"},
        "participants": [{"name": f"Partecipante {index}-{p}", "role": ROLES[p % 3],
                          "email": f"p{index}-{p}.{tag}@comune.example.it",
                          "office": "Servizi sociali"} for p in range(participants)],
        "webinar_topics": list(topics or [])[:2],
        "privacy_notice_read": True,
    }


def seed_bodies(port: int, count: int, tag: str, region: str = "Emilia-Romagna") -> list[str]:
    """``count`` eligible bodies put into the registry by an operator
    (concurrently); returns their codes."""
    codes = [f"IPA-{tag[:6]}.{i}" for i in range(count)]  # <= 16 characters (docs/testing.md)

    def put(item):
        i, code = item
        status, answer, _ = call(port, "PUT", f"/api/registry/v1/ops/entities/{code}", {
            "name": f"Unione dei Comuni Prova {tag} {i}", "kind": "unione_di_comuni",
            "region": region, "province": "BO", "lat": 44.0 + (i % 100) / 100,
            "lon": 11.0 + (i // 100) / 100}, token=TOKEN)
        assert status in (200, 201), (code, status, answer)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, enumerate(codes)))
    return codes


def wait_for_replica(port: int, code: str, timeout: float = 120.0) -> bool:
    """The enrolment's replica knows ``code`` (the last body announced)."""
    def known():
        status, answer, _ = call(port, "GET", f"/api/enrolment/v1/entities?q={code}")
        return status == 200 and any(item.get("code") == code
                                     for item in (answer or {}).get("items", []))
    return wait_until(known, timeout, 0.5)


def plan(codes: list[str], tag: str, topics: list[str], not_eligible: str | None,
         bad_every: int = 20) -> list[Submission]:
    """One valid submission per body, plus wrong ones interleaved."""
    submissions, counter = [], itertools.count()
    for n, code in enumerate(codes):
        i = next(counter)
        submissions.append(Submission(i, "valid", code, f"c{i}.{tag}@comune.example.it",
                                      adhesion(code, tag, i, 1 + n % 3, topics)))
        if bad_every and n % bad_every == bad_every - 1:
            i, earlier = next(counter), codes[n - bad_every // 2]  # long since submitted
            submissions.append(Submission(i, "duplicate", earlier,
                                          f"c{i}.{tag}@comune.example.it",
                                          adhesion(earlier, tag, i)))
            i = next(counter)
            body = adhesion(code, tag, i)
            body["participants"][0]["email"] = "non-una-email"
            body["contact"]["role"] = "sindaco"
            submissions.append(Submission(i, "validation", code, f"c{i}.{tag}@comune.example.it",
                                          body))
            if not_eligible:
                i = next(counter)
                submissions.append(Submission(i, "not-eligible", not_eligible,
                                              f"c{i}.{tag}@comune.example.it",
                                              adhesion(not_eligible, tag, i)))
    return submissions


def drive(port: int, submissions: list[Submission], rate: float, threads: int = 24,
          on_progress=None) -> float:
    """POST every submission through the entry port at ``rate`` per second
    (open loop: each at its own start time); returns the seconds taken."""
    started = time.monotonic()
    done = itertools.count(1)
    lock = threading.Lock()

    def send(item):
        position, submission = item
        delay = started + position / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        submission.sent_at = time.monotonic()
        submission.status, submission.answer, submission.content_type = call(
            port, "POST", "/api/enrolment/v1/adhesions", submission.body, timeout=60)
        submission.answered_at = time.monotonic()
        with lock:
            n = next(done)
        if on_progress:
            on_progress(n, submission)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, enumerate(submissions)))
    return time.monotonic() - started


@dataclass
class Faults:
    """Faults at given fractions of the load's duration, one after another."""

    schedule: list[tuple[float, str, object]]  # (fraction, name, callable)
    log: list[tuple[float, str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def run(self, duration: float, stop: threading.Event) -> None:
        started = time.monotonic()
        for fraction, name, action in self.schedule:
            if stop.wait(max(0.0, started + fraction * duration - time.monotonic())):
                return
            try:
                self.log.append((round(time.monotonic() - started, 1), name, action()))
            except Exception as exc:  # reported by the test, not swallowed
                self.errors.append(f"{name}: {type(exc).__name__}: {exc}")
