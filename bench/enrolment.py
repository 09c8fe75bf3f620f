"""POST /api/enrolment/v1/adhesions under gunicorn, next to a bare
Flask + SQLAlchemy endpoint doing one insert, measured in the same run.

- service: the enrolment's web app under gunicorn, 2 workers as
  docker-compose.yml runs it (gunicorn's default sync workers,
  ``WEB_CONCURRENCY=2``, behind a buffering proxy; ``BENCH_ENROLMENT_THREADS=4``
  measures `make stack`'s 2 workers of 4 threads instead), on a fresh
  PostgreSQL database whose registry replica holds enough synthetic eligible
  bodies (inserted directly), with its worker relaying the outbox to RabbitMQ
  (isolated exchange names, deleted afterwards; the relay set for heavy
  intake, ``COALIZIONE_RELAY_LINGER=0.05`` unless the environment says
  otherwise). Every request is a valid
  adhesion for a body not yet enrolled: validation, the replica read, the
  adhesion, its people and two outbox rows in one transaction.
- baseline: a Flask app with one SQLAlchemy insert of the same JSON body
  into a one-table PostgreSQL database, under the same gunicorn settings.

Load: closed-loop clients (16, then 64) over loopback, a new connection per
request, each phase after a short warm-up. The two servers run side by side
and their phases alternate over ``BENCH_ENROLMENT_ROUNDS`` rounds (default
3; each figure is the median of the rounds), so a slow spell of the
machine falls on both; before each baseline phase the relay has published
everything the service phase wrote (its lag is reported), so the baseline
never shares the CPU with the service's work. Needs RabbitMQ and PostgreSQL
(AMQP_URL, POSTGRES_URL; defaults: the local ones). Prints its figures last
as one JSON line.

``BENCH_ENROLMENT_RELAY=0`` stops the worker before the load (a diagnosis
of the web tier alone: on a small machine the relay's share of the CPU
shows in the ratio).
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file is named like the service's package: keep bench/ off the path.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from tests.support.rawhttp import post_status  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
SECONDS = float(os.environ.get("BENCH_ENROLMENT_SECONDS", "5"))
ROUNDS = max(1, int(os.environ.get("BENCH_ENROLMENT_ROUNDS") or "3"))
WARMUP = float(os.environ.get("BENCH_ENROLMENT_WARMUP", "1.5"))
BODIES = int(os.environ.get("BENCH_ENROLMENT_BODIES", "60000"))
CLIENTS = (16, 64)
THREADS = os.environ.get("BENCH_ENROLMENT_THREADS", "1")  # 1: sync workers, as in compose
NOW = "2017-06-20T09:00:00+02:00"
# The relay set for a day of heavy intake (docs/backbone.md), as bench/system.py runs it.
RELAY_LINGER = os.environ.get("COALIZIONE_RELAY_LINGER") or "0.05"
BIN = Path(sys.executable).parent

BASELINE_APP = '''
import json, os, uuid
from flask import Flask, request
from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, insert

metadata = MetaData()
rows = Table("rows", metadata, Column("id", String(36), primary_key=True),
             Column("body", Text, nullable=False))
engine = create_engine(os.environ["BASELINE_DATABASE_URL"], pool_size=10, max_overflow=20,
                       pool_pre_ping=True)
app = Flask(__name__)


@app.post("/insert")
def insert_one():
    body = request.get_json()
    row_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(insert(rows).values(id=row_id, body=json.dumps(body)))
    return {"id": row_id}, 201, {"Location": f"/insert/{row_id}"}
'''


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database(name: str) -> str:
    import psycopg
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES_URL.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def drop_database(name: str) -> None:
    import psycopg
    with psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def adhesion(code: str) -> bytes:
    return json.dumps({
        "entity_code": code,
        "contact": {"name": "Maria Rossi", "role": "dirigente",
                    "email": f"referente.{code}@comune.example.it", "phone": "+39 0543 712111"},
        "participants": [{"name": f"Persona {i}", "role": ("amministratore", "dirigente",
                                                           "funzionario")[i % 3],
                          "email": f"p{i}.{code}@comune.example.it", "office": "Servizi sociali"}
                         for i in range(3)],
        "webinar_topics": ["accoglienza-integrata", "msna"],
        "privacy_notice_read": True,
    }).encode()


def prepare_enrolment(database_url: str, env: dict) -> None:
    from sqlalchemy import insert
    from coalizione_common.config import ServiceSettings
    from enrolment import bootstrap
    from enrolment.adapters.orm import entities
    runtime = bootstrap.build_runtime(ServiceSettings.from_env("enrolment", env))
    bootstrap.prepare(runtime)
    now = runtime.clock.now()
    with runtime.engine.begin() as conn:
        conn.execute(insert(entities), [
            {"code": f"B{i:06d}", "name": f"Comune sintetico {i}",
             "search_name": f"comune sintetico {i}", "kind": "comune", "province": "FC",
             "region": "Emilia-Romagna", "population": 10000 + i, "eligible": True,
             "eligibility_reason": "popolazione tra 5.000 e 150.000", "updated_at": now}
            for i in range(BODIES)])
    runtime.engine.dispose()


def start(args: list[str], env: dict, cwd: Path | None = None) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def gunicorn(app: str, port: int, env: dict, cwd: Path | None = None) -> subprocess.Popen:
    process = start([str(BIN / "gunicorn"), "--workers", "2", "--threads", THREADS,
                     "--bind", f"127.0.0.1:{port}",
                     "--backlog", "2048", "--log-level", "warning", app], env, cwd)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()[-2000:])
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn on {port} did not start")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def load(port: int, path: str, clients: int, seconds: float, bodies) -> dict:
    latencies, statuses = [], {}
    deadline = time.perf_counter() + seconds

    async def client():
        while time.perf_counter() < deadline:
            body = next(bodies)
            started = time.perf_counter()
            try:
                status = await post_status(port, path, body)
            except OSError:
                status = 0
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[status] = statuses.get(status, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    ok = sum(n for s, n in statuses.items() if s == 201)
    return {"rps": round(ok / elapsed, 1), "p50_ms": round(percentile(latencies, 50), 1),
            "p99_ms": round(percentile(latencies, 99), 1), "requests": len(latencies),
            "statuses": {str(k): v for k, v in sorted(statuses.items())}}


def phase(port: int, path: str, clients: int, bodies) -> dict:
    asyncio.run(load(port, path, clients, WARMUP, bodies))
    figures = asyncio.run(load(port, path, clients, SECONDS, bodies))
    print(f"  {path} {clients} clients: {figures}", file=sys.stderr)
    return figures


def unpublished(database_url: str) -> int:
    import psycopg
    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]


def wait_for_relay(database_url: str, timeout: float = 120.0) -> float:
    """Seconds until the relay has published every outbox row."""
    started = time.monotonic()
    while unpublished(database_url) and time.monotonic() - started < timeout:
        time.sleep(0.05)
    if unpublished(database_url):
        raise RuntimeError("the relay did not publish the outbox in time")
    return time.monotonic() - started


def median_of(rounds: list[dict]) -> dict:
    merged = {key: statistics.median(r[key] for r in rounds)
              for key in ("rps", "p50_ms", "p99_ms")}
    statuses: dict[str, int] = {}
    for r in rounds:
        for status, n in r["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    return dict(merged, statuses=statuses, rounds=[r["rps"] for r in rounds])


def delete_exchanges(env: dict, queues: list[str]) -> None:
    from tests.support.infrastructure import delete_broker_objects
    delete_broker_objects(AMQP_URL, queues,
                          [env["COALIZIONE_EXCHANGE"], env["COALIZIONE_DEAD_EXCHANGE"]])


def main() -> int:
    tag = f"bench{uuid.uuid4().hex[:8]}"
    service_db, baseline_db = f"{tag}_enrolment", f"{tag}_baseline"
    processes = []
    relay_lag = 0.0
    env = dict(os.environ)
    env.update({"AMQP_URL": AMQP_URL, "COALIZIONE_NOW": NOW, "ENROLMENT_RATE_LIMIT": "0",
                "ENROLMENT_SECRET_KEY": uuid.uuid4().hex, "LOG_LEVEL": "WARNING",
                "COALIZIONE_EXCHANGE": f"{tag}.events", "COALIZIONE_DEAD_EXCHANGE": f"{tag}.dead",
                "COALIZIONE_QUEUE_PREFIX": f"{tag}.", "ENROLMENT_RESYNC_CHECK_SECONDS": "3600",
                "COALIZIONE_RELAY_LINGER": RELAY_LINGER})
    queues = [f"{tag}.enrolment.entities", f"{tag}.enrolment.entities.dead"]
    try:
        env["ENROLMENT_DATABASE_URL"] = create_database(service_db)
        env["BASELINE_DATABASE_URL"] = create_database(baseline_db)
        prepare_enrolment(env["ENROLMENT_DATABASE_URL"], env)
        from sqlalchemy import create_engine
        engine = create_engine(env["BASELINE_DATABASE_URL"])
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE rows (id VARCHAR(36) PRIMARY KEY, body TEXT NOT NULL)")
        engine.dispose()

        worker = start([str(BIN / "python"), "-m", "enrolment", "worker"], env)
        relay_running = os.environ.get("BENCH_ENROLMENT_RELAY", "1") != "0"
        if not relay_running:  # diagnosis: web tier alone
            stop(worker)
        processes.append(worker)
        service_port = free_port()
        processes.append(gunicorn("enrolment.wsgi:app", service_port, env))
        folder = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
        (folder / "baseline_app.py").write_text(BASELINE_APP)
        baseline_port = free_port()
        processes.append(gunicorn("baseline_app:app", baseline_port, env, cwd=folder))
        codes = (adhesion(f"B{i:06d}") for i in range(BODIES))
        same = adhesion("B000000")
        print(f"enrolment: {BODIES} synthetic bodies; {ROUNDS} rounds of {SECONDS}s phases",
              file=sys.stderr)
        service_rounds = {c: [] for c in CLIENTS}
        baseline_rounds = {c: [] for c in CLIENTS}
        for _ in range(ROUNDS):
            for clients in CLIENTS:
                service_rounds[clients].append(
                    phase(service_port, "/api/enrolment/v1/adhesions", clients, codes))
                if relay_running:
                    relay_lag = max(relay_lag, wait_for_relay(env["ENROLMENT_DATABASE_URL"]))
                baseline_rounds[clients].append(
                    phase(baseline_port, "/insert", clients, iter(lambda: same, None)))
        service_figures = {c: median_of(r) for c, r in service_rounds.items()}
        baseline_figures = {c: median_of(r) for c, r in baseline_rounds.items()}
    finally:
        for process in processes:
            stop(process)
        for name in (service_db, baseline_db):
            try:
                drop_database(name)
            except Exception as exc:
                print(f"could not drop {name}: {exc}", file=sys.stderr)
        try:
            delete_exchanges(env, queues)
        except Exception as exc:
            print(f"could not delete broker objects: {exc}", file=sys.stderr)

    s16, s64 = service_figures[16], service_figures[64]
    b16, b64 = baseline_figures[16], baseline_figures[64]
    result = {
        "bench": "enrolment",
        "gunicorn": "2 sync workers" if THREADS == "1" else f"2 workers x {THREADS} threads",
        "relay_running": os.environ.get("BENCH_ENROLMENT_RELAY", "1") != "0",
        "relay_linger_s": float(RELAY_LINGER),
        "relay_lag_s": round(relay_lag, 2), "rounds": ROUNDS, "phase_seconds": SECONDS,
        "cpus": os.cpu_count(),
        "rps_16": s16["rps"], "p50_ms_16": s16["p50_ms"], "p99_ms_16": s16["p99_ms"],
        "rps_64": s64["rps"], "p50_ms_64": s64["p50_ms"], "p99_ms_64": s64["p99_ms"],
        "baseline_rps_16": b16["rps"], "baseline_p99_ms_16": b16["p99_ms"],
        "baseline_rps_64": b64["rps"], "baseline_p99_ms_64": b64["p99_ms"],
        "ratio": round(s64["rps"] / b64["rps"], 3) if b64["rps"] else None,
        "statuses_64": s64["statuses"], "baseline_statuses_64": b64["statuses"],
        "rps_64_rounds": s64["rounds"], "baseline_rps_64_rounds": b64["rounds"],
        "target_ratio": 0.5, "target_p99_ms_64": 150,
    }
    result["meets_targets"] = bool(result["ratio"] and result["ratio"] >= 0.5
                                   and s64["p99_ms"] < 150)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
