"""The console's settings, from the environment only."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from coalizione_common.config import var_dir


@dataclass(frozen=True)
class ConsoleConfig:
    api_url: str | None
    api_token: str | None
    api_viewer_token: str | None
    secret_key: str
    session_hours: float
    secure_cookies: bool
    admin_user: str
    admin_password: str | None
    trust_proxy: bool = False

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "ConsoleConfig":
        env = os.environ if environ is None else environ
        return cls(
            api_url=env.get("CONSOLE_API_URL") or None,
            api_token=env.get("CONSOLE_API_TOKEN") or env.get("COALIZIONE_OPERATOR_TOKEN") or None,
            api_viewer_token=(env.get("CONSOLE_API_VIEWER_TOKEN")
                              or env.get("COALIZIONE_VIEWER_TOKEN") or None),
            secret_key=env.get("CONSOLE_SECRET_KEY") or _local_secret(var_dir(env)),
            session_hours=float(env.get("CONSOLE_SESSION_HOURS") or 8),
            secure_cookies=(env.get("CONSOLE_SECURE_COOKIES") or "0").strip() == "1",
            admin_user=(env.get("CONSOLE_ADMIN_USER") or "ufficio").strip().lower(),
            admin_password=env.get("CONSOLE_ADMIN_PASSWORD") or None,
            trust_proxy=(env.get("CONSOLE_TRUST_PROXY") or "").strip().lower() in ("1", "true"),
        )


def _local_secret(directory: Path) -> str:
    """Without ``CONSOLE_SECRET_KEY`` (a laptop, a demo) the session key is
    made once and kept under var/, so a restart does not log everyone out."""
    path = directory / "console-secret.key"
    if path.exists():
        return path.read_text().strip()
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
