"""The audit log: every change to the bot's data and models, with who, when, before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from live_chat.store.models import Agent, AuditEntry


async def record(
    session: AsyncSession,
    actor: Agent | None,
    action: str,
    target: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Add one entry inside the caller's transaction, so it commits with the change itself.

    ``actor`` is ``None`` for the system (seeding, the command line); ``action``
    is one of the names listed in ``docs/admin.md``; ``before``/``after`` are
    JSON-safe snapshots of what changed.
    """
    session.add(AuditEntry(
        actor_id=actor.id if actor else None, actor_name=actor.name if actor else None,
        action=action, target=target[:200], before=before, after=after, reason=reason,
    ))


async def entries(
    session: AsyncSession, *, action: str | None = None, target: str | None = None,
    limit: int = 100, before_id: int | None = None,
) -> list[dict[str, Any]]:
    """The newest entries first, filtered by action and target; ``before_id`` pages back."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 500)))
    if action:
        query = query.where(AuditEntry.action == action)
    if target:
        query = query.where(AuditEntry.target == target)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows = (await session.scalars(query)).all()
    return [_entry_out(row) for row in rows]


def _entry_out(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "actor": {"id": row.actor_id, "name": row.actor_name} if row.actor_id else None,
        "action": row.action, "target": row.target, "before": row.before, "after": row.after,
        "reason": row.reason, "created_at": row.created_at.isoformat(),
    }
