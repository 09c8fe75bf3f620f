"""deploy/nginx/ run by a real nginx (with its njs module) in front of five
stand-in services (the four services and the console) on loopback ports: the routes of CONTRACT.md and the
aggregated /healthz and /readyz. Only the upstream addresses, the listen
port and file paths are rewritten for the test."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.standin import StandIn

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "deploy" / "nginx"
SERVICES = ("registry", "enrolment", "scheduling", "notify", "console")
MODULE_CANDIDATES = ("/usr/lib/nginx/modules/ngx_http_js_module.so",
                     "/etc/nginx/modules/ngx_http_js_module.so",
                     "/usr/lib64/nginx/modules/ngx_http_js_module.so")
INSTALL = "apt-get install -y nginx libnginx-mod-http-js (CI: .ci/run installs them)"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _nginx() -> tuple[str, str]:
    binary = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    module = next((p for p in MODULE_CANDIDATES if os.path.exists(p)), None)
    assert binary and module, f"nginx with the njs module is needed: {INSTALL}"
    return binary, module


def render(conf: str, module: str, listen: int, upstreams: dict[str, int], folder: Path) -> str:
    conf = conf.replace("load_module modules/ngx_http_js_module.so;", f"load_module {module};")
    conf = conf.replace("pid /tmp/nginx.pid;", f"pid {folder / 'nginx.pid'};")
    conf = conf.replace("listen 8080;", f"listen 127.0.0.1:{listen};")
    conf = conf.replace("js_import health from /etc/nginx/health.js;",
                        f"js_import health from {NGINX_DIR / 'health.js'};")
    conf = conf.replace("access_log /dev/stdout;", "access_log off;")
    if not Path("/etc/nginx/mime.types").exists():
        conf = conf.replace("include /etc/nginx/mime.types;", "")
    for service, port in upstreams.items():
        conf = conf.replace(f"{service}-web:8000;", f"127.0.0.1:{port};")
    assert "-web:8000" not in conf
    return conf


@pytest.fixture
def proxy(tmp_path):
    binary, module = _nginx()
    stand_ins = {name: StandIn(name) for name in SERVICES}
    listen = _free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(render((NGINX_DIR / "nginx.conf").read_text(), module, listen,
                           {n: s.port for n, s in stand_ins.items()}, tmp_path))
    for folder in ("logs", "client_body_temp", "proxy_temp", "fastcgi_temp", "uwsgi_temp",
                   "scgi_temp"):
        (tmp_path / folder).mkdir()
    check = subprocess.run([binary, "-t", "-p", str(tmp_path), "-c", str(conf)],
                           capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{listen}"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", listen), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.05)
    yield base, stand_ins
    process.terminate()
    process.wait(timeout=15)
    for stand_in in stand_ins.values():
        if stand_in.thread.is_alive():
            stand_in.stop()


def get(url: str, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"null")
        except ValueError:
            return exc.code, raw.decode("utf-8", "replace")


def test_each_prefix_goes_to_its_service_and_everything_else_to_enrolment(proxy):
    base, _ = proxy
    expected = {"/api/registry/v1/entities?q=forli": "registry",
                "/api/scheduling/v1/sessions": "scheduling",
                "/api/notify/v1/deliveries?adhesion_id=x": "notify",
                "/api/enrolment/v1/topics": "enrolment",
                "/api/console/v1/dead-letters": "console",
                "/ops": "console", "/ops/adesioni?q=forli": "console",
                "/verifica": "scheduling", "/verifica/ABCD-EFGH-JK23": "scheduling",
                "/opsx": "enrolment", "/verificax": "enrolment",
                "/": "enrolment", "/static/bootstrap-italia.min.css": "enrolment",
                "/adesioni/conferma?token=abc": "enrolment",
                "/api/registryx": "enrolment"}
    for path, service in expected.items():
        status, body = get(base + path)
        assert status == 200 and body["service"] == service and body["path"] == path, path


def test_request_ids_and_client_addresses_are_passed_on(proxy):
    base, _ = proxy
    _, body = get(base + "/api/notify/v1/deliveries", {"X-Request-ID": "req-42"})
    assert body["request_id"] == "req-42" and body["forwarded_for"] == "127.0.0.1"
    _, body = get(base + "/api/notify/v1/deliveries")
    assert body["request_id"] and len(body["request_id"]) == 32


def test_health_and_readiness_answer_for_the_whole(proxy):
    base, stand_ins = proxy
    for probe in ("healthz", "readyz"):
        status, body = get(f"{base}/{probe}")
        assert status == 200 and body["status"] == "ok" and set(body["services"]) == set(SERVICES)
    stand_ins["notify"].ready = False
    status, body = get(f"{base}/readyz")
    assert status == 503 and body["status"] == "unavailable"
    assert body["services"]["notify"]["status"] == "unavailable"
    assert body["services"]["registry"]["status"] == "ok"
    assert get(f"{base}/healthz")[0] == 200
    stand_ins["scheduling"].stop()
    status, body = get(f"{base}/healthz")
    assert status == 503 and body["services"]["scheduling"]["status"] == "unavailable"


def test_the_internal_health_locations_are_not_reachable_from_outside(proxy):
    base, _ = proxy
    status, _ = get(f"{base}/_health/registry/readyz")
    assert status == 404
