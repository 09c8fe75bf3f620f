"""The helper the containers run (deploy/container.py), on SQLite and the
in-memory bus, as a subprocess like Docker runs it."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "container.py"


def _run(*args, env=None):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=ROOT)


def _env(tmp_path, service):
    return {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / f'{service}.db'}", "AMQP_URL": "memory://",
            "COALIZIONE_VAR_DIR": str(tmp_path / "var"), "REGISTRY_SEED": "0"}


def test_prepare_migrates_and_the_worker_check_follows_the_broker(tmp_path):
    env = _env(tmp_path, "notify")
    result = _run("prepare", "notify", env=env)
    assert result.returncode == 0, result.stderr
    tables = sa.inspect(sa.create_engine(env["DATABASE_URL"])).get_table_names()
    assert {"outbox", "inbox", "alembic_version"} <= set(tables)
    check = _run("worker", "notify", env=env)
    assert check.returncode == 0, check.stderr
    env["AMQP_URL"] = "amqp://nobody:nothing@127.0.0.1:1//"
    check = _run("worker", "notify", env=env)
    assert check.returncode == 1 and "broker" in check.stderr


def test_the_http_check_follows_the_status():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/ok" else 503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        assert _run("http", f"{base}/ok").returncode == 0
        assert _run("http", f"{base}/down").returncode == 1
    finally:
        server.shutdown()
        server.server_close()


def test_unknown_commands_are_refused():
    assert _run("prepare", "nobody").returncode == 2


def test_the_console_is_prepared_with_its_first_account_and_has_no_worker(tmp_path):
    env = _env(tmp_path, "console") | {"CONSOLE_ADMIN_PASSWORD": "una-password-lunga"}
    result = _run("prepare", "console", env=env)
    assert result.returncode == 0, result.stderr
    with sa.create_engine(env["DATABASE_URL"]).connect() as conn:
        users = conn.execute(sa.text("SELECT username, role FROM users")).all()
    assert users == [("ufficio", "operator")]
    assert _run("worker", "console", env=env).returncode == 2


def test_every_gunicorn_entrypoint_hides_its_startup_heap_from_the_collector(tmp_path):
    """gc.freeze after the app is built (coalizione_common.http.freeze_startup_heap):
    a worker's full collections then skip the ~100,000 objects of startup."""
    env = _env(tmp_path, "any")
    code = ("import gc, importlib, sys; importlib.import_module(sys.argv[1] + '.wsgi'); "
            "print(gc.get_freeze_count())")
    for service in ("registry", "enrolment", "scheduling", "notify", "console"):
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / f'{service}.db'}"
        result = subprocess.run([sys.executable, "-c", code, service], capture_output=True,
                                text=True, timeout=120, env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert int(result.stdout.split()[-1]) > 10_000, (service, result.stdout)
