"""Fan-out: each outbox row becomes one delivery per active subscription that wants it.

The outbox rows are read, turned into deliveries and deleted in one
transaction, so an event is fanned out exactly once even with several
processes: on PostgreSQL they take turns on an advisory lock
(:func:`take_turn`, which the delivery claim takes too), on SQLite the write
lock taken at ``BEGIN`` serialises them. Taking turns keeps the deliveries'
ids in the order of the events, which is the order they are posted in.
"""

from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from live_chat.store.models import WebhookDelivery, WebhookOutbox, WebhookSubscription, utcnow
from live_chat.store.repository import Store
from live_chat.webhooks.payloads import chat_body, occurrence, webhook_body

# Outbox rows fanned out per transaction (bounds how long SQLite's write lock is held).
BATCH = 200
# PostgreSQL advisory lock of the fan-out and the delivery claim ("tsuw").
_TURN_LOCK_ID = 0x74737577


async def take_turn(session: AsyncSession) -> None:
    """Wait for the other processes' fan-out or claim to commit (PostgreSQL; till the end of
    this transaction). Without it a claim's snapshot could miss another process's claim
    committing meanwhile and post a subscription's next delivery beside it."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _TURN_LOCK_ID})


async def fan_out(store: Store, base_url: str) -> int:
    """Turn up to :data:`BATCH` outbox rows into deliveries; how many rows were taken.

    ``base_url`` starts the console links in the bodies.
    """
    async with store.begin() as tx:
        await take_turn(tx.session)
        query = select(WebhookOutbox).order_by(WebhookOutbox.id).limit(BATCH)
        rows = (await tx.session.scalars(query)).all()
        if not rows:
            return 0
        subscriptions = (await tx.session.scalars(
            select(WebhookSubscription).where(WebhookSubscription.active.is_(True))
            .order_by(WebhookSubscription.created_at))).all()
        now = utcnow()
        for row in rows:
            wanting = [s for s in subscriptions if row.event in s.event_names]
            found = await occurrence(tx.session, row) if wanting else None
            if found is None:
                continue  # nobody wants it any more, or its record was forgotten
            for subscription in wanting:
                body = (webhook_body(found, base_url) if subscription.kind == "webhook"
                        else chat_body(subscription.kind, found, base_url))
                tx.session.add(WebhookDelivery(
                    subscription_id=subscription.id, event=found.event,
                    event_id=found.event_id, conversation_id=found.conversation.id,
                    body=body, attempts=0, next_attempt_at=now, created_at=now))
        await tx.session.execute(
            delete(WebhookOutbox).where(WebhookOutbox.id.in_([row.id for row in rows])))
    return len(rows)
