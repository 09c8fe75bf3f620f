"""The office's accounts: passwords stored as salted hashes (werkzeug's
scrypt), a lock after repeated failures, roles viewer and operator."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from coalizione_common.auth import ROLES
from coalizione_common.clock import as_utc

from .adapters.orm import users

MIN_PASSWORD = 12
MAX_FAILURES = 5
LOCK = timedelta(minutes=15)
_DUMMY_HASH = generate_password_hash("not a password")
REFUSED = ("Nome utente o password non corretti. Dopo 5 tentativi non riusciti l'accesso "
           "resta bloccato per 15 minuti.")


class AccountError(ValueError):
    """A user cannot be created or changed; the message says why (English,
    for the command line)."""


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: str
    sessions_valid_from: float | None = None  # a Unix time: sessions issued before are over

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


class LoginRefused(Exception):
    """A login failed; the message is Italian, for the form."""


def create_user(runtime, username: str, password: str, role: str,
                display_name: str = "") -> User:
    username = username.strip().lower()
    if not username or len(username) > 80 or not username.replace(".", "").replace(
            "-", "").replace("_", "").isalnum():
        raise AccountError("username: letters, digits, '.', '-' or '_', at most 80 characters")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    with runtime.engine.begin() as conn:
        if conn.execute(select(users.c.username).where(users.c.username == username)).first():
            raise AccountError(f"user {username!r} exists already")
        conn.execute(insert(users).values(
            username=username, display_name=display_name.strip() or username, role=role,
            password_hash=generate_password_hash(password), failed_logins=0,
            created_at=runtime.clock.now()))
    return User(username, display_name.strip() or username, role)


def set_password(runtime, username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password needs at least {MIN_PASSWORD} characters")
    with runtime.engine.begin() as conn:
        done = conn.execute(update(users).where(users.c.username == username.strip().lower())
                            .values(password_hash=generate_password_hash(password),
                                    failed_logins=0, locked_until=None,
                                    sessions_valid_from=datetime.now(timezone.utc))).rowcount
    if not done:
        raise AccountError(f"no user {username!r}")


def has_users(runtime) -> bool:
    with runtime.engine.connect() as conn:
        return conn.execute(select(users.c.username).limit(1)).first() is not None


def authenticate(runtime, username: str, password: str) -> User:
    """The user, or :class:`LoginRefused` with one message for every
    reason (unknown user, wrong password, locked account), so that the form
    tells nobody which accounts exist."""
    now = runtime.clock.now()
    refused = LoginRefused(REFUSED)
    with runtime.engine.connect() as conn:
        row = conn.execute(select(users).where(
            users.c.username == username.strip().lower())).mappings().first()
    if row is None or row["disabled_at"] is not None:
        check_password_hash(_DUMMY_HASH, password)  # the same cost either way
        raise refused
    if row["locked_until"] is not None and as_utc(row["locked_until"]) > now:
        raise refused
    if not check_password_hash(row["password_hash"], password):
        _count_failure(runtime, row["username"], now)
        raise refused
    with runtime.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == row["username"]).values(
            failed_logins=0, locked_until=None, last_login_at=now))
    return User(row["username"], row["display_name"], row["role"])


def _count_failure(runtime, username: str, now: datetime) -> None:
    """One more failure, counted in the database (parallel guesses each
    count); the fifth locks the account."""
    with runtime.engine.begin() as conn:
        failures = conn.execute(update(users).where(users.c.username == username)
                                .values(failed_logins=users.c.failed_logins + 1)
                                .returning(users.c.failed_logins)).scalar_one()
        if failures >= MAX_FAILURES:
            conn.execute(update(users).where(users.c.username == username)
                         .values(failed_logins=0, locked_until=now + LOCK))


def get_user(runtime, username: str) -> User | None:
    with runtime.engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username,
                                               users.c.disabled_at.is_(None))).mappings().first()
    if row is None:
        return None
    valid_from = row["sessions_valid_from"]
    return User(row["username"], row["display_name"], row["role"],
                as_utc(valid_from).timestamp() if valid_from else None)


def end_sessions(runtime, username: str) -> None:
    """End every session of the account, on every browser (wall-clock time,
    as sessions are stamped)."""
    with runtime.engine.begin() as conn:
        conn.execute(update(users).where(users.c.username == username)
                     .values(sessions_valid_from=datetime.now(timezone.utc)))
