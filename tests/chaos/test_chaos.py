"""The whole stack under load while it is hurt, then checked for
exactly-once effects.

A load of submissions (``CHAOS_SUBMISSIONS`` valid ones, default 300, over
``CHAOS_SECONDS``, default 45) goes through the entry port while, in turn,
each service's worker is SIGKILLed (the stack restarts it), the stack's
RabbitMQ connections are closed by the broker (``rabbitmqctl
close_connection``, only this stack's), and its PostgreSQL backends are terminated
(``CHAOS_RESTART_POSTGRES=1`` restarts the server instead: only on a
machine of one's own, it disturbs every other database user). Afterwards:

- every accepted submission (201) exists exactly once in enrolment, in
  scheduling's view and in notify's log, and its confirmation e-mail reached
  the SMTP server with exactly one Message-ID;
- every other answer is a problem+json naming what was wrong;
- no queue holds a message, no outbox a row unpublished, no dead-letter
  queue a letter.
"""
from __future__ import annotations

import collections
import json
import os
import threading
import time

import pytest

pytest.importorskip("psutil")

from tests.chaos import load
from tests.chaos.harness import TOKEN, Stack, call, unique_tag, wait_until

pytestmark = pytest.mark.integration

SUBMISSIONS = int(os.environ.get("CHAOS_SUBMISSIONS", "300"))
SECONDS = float(os.environ.get("CHAOS_SECONDS", "45"))
RESTART_POSTGRES = os.environ.get("CHAOS_RESTART_POSTGRES") == "1"
SETTLE_SECONDS = float(os.environ.get("CHAOS_SETTLE_SECONDS", "240"))
# an ISTAT non-administrative unit is never eligible; the enrolment's replica
# may not hold it at all (then the body is unknown to it)
EXPECTED_PROBLEMS = {"valid": set(), "duplicate": {"already-enrolled"}, "validation": {"validation"},
                     "not-eligible": {"not-eligible", "unknown-entity"}}


def _fault_schedule(stack: Stack) -> list:
    database = (("restart PostgreSQL", lambda: Stack.restart_postgres()) if RESTART_POSTGRES
                else ("terminate the stack's PostgreSQL backends",
                      stack.terminate_database_backends))
    return [
        (0.10, "kill the registry worker", lambda: stack.kill_worker("registry")),
        (0.22, "kill the enrolment worker", lambda: stack.kill_worker("enrolment")),
        (0.34, "RabbitMQ closes the stack's connections", stack.close_broker_connections),
        (0.46, "kill the scheduling worker", lambda: stack.kill_worker("scheduling")),
        (0.58, database[0], database[1]),
        (0.70, "kill the notify worker", lambda: stack.kill_worker("notify")),
        (0.82, "RabbitMQ closes the stack's connections", stack.close_broker_connections),
    ]


def _not_eligible_body(port: int, tag: str) -> str:
    code = f"IPA-s{tag}"  # 16 characters at most: see docs/testing.md, enrolment finding
    status, entity, _ = call(port, "PUT", f"/api/registry/v1/ops/entities/{code}", {
        "name": f"Unita non amministrativa {tag}", "kind": "unita_non_amministrativa",
        "region": "Friuli-Venezia Giulia", "lat": 46.0, "lon": 13.2},
        token=TOKEN)
    assert status in (200, 201) and entity["eligible"] is False, (status, entity)
    return code


def _topic_ids(port: int) -> list[str]:
    status, answer, _ = call(port, "GET", "/api/enrolment/v1/topics")
    assert status == 200, answer
    items = answer.get("items", answer.get("topics", [])) if isinstance(answer, dict) else answer
    return [item["id"] for item in items]


