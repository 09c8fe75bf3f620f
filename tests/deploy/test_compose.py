"""docker-compose.yml checked without a Docker engine: the compose tools'
own validation, then what the platform needs of it."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from deploy import brokerdefs
from tests.deploy.compose import (COMPOSE_FILE, CONSOLE, DATABASE_TEMPLATE, ROOT, SERVICES, compose,
                                  environment, interpolated, service_code, services,
                                  variables_of)

APP_CONTAINERS = {f"{svc}-{role}" for svc in SERVICES for role in ("migrate", "web", "worker")
                  } | {f"{CONSOLE}-migrate", f"{CONSOLE}-web"}
THIRD_PARTY = {"rabbitmq": "rabbitmq:3.10-management", "postgres": "postgres:15",
               "mailpit": "axllent/mailpit:", "proxy": "nginx:"}


def _clean_env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}


def test_docker_compose_accepts_the_file(tmp_path):
    tool = shutil.which("docker-compose")
    assert tool, ("docker-compose is not installed: `apt-get install -y docker-compose` "
                  "(CI: .ci/run installs it)")
    empty = tmp_path / "empty.env"
    empty.write_text("")
    for env_file in (empty, ROOT / ".env.example"):
        result = subprocess.run([tool, "--env-file", str(env_file), "-f", str(COMPOSE_FILE),
                                 "config", "-q"], cwd=ROOT, env=_clean_env(tmp_path),
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"with {env_file.name}: {result.stderr}"


def test_the_file_follows_the_compose_specification(tmp_path):
    result = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                             "vendor.compose-spec", str(COMPOSE_FILE)],
                            capture_output=True, text=True, timeout=120, env={
                                **_clean_env(tmp_path), "PYTHONPATH": ""})
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_has_a_healthcheck():
    for name, service in services().items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name


def test_every_built_image_comes_from_a_dockerfile_in_the_repository():
    built = {name for name, s in services().items() if "build" in s}
    assert built == APP_CONTAINERS
    for name in built:
        build = services()[name]["build"]
        context = (ROOT / build.get("context", ".")).resolve()
        dockerfile = (context / build.get("dockerfile", "Dockerfile")).resolve()
        assert dockerfile.is_file() and ROOT in dockerfile.parents, name
    for name, prefix in THIRD_PARTY.items():
        image = services()[name]["image"]
        assert image.startswith(prefix) and not image.endswith(":latest"), image
    assert set(services()) == APP_CONTAINERS | set(THIRD_PARTY)


def test_the_image_is_multi_stage_slim_and_runs_as_a_user():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert len(stages) >= 2
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim", text, re.M)
    user = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert user and not user[-1].startswith(("root", "0"))
    makefile = (ROOT / "Makefile").read_text()
    packages = re.search(r"^PACKAGES\s*:=\s*(.+)$", makefile, re.M).group(1)
    services_ = re.search(r"^SERVICES\s*:=\s*(.+)$", makefile, re.M).group(1).split()
    expected = [p for p in packages.replace("$(addprefix services/,$(SERVICES))",
                                            " ".join(f"services/{s}" for s in services_)).split()]
    installed = re.findall(r"-e (\S+)", text)
    assert sorted(installed) == sorted(expected), "the image installs what the Makefile installs"
    assert "pip install -r requirements.txt" in text and "COPY --from=build /src /src" in text
    ignored = (ROOT / ".dockerignore").read_text()
    assert "!deploy/container.py" in ignored and "COPY deploy/container.py" in text


def test_scaling_works_no_container_names_and_no_fixed_ports_on_app_containers():
    for name, service in services().items():
        assert "container_name" not in service, name
    for name in APP_CONTAINERS:
        assert "ports" not in services()[name], name
    for name in ("rabbitmq", "postgres"):
        for port in services()[name].get("ports", []):
            assert str(port).startswith("127.0.0.1::"), f"{name} fixes a host port: {port}"


def test_dependencies_wait_for_health_or_completion():
    for name, service in services().items():
        depends = service.get("depends_on") or {}
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        for target, rule in depends.items():
            assert target in services(), f"{name} depends on unknown {target}"
            expected = ("service_completed_successfully" if target.endswith("-migrate")
                        else "service_healthy")
            assert rule.get("condition") == expected, f"{name} -> {target}"
    for svc in SERVICES:
        for role in ("web", "worker"):
            assert set(services()[f"{svc}-{role}"]["depends_on"]) >= {
                "rabbitmq", "postgres", f"{svc}-migrate"}


def test_volumes_are_named_and_declared():
    declared = set(compose().get("volumes") or {})
    used = set()
    for name, service in services().items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":", 1)[0]
            if not source.startswith((".", "/", "$")):
                used.add(source)
    assert used == declared and {"rabbitmq-data", "postgres-data"} <= declared


def test_every_variable_the_code_reads_is_set_for_the_containers_that_run_it():
    missing = []
    for name, container in services().items():
        svc = service_code(container)
        if name in APP_CONTAINERS:
            assert svc and name.startswith(svc), f"cannot tell which service {name} runs"
        if svc is None:
            continue
        env = environment(container)
        for variable, modules in sorted(variables_of(svc).items()):
            if variable == DATABASE_TEMPLATE:
                ok = "DATABASE_URL" in env or f"{svc.upper()}_DATABASE_URL" in env
            else:
                ok = variable in env
            if not ok:
                missing.append(f"{name}: {variable} (read in {', '.join(modules)})")
    assert not missing, "set these in docker-compose.yml (and .env.example):\n" + "\n".join(missing)


def test_the_scan_finds_the_variables_of_the_contract():
    found = set(variables_of("enrolment"))
    assert {"AMQP_URL", "DATABASE_URL", DATABASE_TEMPLATE, "SMTP_URL", "COALIZIONE_NOW",
            "COALIZIONE_OPERATOR_TOKEN", "LOG_LEVEL"} <= found


def test_no_secret_is_written_in_the_file():
    for name, container in services().items():
        for key, value in environment(container).items():
            if re.search(r"PASSWORD|SECRET|TOKEN|KEY", key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:?[-?][^}]*)?\}", value), f"{name}: {key}"
            parts = urlsplit(value) if "://" in value else None
            if parts and parts.password is not None:
                assert parts.password.startswith("${"), f"{name}: {key} carries a password"


def test_env_example_documents_every_variable_with_the_same_defaults():
    text = COMPOSE_FILE.read_text()
    example = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    for variable, default in interpolated(text).items():
        assert variable in example, f"{variable} is not in .env.example"
        if default is not None:
            assert example[variable] == default, f"{variable}: {example[variable]!r} != {default!r}"


def test_the_broker_passwords_match_the_committed_definitions():
    definitions = json.loads((ROOT / "deploy/rabbitmq/definitions.json").read_text())
    hashes = {u["name"]: u["password_hash"] for u in definitions["users"]}
    defaults = interpolated(COMPOSE_FILE.read_text())
    for user, variable in brokerdefs.PASSWORD_VARIABLES.items():
        password = defaults.get(variable) or brokerdefs.DEV_PASSWORDS[user]
        assert password == brokerdefs.DEV_PASSWORDS[user]
        assert brokerdefs.check_password(password, hashes[user]), user


def test_each_service_uses_its_own_broker_user_and_database():
    for svc in SERVICES:
        for role in ("migrate", "web", "worker"):
            env = environment(services()[f"{svc}-{role}"])
            amqp = urlsplit(env["AMQP_URL"])
            assert amqp.username == svc and amqp.path == f"/{brokerdefs.VHOST}"
            assert amqp.hostname == "rabbitmq"
            database = urlsplit(env["DATABASE_URL"])
            assert database.scheme == "postgresql+psycopg" and database.username == svc
            assert database.hostname == "postgres" and database.path == f"/coalizione_{svc}"
            assert env["SMTP_URL"].startswith("${SMTP_URL:-smtp://mailpit:1025")


def test_rabbitmq_loads_the_definitions_it_is_given():
    rabbit = services()["rabbitmq"]
    conf = (ROOT / "deploy/rabbitmq/rabbitmq.conf").read_text()
    target = re.search(r"^load_definitions\s*=\s*(\S+)", conf, re.M).group(1)
    mounts = {str(v).split(":")[-2] if str(v).endswith(":ro") else str(v).split(":")[-1]
              for v in rabbit["volumes"]}
    assert target in mounts and "/etc/rabbitmq/conf.d/20-coalizione.conf" in mounts
    assert "./deploy/rabbitmq/definitions.json" in " ".join(rabbit["volumes"])


def test_the_committed_definitions_are_what_brokerdefs_renders():
    committed = json.loads((ROOT / "deploy/rabbitmq/definitions.json").read_text())
    rendered = brokerdefs.render(brokerdefs.DEV_PASSWORDS)
    strip = lambda doc: {**doc, "users": [{k: v for k, v in u.items() if k != "password_hash"}
                                          for u in doc["users"]]}
    assert strip(committed) == strip(rendered)


def test_postgres_runs_the_init_script_once_per_volume():
    pg = services()["postgres"]
    assert any(str(v).startswith("./deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/")
               for v in pg["volumes"])
    assert environment(pg)["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:-postgres}"
    for svc in (*SERVICES, CONSOLE):
        assert f"{svc.upper()}_DB_PASSWORD" in environment(pg)
    assert os.access(ROOT / "deploy/postgres/init-databases.sh", os.X_OK)


def test_the_proxy_routes_the_contract_prefixes_to_their_services():
    conf = (ROOT / "deploy/nginx/nginx.conf").read_text()
    upstreams = dict(re.findall(r"set \$(\w+)\s+([\w-]+):8000;", conf))
    assert upstreams == {svc: f"{svc}-web" for svc in (*SERVICES, CONSOLE)}
    routes = dict(re.findall(r"location\s+(=\s+/\S*|/\S*)\s+\{\s*proxy_pass http://\$(\w+);",
                             conf))
    assert routes == {"/api/registry/": "registry", "/api/scheduling/": "scheduling",
                      "/api/notify/": "notify", "/api/console/": "console", "/ops/": "console",
                      "= /ops": "console", "/verifica/": "scheduling", "= /verifica": "scheduling",
                      "/": "enrolment"}
    assert "location = /healthz" in conf and "location = /readyz" in conf
    proxy = services()["proxy"]
    mounted = " ".join(proxy["volumes"])
    assert "./deploy/nginx/nginx.conf:/etc/nginx/nginx.conf" in mounted
    assert "./deploy/nginx/health.js:/etc/nginx/health.js" in mounted
    assert set(proxy["depends_on"]) == {f"{svc}-web" for svc in (*SERVICES, CONSOLE)}


def test_the_web_healthchecks_ask_each_service_its_readiness():
    console = services()[f"{CONSOLE}-web"]["healthcheck"]["test"]
    assert console[-1] == f"http://127.0.0.1:8000/api/{CONSOLE}/v1/readyz"
    assert set(services()[f"{CONSOLE}-web"]["depends_on"]) == {"postgres", f"{CONSOLE}-migrate"}
    for svc in SERVICES:
        test = services()[f"{svc}-web"]["healthcheck"]["test"]
        assert test[-1] == f"http://127.0.0.1:8000/api/{svc}/v1/readyz"
        assert services()[f"{svc}-worker"]["healthcheck"]["test"][-2:] == ["worker", svc]


def test_a_national_plan_has_time_to_be_computed_behind_the_proxy():
    """Proposing or publishing a plan runs inside the request (25-70 s for
    the whole country): neither gunicorn nor nginx may give up first."""
    from coalizione_embedded.stack import GUNICORN_TIMEOUT
    command = services()["scheduling-web"]["command"]
    timeout = int(command[command.index("--timeout") + 1])
    assert timeout == GUNICORN_TIMEOUT["scheduling"] >= 120
    conf = (ROOT / "deploy/nginx/nginx.conf").read_text()
    read = re.search(r"location /api/scheduling/ \{[^}]*proxy_read_timeout (\d+)s;", conf)
    assert read and int(read.group(1)) > timeout
    body = int(re.search(r"client_max_body_size (\d+)m;", conf).group(1))
    from registry.api.ops import MAX_UPLOAD
    assert body * 1024 * 1024 > MAX_UPLOAD, "the registry's import must get through the proxy"
