"""The broker's users and permissions in one place: what
deploy/rabbitmq/definitions.json holds, and what a partner is granted.

Run it to render the definitions::

    python deploy/brokerdefs.py                  # dev-only passwords (the committed file)
    python deploy/brokerdefs.py --from-env       # passwords from <SERVICE>_AMQP_PASSWORD,
                                                 # RABBITMQ_ADMIN_PASSWORD, DEMO_PARTNER_AMQP_PASSWORD

Permissions (RabbitMQ regexes; resource names, not routing keys):

* a service may configure, write and read its own queues ``<svc>.*``;
  it declares the two exchanges at start (the shared library declares them
  non-passively, which needs ``configure`` on them), publishes to
  ``coalizione.events`` and dead-letters to ``coalizione.dead``, and replays
  dead letters through the default exchange (``amq.default``);
* on ``coalizione.events`` its topic permission lets it publish only its own
  event families (plus ``registry.resync.requested``, which anyone may ask
  for) and bind only the families it may read: the personal data of
  ``roster.*`` only for the services that need it;
* a partner may declare, bind and read only queues ``partner.<name>.*``,
  read (bind to) ``coalizione.events`` with any pattern whose first word is a
  literal other than ``roster``, and write nothing else; a policy bounds its
  queues (:func:`partner_queue_policy`).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys

VHOST = "coalizione"
EVENTS_EXCHANGE = "coalizione.events"
DEAD_EXCHANGE = "coalizione.dead"
ADMIN_USER = "admin"
DEMO_PARTNER = "demo"

# service -> (event families it publishes, families it may bind to)
SERVICES = {
    "registry": (("registry",), "public"),
    "enrolment": (("adhesion", "roster"), "public"),
    # roster.certificate.*: certificates carry their verification code, so
    # they travel under a roster key that partners cannot bind
    "scheduling": (("session", "assignment", "roster.certificate"), "all"),
    "notify": (("notification",), "all"),
}

# Bindings whose first word is a literal other than "roster" (so neither
# "#", "*.updated" nor "roster.#" can be bound).
PUBLIC_BINDINGS = r"^(?!roster(\.|$))[A-Za-z0-9_-]+(\.|$)"
NOTHING = "^$"
PARTNER_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}$")

# Documented development passwords (README of deploy/, .env.example): the
# committed definitions carry only their salted hashes.
DEV_PASSWORDS = {**{svc: f"{svc}-dev-only" for svc in SERVICES},
                 ADMIN_USER: "admin-dev-only", f"partner-{DEMO_PARTNER}": "demo-partner-dev-only"}
PASSWORD_VARIABLES = {**{svc: f"{svc.upper()}_AMQP_PASSWORD" for svc in SERVICES},
                      ADMIN_USER: "RABBITMQ_ADMIN_PASSWORD",
                      f"partner-{DEMO_PARTNER}": "DEMO_PARTNER_AMQP_PASSWORD"}


def hash_password(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode()


def check_password(password: str, password_hash: str) -> bool:
    raw = base64.b64decode(password_hash)
    return hash_password(password, raw[:4]) == password_hash


def service_permissions(service: str, vhost: str = VHOST) -> tuple[dict, dict]:
    own = rf"{re.escape(service)}\..*"
    exchanges = r"coalizione\.(events|dead)"
    permissions = {"user": service, "vhost": vhost,
                   "configure": rf"^({own}|{exchanges})$",
                   "write": rf"^({own}|{exchanges}|amq\.default)$",
                   "read": rf"^({own}|{exchanges})$"}
    publishes, reads = SERVICES[service]
    families = "|".join(re.escape(f) for f in sorted(set(publishes)))
    topic = {"user": service, "vhost": vhost, "exchange": EVENTS_EXCHANGE,
             "write": rf"^(({families})\..+|registry\.resync\.requested)$",
             "read": ".*" if reads == "all" else PUBLIC_BINDINGS}
    return permissions, topic


def partner_user(name: str) -> str:
    return f"partner-{name}"


def partner_permissions(name: str, vhost: str = VHOST) -> tuple[dict, dict]:
    """What a partner called ``name`` is granted (see the module docstring)."""
    if not PARTNER_NAME.match(name):
        raise ValueError("a partner name is 2-31 lower-case letters, digits or '-', "
                         "starting with a letter")
    own = rf"partner\.{re.escape(name)}\..*"
    user = partner_user(name)
    permissions = {"user": user, "vhost": vhost, "configure": rf"^{own}$",
                   "write": rf"^{own}$", "read": rf"^({own}|coalizione\.events)$"}
    topic = {"user": user, "vhost": vhost, "exchange": EVENTS_EXCHANGE,
             "write": NOTHING, "read": PUBLIC_BINDINGS}
    return permissions, topic


PARTNER_QUEUE_LIMITS = {"max-length": 1_000_000, "overflow": "drop-head",
                        "message-ttl": 14 * 24 * 3600 * 1000}


def partner_queue_policy(vhost: str = VHOST) -> dict:
    """A partner's queue that nobody reads keeps at most a million events
    and none older than 14 days, dropping the oldest: it can neither fill
    the broker's disk nor block the platform's publishers (as reject-publish
    would)."""
    return {"vhost": vhost, "name": "partner-queues-bounded", "pattern": r"^partner\.",
            "apply-to": "queues", "priority": 0, "definition": dict(PARTNER_QUEUE_LIMITS)}


def render(passwords: dict[str, str], vhost: str = VHOST) -> dict:
    """The definitions document (RabbitMQ 3.10 format)."""
    def user(name, tags=()):
        return {"name": name, "password_hash": hash_password(passwords[name]),
                "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": list(tags),
                "limits": {}}

    users = [user(ADMIN_USER, ["administrator"])] + [user(s) for s in SERVICES]
    users.append(user(partner_user(DEMO_PARTNER)))
    permissions = [{"user": ADMIN_USER, "vhost": vhost, "configure": ".*", "write": ".*",
                    "read": ".*"}]
    topic_permissions = []
    for service in SERVICES:
        p, t = service_permissions(service, vhost)
        permissions.append(p)
        topic_permissions.append(t)
    p, t = partner_permissions(DEMO_PARTNER, vhost)
    permissions.append(p)
    topic_permissions.append(t)
    exchange = {"vhost": vhost, "durable": True, "auto_delete": False, "internal": False,
                "arguments": {}}
    return {
        "rabbit_version": "3.10.0",
        "rabbitmq_version": "3.10.0",
        "users": users,
        "vhosts": [{"name": vhost, "description": "coalizione: every service and partner",
                    "tags": [], "metadata": {"description": "coalizione", "tags": []}}],
        "permissions": permissions,
        "topic_permissions": topic_permissions,
        "parameters": [],
        "global_parameters": [],
        "policies": [partner_queue_policy(vhost)],
        "queues": [],
        "exchanges": [{"name": EVENTS_EXCHANGE, "type": "topic", **exchange},
                      {"name": DEAD_EXCHANGE, "type": "direct", **exchange}],
        "bindings": [],
    }


def passwords_from_env(environ=None) -> dict[str, str]:
    env = os.environ if environ is None else environ
    missing = [var for var in PASSWORD_VARIABLES.values() if not env.get(var)]
    if missing:
        raise SystemExit(f"set {', '.join(missing)} (see .env.example)")
    return {user: env[var] for user, var in PASSWORD_VARIABLES.items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from-env", action="store_true",
                        help="take the passwords from the environment, not the dev-only ones")
    parser.add_argument("--vhost", default=VHOST)
    args = parser.parse_args(argv)
    passwords = passwords_from_env() if args.from_env else DEV_PASSWORDS
    json.dump(render(passwords, args.vhost), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
