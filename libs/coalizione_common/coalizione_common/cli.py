"""The command line every service shares (``python -m <service> ...``);
services add their own subcommands through ``extra``."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

from . import logs
from .deadletters import list_dead_letters, replay_dead_letters
from .runtime import ServiceRuntime

Extra = Callable[[argparse._SubParsersAction], dict[str, Callable]]


def main(service: str, build_runtime: Callable[[], ServiceRuntime], argv=None,
         extra: Extra | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {service}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade this service's database to the newest schema")
    sub.add_parser("worker", help="run the outbox relay, the consumers and periodic jobs")
    dead = sub.add_parser("dead-letters", help="list or replay dead-lettered events")
    dead.add_argument("action", choices=["list", "replay"])
    dead.add_argument("--queue", help="handler queue (default: every queue of the service)")
    dead.add_argument("--id", dest="message_id", help="replay only the event with this id")
    dead.add_argument("--limit", type=int, default=1000)
    token = sub.add_parser("create-token", help="create an operations bearer token (shown once)")
    token.add_argument("--role", choices=["operator", "viewer"], required=True)
    token.add_argument("--label", default="")
    commands = extra(sub) if extra else {}
    args = parser.parse_args(argv)
    logs.configure(service)
    runtime = build_runtime()
    if args.command == "migrate":
        runtime.migrate()
        print(f"{service}: database at the newest schema")
        return 0
    if args.command == "worker":
        runtime.declare_queues()
        runtime.run_worker()
        return 0
    if args.command == "create-token":
        from .auth import create_token
        print(create_token(runtime, args.role, args.label))
        return 0
    if args.command == "dead-letters":
        queues = [args.queue] if args.queue else list(runtime.consumer().subscriptions)
        for queue in queues:
            if args.action == "list":
                letters = list_dead_letters(runtime.bus, queue, args.limit)
            else:
                letters = replay_dead_letters(runtime.bus, queue, args.message_id, args.limit)
            for letter in letters:
                print(json.dumps({"queue": queue, "action": args.action,
                                  "message_id": letter.message_id,
                                  "routing_key": letter.routing_key, "error": letter.error,
                                  "attempts": letter.attempts, "failed_at": letter.failed_at},
                                 ensure_ascii=False))
            print(f"{queue}: {len(letters)} dead letter(s) {'replayed' if args.action == 'replay' else 'listed'}",
                  file=sys.stderr)
        return 0
    return commands[args.command](runtime, args) or 0
