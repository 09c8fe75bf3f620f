"""The whole deployed topology under a steady rate of submissions: the
latency from POST to the confirmation e-mail reaching an SMTP server.

``python -m coalizione_embedded.stack`` (what ``make stack`` runs) is
started isolated (own databases, exchange and queue names) on the real
RabbitMQ and PostgreSQL (``AMQP_URL``, ``POSTGRES_URL``; default the local
ones), with ``SMTP_URL`` pointing at an aiosmtpd sink in this process.
Eligible bodies are put into the registry through its operations API;
then, for each rate of ``BENCH_RATES`` (per second, default
``5,10,20,40,50,...,100``), valid adhesions are POSTed through the entry port for
``BENCH_STEP_SECONDS`` (default 10) on an open loop, and each one's
confirmation e-mail is awaited in the sink. A step is sustained when every
POST got 201, every e-mail arrived and p99 <= 1 s; stepping stops at the
first step that is not.

The stack runs with the backbone set for throughput
(``COALIZIONE_RELAY_LINGER`` at 50 ms, ``COALIZIONE_CONSUMER_BATCH_WINDOW``
and ``COALIZIONE_CONSUMER_BATCH_GAP`` at 10 ms, unless the environment sets
them), the configuration .env.example suggests for a day of heavy intake.

Baseline in the same run: the POST round trip alone (the answer, without
waiting for the mail). Each step also reports ``cpu_ms_per_submission``:
the CPU time (user + system) each role of the stack used during the step
(the web tiers, the workers, the entry proxy, and this process: load
generator and SMTP sink), divided by the submissions; RabbitMQ
and PostgreSQL are shared with others and not counted. Prints its figures last as one JSON line:
``rate_per_s`` (the highest rate sustained, else the lowest tried),
``p50_s``/``p99_s`` at that rate, ``max_sustained_per_s`` (0 when none),
``post_p99_s`` and ``ratio_p99_to_post_p99``, every step, the CPU count and
the load average. Target (issue 8): p99 under 1 s at 100 submissions/s.
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/ holds registry.py and enrolment.py: they must not shadow the services
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

AMQP_URL = os.environ.get("AMQP_URL") or "amqp://guest:guest@127.0.0.1:5672//"
POSTGRES_URL = os.environ.get("POSTGRES_URL") or "postgresql://postgres@127.0.0.1:5432"
RATES = [float(r) for r in os.environ.get("BENCH_RATES", "5,10,20,40,50,60,70,80,90,100").split(",")]
STEP_SECONDS = float(os.environ.get("BENCH_STEP_SECONDS", "10"))
MAIL_WAIT = float(os.environ.get("BENCH_MAIL_WAIT_SECONDS", "20"))
TARGET_P99 = 1.0
# The backbone set for throughput (docs/backbone.md, .env.example): the
# relay may wait 50 ms and a consumer 10 ms so that batches fill. Any of
# them set in the environment wins (e.g. the defaults, to compare).
BATCHING = {name: os.environ.get(name) or value for name, value in (
    ("COALIZIONE_RELAY_LINGER", "0.05"), ("COALIZIONE_CONSUMER_BATCH_WINDOW", "0.01"),
    ("COALIZIONE_CONSUMER_BATCH_GAP", "0.01"))}


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("inf")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def role(argv: list[str]) -> str:
    """What a process of the stack is, from its command line."""
    if argv[-3:-1] == ["-m", argv[-2]] and argv[-1] == "worker":
        return f"{argv[-2]} worker"
    app = next((a for a in argv if a.endswith(":app")), None)
    if app:
        module = app.split(":")[0].split(".")[0]
        return "entry proxy" if module == "coalizione_embedded" else f"{module} web"
    return "stack supervisor" if "coalizione_embedded.stack" in argv else Path(argv[0]).name


def cpu_seconds(stack) -> dict[str, float]:
    """CPU seconds used so far by each role of the stack, and by this process."""
    import psutil
    totals: dict[str, float] = {}
    processes = [psutil.Process(stack.process.pid)] + stack._descendants()
    for process in processes:
        try:
            label, times = role(process.cmdline()), process.cpu_times()
        except psutil.Error:
            continue
        totals[label] = totals.get(label, 0.0) + times.user + times.system
    times = psutil.Process().cpu_times()
    totals["bench (load, SMTP sink)"] = times.user + times.system
    return totals


def per_submission(before: dict, after: dict, count: int) -> dict[str, float]:
    used = {k: 1000 * (after[k] - before.get(k, 0.0)) / count for k in after}
    used = {k: round(v, 1) for k, v in sorted(used.items(), key=lambda kv: -kv[1]) if v > 0}
    used["total"] = round(sum(used.values()), 1)
    return used


async def post(port: int, submission) -> None:
    from tests.support.rawhttp import post_status
    body = json.dumps(submission.body).encode()
    submission.sent_at = time.monotonic()
    try:
        submission.status = await asyncio.wait_for(
            post_status(port, "/api/enrolment/v1/adhesions", body), 60)
    except (OSError, ValueError, asyncio.TimeoutError) as exc:
        submission.status, submission.answer = None, repr(exc)
    submission.answered_at = time.monotonic()


def drive(port: int, submissions, rate: float) -> None:
    """POST each submission at its own start time (open loop) from one event
    loop: a thread and urllib per request took CPU the stack needs."""
    async def run():
        started = time.monotonic()
        open_requests = asyncio.Semaphore(256)  # as many sockets at most, if the stack stalls

        async def at(position, submission):
            await asyncio.sleep(max(0.0, started + position / rate - time.monotonic()))
            async with open_requests:
                await post(port, submission)

        await asyncio.gather(*(at(i, s) for i, s in enumerate(submissions)))
    asyncio.run(run())


def run_step(port, sink, codes, tag, rate, offset, stack=None):
    from tests.chaos import load
    cpu_before = cpu_seconds(stack) if stack else None
    count = max(1, int(rate * STEP_SECONDS))
    submissions = load.plan(codes[offset:offset + count], f"{tag}r{int(rate)}", [], None,
                            bad_every=0)
    seen_before = len(sink.snapshot())
    drive(port, submissions, rate)
    wanted = {s.contact_email: s for s in submissions if s.status == 201}
    arrived: dict[str, float] = {}
    deadline = time.monotonic() + MAIL_WAIT
    while time.monotonic() < deadline and len(arrived) < len(wanted):
        for at, rcpts, _ in sink.snapshot()[seen_before:]:
            for rcpt in rcpts:
                if rcpt in wanted and rcpt not in arrived:
                    arrived[rcpt] = at
        time.sleep(0.2)
    latencies = [arrived[e] - s.sent_at for e, s in wanted.items() if e in arrived]
    posts = [s.answered_at - s.sent_at for s in submissions if s.status is not None]
    errors = sum(1 for s in submissions if s.status != 201) + len(wanted) - len(arrived)
    p99 = percentile(latencies, 0.99) if len(latencies) == len(submissions) else float("inf")
    step = {"rate_per_s": rate, "submissions": len(submissions), "errors": errors,
            "mails": len(arrived), "p50_s": round(percentile(latencies, 0.5), 3),
            "p99_s": round(p99, 3) if p99 != float("inf") else None,
            "max_s": round(max(latencies), 3) if latencies else None,
            "post_p50_s": round(percentile(posts, 0.5), 4),
            "post_p99_s": round(percentile(posts, 0.99), 4),
            "mean_s": round(statistics.fmean(latencies), 3) if latencies else None}
    step["sustained"] = errors == 0 and p99 <= TARGET_P99
    if stack:
        step["cpu_ms_per_submission"] = per_submission(cpu_before, cpu_seconds(stack),
                                                       len(submissions))
    return step, count


def main() -> int:
    from tests.chaos.harness import SmtpSink, Stack, handler_queues
    from tests.chaos import load
    from tests.support import infrastructure as infra

    tag = uuid.uuid4().hex[:8]
    names = {s: f"bench_system_{tag}_{s}" for s in ("registry", "enrolment", "scheduling",
                                                    "notify")}
    databases = {s: infra.create_database(POSTGRES_URL, n) for s, n in names.items()}
    prefix = f"benchsys{tag}."
    folder = Path(tempfile.mkdtemp(prefix="bench-system-"))
    needed = sum(max(1, int(r * STEP_SECONDS)) for r in RATES)
    steps, stack = [], None
    try:
        with SmtpSink(parse=False) as sink:
            stack = Stack(AMQP_URL, databases, f"{prefix}events", f"{prefix}dead", prefix, folder,
                          extra_env={"SMTP_URL": sink.url, **BATCHING}, broker_proxy=False)
            stack.start()
            started = time.monotonic()
            codes = load.seed_bodies(stack.port, needed, tag)
            assert load.wait_for_replica(stack.port, codes[-1], timeout=300), "replica not fed"
            print(f"seeded {needed} bodies in {time.monotonic() - started:.1f}s", file=sys.stderr)
            offset = 0
            for rate in RATES:
                step, used = run_step(stack.port, sink, codes, tag, rate, offset, stack)
                offset += used
                steps.append(step)
                print(json.dumps(step), file=sys.stderr, flush=True)
                if not step["sustained"]:
                    break
    finally:
        if stack is not None:
            stack.stop()
        for name in names.values():
            infra.drop_database(POSTGRES_URL, name)
        queues = handler_queues(prefix)
        infra.delete_broker_objects(AMQP_URL, queues + [f"{q}.dead" for q in queues],
                                    [f"{prefix}events", f"{prefix}dead"])
    sustained = [s for s in steps if s["sustained"]]
    shown = sustained[-1] if sustained else steps[0]
    post_p99 = shown["post_p99_s"]
    result = {
        "rate_per_s": shown["rate_per_s"], "p50_s": shown["p50_s"], "p99_s": shown["p99_s"],
        "max_sustained_per_s": sustained[-1]["rate_per_s"] if sustained else 0,
        "target": "p99 < 1 s at 100/s",
        "target_met": any(s["rate_per_s"] >= 100 and s["sustained"] for s in steps),
        "baseline": "POST round trip at the same rate (answer only, no mail)",
        "post_p99_s": post_p99,
        "ratio_p99_to_post_p99": round(shown["p99_s"] / post_p99, 1)
        if shown["p99_s"] and post_p99 else None,
        "notify_sender_interval_s": float(os.environ.get("NOTIFY_SENDER_INTERVAL") or "1"),
        "batching": BATCHING,
        "step_seconds": STEP_SECONDS, "steps": steps, "cpus": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
