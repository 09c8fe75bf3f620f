"""Registry typeahead latency: in-process and over HTTP through gunicorn,
next to a static JSON endpoint of the same app measured in the same run.

Seeds a temporary SQLite database with the bundled ISTAT data, draws 1,000
realistic prefixes (1-6 letters of a word of a real name, accents kept as
typed), times the in-memory search, then starts gunicorn (2 workers) on a
free loopback port and times GET /api/registry/v1/entities?q=... against
GET /api/registry/v1/healthz, interleaved, one new connection per request
for both. The last line is one JSON object with the figures.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This script is named like the service's package: keep bench/ off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
PREFIXES = 1000
TARGET_INPROC_P99_MS, TARGET_HTTP_P99_MS = 10.0, 25.0


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def draw_prefixes(names, rng, n=PREFIXES):
    prefixes = []
    while len(prefixes) < n:
        words = [w for w in names[rng.randrange(len(names))].replace("/", " ").split()
                 if w[:1].isalpha()]
        if not words:
            continue
        word = words[0] if rng.random() < 0.8 else rng.choice(words)
        prefixes.append(word[:rng.randint(1, 6)])
    return prefixes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return (time.perf_counter() - started) * 1000, response.status, body


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    env = {**os.environ, "REGISTRY_DATABASE_URL": f"sqlite:///{folder / 'registry.db'}",
           "AMQP_URL": "memory://", "LOG_LEVEL": "WARNING", "COALIZIONE_VAR_DIR": str(folder)}
    os.environ.update({k: env[k] for k in ("REGISTRY_DATABASE_URL", "AMQP_URL", "LOG_LEVEL")})
    server = None
    try:
        from registry.bootstrap import build_runtime, prepare
        started = time.perf_counter()
        runtime = build_runtime()
        prepare(runtime, {"REGISTRY_SEED": "1"})
        seeded_s = time.perf_counter() - started
        started = time.perf_counter()
        snapshot = runtime.search.snapshot()
        index_s = time.perf_counter() - started
        rng = random.Random(2017)
        prefixes = draw_prefixes([e.doc["name"] for e in snapshot.entries], rng)
        print(f"seeded {len(snapshot)} entities in {seeded_s:.1f}s, index built in {index_s:.2f}s")

        for q in prefixes[:100]:
            runtime.search.snapshot().search(q, limit=10)
        inproc = []
        for q in prefixes:
            t = time.perf_counter()
            items, _ = runtime.search.snapshot().search(q, limit=10)
            inproc.append((time.perf_counter() - t) * 1000)
        runtime.engine.dispose()

        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "registry.wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/api/registry/v1/healthz")[1] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)
        for q in prefixes[:60]:    # both workers build their index
            get(port, "/api/registry/v1/entities?" + urllib.parse.urlencode({"q": q, "limit": 10}))
        http_ms, static_ms = [], []
        for q in prefixes:
            ms, status, _ = get(port, "/api/registry/v1/healthz")
            assert status == 200
            static_ms.append(ms)
            ms, status, body = get(port, "/api/registry/v1/entities?"
                                   + urllib.parse.urlencode({"q": q, "limit": 10}))
            assert status == 200 and json.loads(body)["items"], (q, status)
            http_ms.append(ms)
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(folder, ignore_errors=True)

    figures = {
        "bench": "registry_typeahead", "entities": len(snapshot), "prefixes": len(prefixes),
        "inproc_p50_ms": round(percentile(inproc, 50), 3),
        "inproc_p99_ms": round(percentile(inproc, 99), 3),
        "http_p50_ms": round(percentile(http_ms, 50), 3),
        "http_p99_ms": round(percentile(http_ms, 99), 3),
        "static_http_p50_ms": round(percentile(static_ms, 50), 3),
        "static_http_p99_ms": round(percentile(static_ms, 99), 3),
    }
    figures["ratio_http_p99_to_static_http_p99"] = round(
        figures["http_p99_ms"] / figures["static_http_p99_ms"], 2)
    figures["targets_met"] = (figures["inproc_p99_ms"] < TARGET_INPROC_P99_MS
                              and figures["http_p99_ms"] < TARGET_HTTP_P99_MS)
    print(f"in-process p50 {figures['inproc_p50_ms']} ms, p99 {figures['inproc_p99_ms']} ms "
          f"(target < {TARGET_INPROC_P99_MS}); HTTP p99 {figures['http_p99_ms']} ms "
          f"(target < {TARGET_HTTP_P99_MS}), static p99 {figures['static_http_p99_ms']} ms")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
