"""The audit log: who in the office saw or changed what, and when."""
from __future__ import annotations

from sqlalchemy import func, insert, select

from .adapters.orm import audit_log


def record(runtime, *, actor: str, role: str, action: str, target: str,
           detail: dict | None = None, request_id: str | None = None,
           client: str | None = None) -> None:
    with runtime.engine.begin() as conn:
        conn.execute(insert(audit_log).values(
            at=runtime.clock.now(), actor=actor, role=role, action=action,
            target=target[:300], detail=detail or {}, request_id=request_id,
            client=(client or "")[:64] or None))


def entries(runtime, *, actor: str = "", action: str = "", limit: int = 200,
            offset: int = 0) -> tuple[list[dict], int]:
    query = select(audit_log)
    counting = select(func.count()).select_from(audit_log)
    if actor:
        query = query.where(audit_log.c.actor == actor)
        counting = counting.where(audit_log.c.actor == actor)
    if action:
        query = query.where(audit_log.c.action == action)
        counting = counting.where(audit_log.c.action == action)
    with runtime.engine.connect() as conn:
        rows = conn.execute(query.order_by(audit_log.c.id.desc()).limit(limit)
                            .offset(offset)).mappings().all()
        total = conn.execute(counting).scalar_one()
    return [dict(r) for r in rows], total