def _diagnosis(stack: Stack, ids: list[str]) -> str:
    states = stack.query("notify", "SELECT state, count(*) FROM deliveries WHERE adhesion_id = "
                                   "ANY(%s) GROUP BY state", (ids,))
    unpublished = {s: stack.query(s, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
                   for s in stack.databases}
    return json.dumps({"notify_states": states, "unpublished": unpublished,
                       "queues": stack.ready_messages(), "workers": {
                           s: stack.worker_pid(s) for s in stack.databases}}, default=str)


def test_every_accepted_submission_has_exactly_one_effect_after_faults(chaos_stack):
    stack, sink = chaos_stack
    port, tag = stack.port, unique_tag()
    small = _not_eligible_body(port, tag)
    codes = load.seed_bodies(port, SUBMISSIONS, tag)
    assert load.wait_for_replica(port, codes[-1])  # announced after the small one
    topics = _topic_ids(port)
    submissions = load.plan(codes, tag, topics, small)

    faults = load.Faults(_fault_schedule(stack))
    stop = threading.Event()
    injector = threading.Thread(target=faults.run, args=(SECONDS, stop), daemon=True)
    injector.start()
    took = load.drive(port, submissions, rate=len(submissions) / SECONDS)
    injector.join(timeout=SECONDS + 120)
    stop.set()
    assert not faults.errors, faults.errors
    assert len(faults.log) == len(faults.schedule), faults.log

    statuses = collections.Counter((s.kind, s.status) for s in submissions)
    accepted = {s.answer["id"]: s for s in submissions if s.status == 201}
    unanswered = [s for s in submissions if s.status is None]
    server_errors = [s for s in submissions if s.status and s.status >= 500]
    report = {"submissions": len(submissions), "seconds": round(took, 1),
              "statuses": {f"{k} {v}": n for (k, v), n in sorted(statuses.items(), key=str)},
              "faults": faults.log}

    # every answer but 201 is a problem naming what went wrong
    for s in submissions:
        if s.status == 201:
            assert s.kind == "valid", (s.kind, s.answer)
            continue
        assert s.status is not None, (s.kind, s.answer)
        assert s.content_type.startswith("application/problem+json"), (s.status, s.answer)
        assert {"type", "title", "status", "detail"} <= set(s.answer), s.answer
        assert s.answer["status"] == s.status
        if s.status < 500:
            assert s.answer["type"].rsplit("/", 1)[-1] in EXPECTED_PROBLEMS[s.kind], (s.kind,
                                                                                     s.answer)
    assert not unanswered
    valid = [s for s in submissions if s.kind == "valid"]
    # a valid submission is refused only by a server error, which the report names
    assert all(s.status == 201 for s in valid if s not in server_errors)

    ids = list(accepted)
    contacts = {s.contact_email: adhesion_id for adhesion_id, s in accepted.items()}

    def converged() -> bool:
        sched = stack.query("scheduling", "SELECT count(*) FROM adhesions WHERE adhesion_id = "
                                          "ANY(%s)", (ids,))[0][0]
        sent = stack.query("notify", "SELECT count(*) FROM deliveries WHERE template = "
                                     "'confirmation_request' AND state = 'sent' AND "
                                     "adhesion_id = ANY(%s)", (ids,))[0][0]
        mailed = {r for _, rcpts, _ in sink.snapshot() for r in rcpts if r in contacts}
        report["converging"] = {"scheduling": sched, "notify_sent": sent, "mailed": len(mailed)}
        return sched == len(ids) and sent == len(ids) and len(mailed) == len(contacts)

    settle_started = time.monotonic()
    if not wait_until(converged, SETTLE_SECONDS, 1.0):
        pytest.fail(f"did not converge in {SETTLE_SECONDS}s: {json.dumps(report, default=str)}\n"
                    f"{_diagnosis(stack, ids)}\n{stack.log_tail(3000)}")
    report["settle_seconds"] = round(time.monotonic() - settle_started, 1)

    # enrolment: each accepted adhesion once; no adhesion for what was refused
    codes_of_ours = sorted({s.entity_code for s in submissions})
    rows = stack.query("enrolment", "SELECT id, entity_code FROM adhesions WHERE entity_code = "
                                    "ANY(%s)", (codes_of_ours,))
    by_code = collections.Counter(code for _, code in rows)
    assert {adhesion_id for adhesion_id, _ in rows} == set(ids) | {
        adhesion_id for adhesion_id, code in rows if code in {s.entity_code for s in
                                                              server_errors}}
    assert all(n == 1 for n in by_code.values()), by_code.most_common(3)
    # scheduling's view and notify's log: once each
    assert stack.query("scheduling", "SELECT count(*), count(DISTINCT adhesion_id) FROM "
                                     "adhesions WHERE adhesion_id = ANY(%s)",
                       (ids,))[0] == (len(ids), len(ids))
    per_adhesion = stack.query("notify", "SELECT adhesion_id, count(*) FROM deliveries WHERE "
                                         "template = 'confirmation_request' AND adhesion_id = "
                                         "ANY(%s) GROUP BY adhesion_id", (ids,))
    assert len(per_adhesion) == len(ids) and all(n == 1 for _, n in per_adhesion)
    # the SMTP server: one confirmation message (one Message-ID) per contact
    message_ids = collections.defaultdict(set)
    copies = collections.Counter()
    for _, rcpts, message in sink.snapshot():
        for rcpt in rcpts:
            if rcpt in contacts:
                message_ids[rcpt].add(message["Message-ID"])
                copies[rcpt] += 1
    assert all(len(message_ids[c]) == 1 for c in contacts), [
        (c, message_ids[c]) for c in contacts if len(message_ids[c]) != 1][:3]
    report["smtp_duplicate_copies"] = sum(n - 1 for n in copies.values())

    # nothing stuck, nothing unpublished, nothing dead
    handler_queues = set(stack.queues())
    assert wait_until(lambda: not any(n for q, n in stack.ready_messages().items()
                                      if q in handler_queues), 60, 1.0), stack.ready_messages()
    for service in stack.databases:
        assert stack.query(service, "SELECT count(*) FROM outbox WHERE published_at IS "
                                    "NULL")[0][0] == 0, service
    dead = {q: [(d.routing_key, d.error, d.attempts, d.body[:300]) for d in letters]
            for q, letters in stack.dead_letters().items() if letters}
    assert dead == {}, dead
    report["server_errors"] = [(s.kind, s.status, s.answer.get("title") if isinstance(
        s.answer, dict) else s.answer) for s in server_errors]
    report["accepted"] = len(ids)
    report["restarts"] = stack.log_tail(10 ** 9).count("; restarting")
    print("\nCHAOS " + json.dumps(report, default=str))
