"""The delivery worker: fans the outbox out, posts due deliveries, retries with back-off.

Every gateway process runs one. A pass claims due deliveries by naming
itself in ``claimed_by`` and moving ``next_attempt_at`` past the longest a
pass may take (:attr:`DeliveryWorker.claim_s`): each delivery is posted by
one process, and one that dies mid-pass leaves its claims to be taken again
after that (at least once, which receivers handle with the event id).

A subscription's deliveries are posted one at a time, in the order of the
events, whichever process posts them: a delivery is claimed only while no
older one of its subscription is still pending and not due — being retried
later, or claimed by a pass (of any process) that has not finished with it.
On PostgreSQL the claims and the fan-out take turns on an advisory lock
(:func:`~live_chat.webhooks.outbox.take_turn`), so a claim always sees the
claims made before it; on SQLite the write lock taken at ``BEGIN`` does the
same. Subscriptions are served side by side, so a slow receiver delays only
its own. The pause after the n-th failed attempt is
``TSUNAGU_WEBHOOK_RETRY * 2^(n-1)`` (at most :data:`MAX_PAUSE_S`); after
``TSUNAGU_WEBHOOK_MAX_ATTEMPTS`` attempts a delivery is marked failed (an
admin may replay it) and its subscription's next deliveries go: a receiver
that never recovers does not hold the others back for ever.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.orm import aliased

from live_chat.background import passes
from live_chat.settings import Settings
from live_chat.store.models import WebhookDelivery, WebhookSubscription, utcnow
from live_chat.store.repository import Store
from live_chat.webhooks.outbox import fan_out, take_turn
from live_chat.webhooks.signing import HEADER, signature
from live_chat.webhooks.targets import PublicOnlyResolver, check_url

log = logging.getLogger(__name__)

# Deliveries claimed per pass.
BATCH = 50
# Added to the longest a pass's attempts may take to make a claim's length
# (the database writes between the attempts).
CLAIM_MARGIN_S = 60.0
# The longest pause between two attempts.
MAX_PAUSE_S = 6 * 3600.0
# Finished deliveries are kept in the log this long.
LOG_DAYS = 30
PRUNE_EVERY_S = 3600.0
# What is kept of a receiver's answer in last_error.
ERROR_CHARS = 300

D = WebhookDelivery
S = WebhookSubscription


class DeliveryWorker:
    """Posts the deliveries of ``store`` as ``settings`` say; ``base_url`` starts console links."""

    def __init__(self, store: Store, settings: Settings, base_url: str) -> None:
        self.store = store
        self.settings = settings
        self.base_url = base_url
        self.name = f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()
        self._http: aiohttp.ClientSession | None = None
        self._pruned_at = 0.0
        # A pass may post all of its claims to one subscription, one after the other,
        # each taking up to the timeout (at most 60 s: Settings); a claim must outlast
        # that, or another process would post them again while this one still does.
        self.claim_s = BATCH * settings.webhook_timeout_s + CLAIM_MARGIN_S

    def wake(self) -> None:
        """Look for work now (a replay, a new subscription) instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Pass after pass until cancelled: every ``TSUNAGU_WEBHOOK_POLL`` or when woken."""
        resolver = None if self.settings.webhook_allow_private else PublicOnlyResolver()
        connector = aiohttp.TCPConnector(resolver=resolver, limit=50)
        timeout = aiohttp.ClientTimeout(total=self.settings.webhook_timeout_s)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
            self._http = http
            await passes(self.run_pass, every_s=self.settings.webhook_poll_s, wake=self._wake,
                         name="webhook delivery")

    async def run_pass(self) -> None:
        """Fan out the whole outbox, then post what is due until nothing is."""
        while await fan_out(self.store, self.base_url):
            pass
        while await self.deliver_due():
            pass
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
            self._pruned_at = time.monotonic()
            await self.prune()

    async def deliver_due(self) -> int:
        """Claim up to :data:`BATCH` due deliveries and post them; how many were claimed."""
        async with self.store.begin() as tx:
            await take_turn(tx.session)
            now = utcnow()
            # An older delivery of the subscription, pending and not due: retried later
            # or claimed by a pass still at work. Its successors wait for it.
            older = aliased(D)
            held_back = exists().where(
                older.subscription_id == D.subscription_id, older.id < D.id,
                older.delivered_at.is_(None), older.failed_at.is_(None),
                older.next_attempt_at > now)
            query = (select(D.id).join(S, S.id == D.subscription_id)
                     .where(D.delivered_at.is_(None), D.failed_at.is_(None),
                            D.next_attempt_at <= now, S.active.is_(True), ~held_back)
                     .order_by(D.id).limit(BATCH))
            ids = list((await tx.session.scalars(query)).all())
            if not ids:
                return 0
            await tx.session.execute(
                update(D).where(D.id.in_(ids))
                .values(claimed_by=self.name,
                        next_attempt_at=now + timedelta(seconds=self.claim_s)))
            rows = (await tx.session.execute(
                select(D.id, D.event, D.body, D.attempts, S)
                .join(S, S.id == D.subscription_id).where(D.id.in_(ids)).order_by(D.id))).all()
        queues: dict[str, list[tuple[int, str, str, int, WebhookSubscription]]] = defaultdict(list)
        for row in rows:
            queues[row[4].id].append(tuple(row))  # type: ignore[arg-type]
        await asyncio.gather(*(self._serve(queue) for queue in queues.values()))
        return len(ids)

    async def _serve(self, queue: list[tuple[int, str, str, int, WebhookSubscription]]) -> None:
        for index, (delivery_id, event, body, attempts, subscription) in enumerate(queue):
            status, error = await self.post(delivery_id, event, body, subscription)
            retry_at = await self._record(delivery_id, attempts + 1, status, error)
            if retry_at is not None:
                # The receiver is failing: the rest are let go, and wait for the retry
                # (the claim query holds them back while it is pending).
                rest = [item[0] for item in queue[index + 1:]]
                if rest:
                    async with self.store.begin() as tx:
                        await tx.session.execute(
                            update(D).where(D.id.in_(rest), D.claimed_by == self.name)
                            .values(claimed_by=None, next_attempt_at=retry_at))
                return

    async def post(self, delivery_id: int, event: str, body: str,
                   subscription: WebhookSubscription) -> tuple[int | None, str | None]:
        """One attempt: ``(status code or None, error or None)``."""
        assert self._http is not None, "the worker is not running"
        try:
            check_url(subscription.url, self.settings.webhook_allowed_hosts,
                      allow_private=self.settings.webhook_allow_private)
        except ValueError as exc:
            return None, f"refused URL: {exc}"
        data = body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "tsunagu-webhooks/1",
            "X-Tsunagu-Event": event,
            "X-Tsunagu-Delivery": str(delivery_id),
            HEADER: signature(subscription.secret, data, int(time.time())),
        }
        try:
            async with self._http.post(subscription.url, data=data, headers=headers,
                                       allow_redirects=False) as response:
                status = response.status
                text = "" if 200 <= status < 300 else (await response.content.read(200)
                                                       ).decode("utf-8", "replace")
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return None, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS]
        if 200 <= status < 300:
            return status, None
        hint = " (redirects are not followed)" if 300 <= status < 400 else ""
        return status, f"HTTP {status}{hint}: {text}"[:ERROR_CHARS]

    async def _record(self, delivery_id: int, attempts: int, status: int | None,
                      error: str | None) -> datetime | None:
        """Store the attempt's outcome; the time of the retry when there will be one."""
        now = utcnow()
        values: dict[str, object] = {"attempts": attempts, "status_code": status,
                                     "last_error": error, "claimed_by": None}
        retry_at = None
        if error is None:
            values.update(delivered_at=now, next_attempt_at=None)
        elif attempts >= self.settings.webhook_max_attempts:
            values.update(failed_at=now, next_attempt_at=None)
            log.error("webhook delivery %s failed after %d attempts: %s", delivery_id,
                      attempts, error)
        else:
            pause = min(self.settings.webhook_retry_s * 2 ** (attempts - 1), MAX_PAUSE_S)
            retry_at = now + timedelta(seconds=pause)
            values["next_attempt_at"] = retry_at
            log.warning("webhook delivery %s not delivered (attempt %d, next in %.1f s): %s",
                        delivery_id, attempts, pause, error)
        async with self.store.begin() as tx:
            await tx.session.execute(
                update(D).where(D.id == delivery_id, D.claimed_by == self.name).values(**values))
        return retry_at

    async def prune(self) -> int:
        """Forget finished deliveries older than :data:`LOG_DAYS`; how many."""
        cutoff = utcnow() - timedelta(days=LOG_DAYS)
        async with self.store.begin() as tx:
            result = await tx.session.execute(
                delete(D).where(or_(D.delivered_at < cutoff, D.failed_at < cutoff)))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
