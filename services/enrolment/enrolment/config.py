"""The enrolment's own settings, read once from the environment
(beyond the variables every service shares: see the service README)."""
from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from coalizione_common.config import public_base_url, var_dir

log = logging.getLogger("coalizione.enrolment")


@dataclass(frozen=True)
class EnrolmentSettings:
    public_base_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    confirm_ttl_hours: float = 168.0
    rate_limit: int = 60
    rate_window: float = 60.0
    trust_proxy: bool = False
    resync_check: float = 15.0
    resync_interval: float = 600.0
    retention_check: float = 3600.0
    privacy_contact: str = ""
    dpo_contact: str = ""

    @classmethod
    def from_env(cls, database_url: str, environ: dict | None = None) -> "EnrolmentSettings":
        env = environ if environ is not None else os.environ
        count, _, window = (env.get("ENROLMENT_RATE_LIMIT") or "60/60").partition("/")
        return cls(
            public_base_url=public_base_url(env),
            secret_key=env.get("ENROLMENT_SECRET_KEY") or _secret_file(database_url, env),
            confirm_ttl_hours=float(env.get("ENROLMENT_CONFIRM_TTL_HOURS") or 168),
            rate_limit=int(count),
            rate_window=float(window or 60),
            trust_proxy=(env.get("ENROLMENT_TRUST_PROXY") or "").lower() in ("1", "true", "yes"),
            resync_check=float(env.get("ENROLMENT_RESYNC_CHECK_SECONDS") or 15),
            resync_interval=float(env.get("ENROLMENT_RESYNC_INTERVAL_SECONDS") or 600),
            retention_check=float(env.get("ENROLMENT_RETENTION_CHECK_SECONDS") or 3600),
            privacy_contact=(env.get("ENROLMENT_PRIVACY_CONTACT") or "").strip(),
            dpo_contact=(env.get("ENROLMENT_DPO_CONTACT") or "").strip(),
        )


def _secret_file(database_url: str, env) -> str:
    """Without ``ENROLMENT_SECRET_KEY``, a key kept next to the SQLite file
    (or under the var folder), created on first use; every process of a
    deployment must then share that folder, so set the variable there."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database).with_suffix(".secret")
    else:
        path = var_dir(env) / "enrolment.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        except FileExistsError:
            pass
    log.warning("ENROLMENT_SECRET_KEY is not set: using the key in %s; every web process "
                "and worker of a deployment must share one key", path)
    return path.read_text().strip()
