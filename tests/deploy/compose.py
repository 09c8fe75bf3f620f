"""Reading docker-compose.yml and the code the containers run, for the
static checks of the deployment."""
from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SERVICES = ("registry", "enrolment", "scheduling", "notify")
# Web only: no worker, no broker (it calls the services' HTTP APIs).
CONSOLE = "console"
LIBRARY = ROOT / "libs" / "coalizione_common" / "coalizione_common"

# Keys of a WSGI environ: read from a request, not from the process environment.
WSGI_KEYS = {"REMOTE_ADDR", "REMOTE_HOST", "REMOTE_USER", "PATH_INFO", "SCRIPT_NAME",
             "REQUEST_METHOD", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_NAME",
             "SERVER_PORT", "SERVER_PROTOCOL", "REQUEST_URI", "RAW_URI"}
DATABASE_TEMPLATE = "<SERVICE>_DATABASE_URL"
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


@lru_cache(maxsize=1)
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def services() -> dict[str, dict]:
    return compose()["services"]


def service_code(container: dict) -> str | None:
    """Which coalizione service a container runs, from its command."""
    command = container.get("command") or []
    if isinstance(command, str):
        command = command.split()
    for word in command:
        match = re.fullmatch(r"(\w+)\.wsgi:app", word)
        if match and match.group(1) in (*SERVICES, CONSOLE):
            return match.group(1)
    for first, second in zip(command, command[1:]):
        if first in ("-m", "prepare", "worker") and second in (*SERVICES, CONSOLE):
            return second
    return None


def environment(container: dict) -> dict[str, str]:
    env = container.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _is_environment(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in ("env", "environ", "environment")
    if isinstance(node, ast.Attribute):
        return node.attr == "environ" and isinstance(node.value, ast.Name) and node.value.id == "os"
    if isinstance(node, ast.IfExp):
        return _is_environment(node.body) or _is_environment(node.orelse)
    return False


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and _NAME.match(node.value):
        return node.value
    if isinstance(node, ast.JoinedStr):
        tail = node.values[-1] if node.values else None
        if isinstance(tail, ast.Constant) and str(tail.value).endswith("_DATABASE_URL"):
            return DATABASE_TEMPLATE
    return None


def _readers(tree: ast.AST) -> dict[str, int]:
    """Functions that read the variable named by one of their parameters
    (``def number(name, default): env.get(name)``): name -> its position."""
    readers = {}
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = [a.arg for a in func.args.args]
        for node in ast.walk(func):
            key = None
            if isinstance(node, ast.Subscript) and _is_environment(node.value):
                key = node.slice
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "get" and _is_environment(node.func.value) and node.args):
                key = node.args[0]
            if isinstance(key, ast.Name) and key.id in params:
                readers[func.name] = params.index(key.id)
    return readers


def variables_read(source: str) -> set[str]:
    """Environment variables a module reads: ``os.environ[...]``,
    ``env.get(...)``, ``os.getenv(...)``, helpers called with the
    environment and a variable name (``_float(env, "NAME", 3)``) and
    functions that read the variable their argument names."""
    found = set()
    tree = ast.parse(source)
    readers = _readers(tree)
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id in readers and len(node.args) > readers[node.func.id]):
            found.add(_name(node.args[readers[node.func.id]]))
        if isinstance(node, ast.Subscript) and _is_environment(node.value):
            found.add(_name(node.slice))
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "setdefault") \
                    and _is_environment(func.value) and node.args:
                found.add(_name(node.args[0]))
            elif isinstance(func, ast.Attribute) and func.attr == "getenv" and node.args:
                found.add(_name(node.args[0]))
            elif any(_is_environment(arg) for arg in node.args):
                found.update(_name(arg) for arg in node.args)
    return {n for n in found if n and n not in WSGI_KEYS and not n.startswith("HTTP_")}


def code_paths(service: str) -> list[Path]:
    roots = [LIBRARY, ROOT / "services" / service / service]
    return sorted(p for root in roots for p in root.rglob("*.py")
                  if "tests" not in p.relative_to(root).parts)


@lru_cache(maxsize=None)
def variables_of(service: str) -> dict[str, list[str]]:
    """Variable -> the modules (relative paths) of ``service``'s code that read it."""
    where: dict[str, list[str]] = {}
    for path in code_paths(service):
        for name in variables_read(path.read_text(encoding="utf-8")):
            where.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return where


def interpolated(text: str) -> dict[str, str | None]:
    """``${NAME}``, ``${NAME:-default}``, ``${NAME:?message}``: name -> default."""
    found = {}
    for match in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", text):
        name, op, rest = match.groups()
        found.setdefault(name, rest if op in (":-", "-") else None)
    return found
