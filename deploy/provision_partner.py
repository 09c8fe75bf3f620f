"""Provision a partner on the broker through the RabbitMQ management API and
print its credentials, once (only a hash is kept by RabbitMQ).

    python deploy/provision_partner.py acme
    python deploy/provision_partner.py acme --rotate      # new password, same grants
    python deploy/provision_partner.py acme --revoke      # delete the user and its queues

The administrator comes from ``RABBITMQ_MANAGEMENT_URL`` (default
``http://127.0.0.1:15672``), ``RABBITMQ_ADMIN_USER`` (default ``admin``) and
``RABBITMQ_ADMIN_PASSWORD``. The partner ``acme`` becomes the broker user
``partner-acme``: it may declare, bind and consume only queues named
``partner.acme.*`` and bind them to ``coalizione.events`` with any pattern
except the ``roster.*`` keys (deploy/brokerdefs.py).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import sys
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
import brokerdefs  # noqa: E402


class ManagementAPI:
    def __init__(self, url: str, user: str, password: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict | None = None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/api/{path}", data=data, method=method,
                                     headers={"Authorization": self.auth,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                raw = response.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and method == "GET":
                return None
            detail = exc.read().decode("utf-8", "replace")
            raise SystemExit(f"management API {method} /api/{path}: HTTP {exc.code} {detail}")
        except urllib.error.URLError as exc:
            raise SystemExit(f"management API at {self.url} unreachable: {exc.reason}")


def _q(value: str) -> str:
    return quote(value, safe="")


def provision(api: ManagementAPI, name: str, vhost: str, rotate: bool = False) -> dict:
    """Create (or, with ``rotate``, re-key) the partner's user and grants."""
    permissions, topic = brokerdefs.partner_permissions(name, vhost)
    user = permissions["user"]
    if api.request("GET", f"vhosts/{_q(vhost)}") is None:
        raise SystemExit(f"vhost {vhost!r} does not exist: load the definitions first")
    if api.request("GET", f"users/{_q(user)}") is not None and not rotate:
        raise SystemExit(f"{user} exists: use --rotate for a new password or --revoke")
    password = secrets.token_urlsafe(24)
    api.request("PUT", f"users/{_q(user)}", {"password": password, "tags": ""})
    api.request("PUT", f"permissions/{_q(vhost)}/{_q(user)}",
                {k: permissions[k] for k in ("configure", "write", "read")})
    api.request("PUT", f"topic-permissions/{_q(vhost)}/{_q(user)}",
                {k: topic[k] for k in ("exchange", "write", "read")})
    return {"partner": name, "user": user, "password": password, "vhost": vhost,
            "exchange": brokerdefs.EVENTS_EXCHANGE, "queue_prefix": f"partner.{name}.",
            "may_bind": "any pattern on coalizione.events whose first word is not roster",
            "example_queue": f"partner.{name}.adhesions"}


def revoke(api: ManagementAPI, name: str, vhost: str) -> dict:
    """Delete the partner's user and its queues: a queue nobody reads any
    more would fill up with every event it is bound to."""
    user = brokerdefs.partner_user(name)
    if api.request("GET", f"users/{_q(user)}") is None:
        raise SystemExit(f"{user} does not exist")
    api.request("DELETE", f"users/{_q(user)}")
    prefix = f"partner.{name}."
    queues = sorted(q["name"] for q in api.request("GET", f"queues/{_q(vhost)}") or []
                    if q["name"].startswith(prefix))
    for queue in queues:
        api.request("DELETE", f"queues/{_q(vhost)}/{_q(queue)}")
    return {"partner": name, "user": user, "revoked": True, "queues_deleted": queues}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="partner name: lower-case letters, digits, '-'")
    parser.add_argument("--vhost", default=os.environ.get("RABBITMQ_VHOST", brokerdefs.VHOST))
    parser.add_argument("--api", default=os.environ.get("RABBITMQ_MANAGEMENT_URL",
                                                        "http://127.0.0.1:15672"))
    parser.add_argument("--admin-user", default=os.environ.get("RABBITMQ_ADMIN_USER", "admin"))
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--rotate", action="store_true", help="give an existing partner a new password")
    action.add_argument("--revoke", action="store_true", help="delete the partner's user")
    args = parser.parse_args(argv)
    password = os.environ.get("RABBITMQ_ADMIN_PASSWORD")
    if not password:
        parser.error("set RABBITMQ_ADMIN_PASSWORD")
    try:
        brokerdefs.partner_permissions(args.name, args.vhost)
    except ValueError as exc:
        parser.error(str(exc))
    api = ManagementAPI(args.api, args.admin_user, password)
    result = revoke(api, args.name, args.vhost) if args.revoke else provision(
        api, args.name, args.vhost, args.rotate)
    print(json.dumps(result, indent=2))
    if not args.revoke:
        print("the password is shown only this once: hand it over now", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
