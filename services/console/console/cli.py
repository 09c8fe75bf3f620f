"""The console's own commands for ``python -m console``."""
from __future__ import annotations

import getpass
import sys

from . import users


def commands(sub) -> dict:
    create = sub.add_parser("create-user", help="create an account of the programme office")
    create.add_argument("username")
    create.add_argument("--role", choices=["operator", "viewer"], required=True)
    create.add_argument("--name", default="", help="the name shown in the console")
    create.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input instead of asking")
    sub.add_parser("prepare", help="migrate, and create the first account from "
                                   "CONSOLE_ADMIN_USER/CONSOLE_ADMIN_PASSWORD when there is none")
    password = sub.add_parser("set-password", help="set a new password for an account")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    return {"create-user": create_user, "set-password": set_password, "prepare": prepare}


def prepare(runtime, args) -> int:
    from .bootstrap import prepare as prepare_console
    prepare_console(runtime)
    print("console: database ready")
    return 0


def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise users.AccountError("the two passwords differ")
    return first


def create_user(runtime, args) -> int:
    runtime.migrate()
    try:
        user = users.create_user(runtime, args.username, _password(args), args.role, args.name)
    except users.AccountError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    print(f"console: user {user.username} ({user.role}) created")
    return 0


def set_password(runtime, args) -> int:
    try:
        users.set_password(runtime, args.username, _password(args))
    except users.AccountError as exc:
        print(f"console: {exc}", file=sys.stderr)
        return 2
    print(f"console: password of {args.username} changed")
    return 0
