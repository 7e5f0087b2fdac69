"""The delivery log an admin reads, and the replay of a delivery.

A delivery is ``pending`` (not yet delivered, still to be tried),
``delivered`` or ``failed`` (no attempts left). A replay posts the same body
again as a new delivery (``replay_of`` names the original), whatever the
original's outcome; the log keeps both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from live_chat.admin import audit
from live_chat.errors import InvalidPayload, NotFound
from live_chat.store.models import Agent, WebhookDelivery, WebhookSubscription, utcnow
from live_chat.store.repository import Store

STATUSES = ("pending", "delivered", "failed")
D = WebhookDelivery


def status_of(row: WebhookDelivery) -> str:
    if row.delivered_at is not None:
        return "delivered"
    return "failed" if row.failed_at is not None else "pending"


def delivery_out(row: WebhookDelivery, *, with_body: bool = False) -> dict[str, Any]:
    """One delivery as the API shows it (``with_body``: also what was posted)."""
    when = {name: (value.isoformat() if value else None) for name, value in (
        ("created_at", row.created_at), ("next_attempt_at", row.next_attempt_at),
        ("delivered_at", row.delivered_at), ("failed_at", row.failed_at))}
    out = {"id": row.id, "subscription_id": row.subscription_id, "event": row.event,
           "event_id": row.event_id, "conversation_id": row.conversation_id,
           "status": status_of(row), "attempts": row.attempts, "status_code": row.status_code,
           "last_error": row.last_error, "replay_of": row.replay_of, **when}
    if with_body:
        out["body"] = row.body
    return out


class DeliveryLog:
    """Reads the log and replays deliveries; ``wake`` tells the local worker of new work."""

    def __init__(self, store: Store, wake: Callable[[], None]) -> None:
        self.store = store
        self._wake = wake

    async def listing(self, *, subscription_id: str | None = None, status: str | None = None,
                      event: str | None = None, limit: int = 50,
                      before_id: int | None = None) -> list[dict[str, Any]]:
        """Newest first; ``before_id`` pages back."""
        query = select(D).order_by(D.id.desc()).limit(max(1, min(limit, 200)))
        if subscription_id:
            query = query.where(D.subscription_id == subscription_id)
        if event:
            query = query.where(D.event == event)
        if before_id is not None:
            query = query.where(D.id < before_id)
        if status == "delivered":
            query = query.where(D.delivered_at.is_not(None))
        elif status == "failed":
            query = query.where(D.failed_at.is_not(None))
        elif status == "pending":
            query = query.where(D.delivered_at.is_(None), D.failed_at.is_(None))
        elif status is not None:
            raise InvalidPayload(f"status is one of {', '.join(STATUSES)}")
        async with self.store.begin() as tx:
            rows = (await tx.session.scalars(query)).all()
        return [delivery_out(row) for row in rows]

    async def get(self, delivery_id: int) -> dict[str, Any]:
        async with self.store.begin() as tx:
            row = await tx.session.get(D, delivery_id)
        if row is None:
            raise NotFound(f"no delivery {delivery_id}")
        return delivery_out(row, with_body=True)

    async def replay(self, actor: Agent, delivery_id: int) -> dict[str, Any]:
        """A new delivery of the same body to the same subscription, due now."""
        async with self.store.begin() as tx:
            original = await tx.session.get(D, delivery_id)
            if original is None or await tx.session.get(
                    WebhookSubscription, original.subscription_id) is None:
                raise NotFound(f"no delivery {delivery_id}")
            now = utcnow()
            copy = D(subscription_id=original.subscription_id, event=original.event,
                     event_id=original.event_id, conversation_id=original.conversation_id,
                     body=original.body, attempts=0, next_attempt_at=now, created_at=now,
                     replay_of=original.id)
            tx.session.add(copy)
            await tx.session.flush()
            out = delivery_out(copy)
            await audit.record(tx.session, actor, "webhook.replay", str(original.id),
                               after={"delivery_id": copy.id})
        self._wake()
        return out
