"""Subscriptions as the admin API sees them: create, list, change, delete; audited.

A subscription's secret is made here (or given) and shown only in the answer
to its creation. The subscriptions set by TSUNAGU_SLACK_WEBHOOK_URL and
TSUNAGU_TEAMS_WEBHOOK_URL are kept in step with the settings at start
(:func:`sync_from_settings`) and cannot be changed through the API.
"""

from __future__ import annotations

import secrets
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import delete, func, select

from live_chat.admin import audit
from live_chat.errors import Conflict, InvalidPayload, NotFound, RateLimited
from live_chat.settings import Settings
from live_chat.store.models import Agent, WebhookDelivery, WebhookSubscription, utcnow
from live_chat.store.repository import Store, Transaction
from live_chat.webhooks import EVENTS, KINDS
from live_chat.webhooks.targets import RefusedUrl, check_url
from live_chat.wire import Payload

MAX_SUBSCRIPTIONS = 50
# Ids of the subscriptions made from the settings, per kind.
SETTING_IDS = {"slack": "setting-slack", "teams": "setting-teams"}


class SubscriptionIn(Payload):
    """``POST /api/admin/webhooks``."""

    url: str = Field(min_length=1, max_length=2000)
    events: list[str] = Field(min_length=1, max_length=len(EVENTS))
    kind: str = "webhook"
    secret: str | None = Field(default=None, min_length=16, max_length=200)
    active: bool = True
    description: str | None = Field(default=None, max_length=200)

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str]) -> list[str]:
        return _checked_events(events)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"kind is one of {', '.join(KINDS)}")
        return kind


class SubscriptionUpdate(Payload):
    """``PUT /api/admin/webhooks/{id}``: the fields to change (the secret never changes)."""

    url: str | None = Field(default=None, min_length=1, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=len(EVENTS))
    active: bool | None = None
    description: str | None = Field(default=None, max_length=200)

    @field_validator("events")
    @classmethod
    def _known_events(cls, events: list[str] | None) -> list[str] | None:
        return None if events is None else _checked_events(events)


def _checked_events(events: list[str]) -> list[str]:
    unknown = [e for e in events if e not in EVENTS]
    if unknown:
        raise ValueError(f"unknown event {unknown[0]!r} (events: {', '.join(EVENTS)})")
    return [e for e in EVENTS if e in events]  # one each, in the documented order


def stored_events(events: list[str]) -> str:
    """The ``events`` column's form: `` a b `` (see WebhookSubscription)."""
    return f" {' '.join(events)} "


def subscription_out(row: WebhookSubscription) -> dict[str, Any]:
    """A subscription as the API shows it: never the secret, only its last 4 characters."""
    return {"id": row.id, "kind": row.kind, "url": row.url, "events": row.event_names,
            "active": row.active, "description": row.description, "source": row.source,
            "secret_hint": "…" + row.secret[-4:], "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat()}


class Subscriptions:
    """The admin's operations on subscriptions; ``settings`` say which URLs are allowed."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def _check(self, url: str) -> str:
        """``url`` if allowed; else ``invalid`` with ``field: "url"`` and the guard's ``reason``."""
        try:
            return check_url(url, self.settings.webhook_allowed_hosts,
                             allow_private=self.settings.webhook_allow_private)
        except RefusedUrl as exc:
            raise InvalidPayload(f"url: {exc}", field="url", reason=exc.reason) from None

    async def listing(self) -> list[dict[str, Any]]:
        async with self.store.begin() as tx:
            rows = (await tx.session.scalars(
                select(WebhookSubscription).order_by(WebhookSubscription.created_at))).all()
        return [subscription_out(row) for row in rows]

    async def create(self, actor: Agent, data: SubscriptionIn) -> dict[str, Any]:
        """The new subscription and, this once, its ``secret``."""
        url = self._check(data.url)
        secret = data.secret or "whsec_" + secrets.token_urlsafe(32)
        async with self.store.begin() as tx:
            count = await tx.session.scalar(select(func.count()).select_from(WebhookSubscription))
            if (count or 0) >= MAX_SUBSCRIPTIONS:
                raise RateLimited(f"at most {MAX_SUBSCRIPTIONS} subscriptions")
            row = WebhookSubscription(kind=data.kind, url=url, events=stored_events(data.events),
                                      secret=secret, active=data.active,
                                      description=data.description, source="admin")
            tx.session.add(row)
            await tx.session.flush()
            shown = subscription_out(row)
            await audit.record(tx.session, actor, "webhook.create", row.id, after=shown)
        return {"webhook": shown, "secret": secret}

    async def update(self, actor: Agent, subscription_id: str,
                     data: SubscriptionUpdate) -> dict[str, Any]:
        async with self.store.begin() as tx:
            row = await self._editable(tx, subscription_id)
            before = subscription_out(row)
            if data.url is not None:
                row.url = self._check(data.url)
            if data.events is not None:
                row.events = stored_events(data.events)
            if data.active is not None:
                row.active = data.active
            if "description" in data.model_fields_set:
                row.description = data.description
            row.updated_at = utcnow()
            after = subscription_out(row)
            await audit.record(tx.session, actor, "webhook.update", row.id, before=before,
                               after=after)
        return {"webhook": after}

    async def delete(self, actor: Agent, subscription_id: str) -> None:
        """Delete the subscription and its delivery log (pending deliveries are not sent)."""
        async with self.store.begin() as tx:
            row = await self._editable(tx, subscription_id)
            before = subscription_out(row)
            await tx.session.execute(
                delete(WebhookDelivery).where(WebhookDelivery.subscription_id == row.id))
            await tx.session.delete(row)
            await audit.record(tx.session, actor, "webhook.delete", subscription_id,
                               before=before)

    async def _editable(self, tx: Transaction, subscription_id: str) -> WebhookSubscription:
        row = await tx.session.get(WebhookSubscription, subscription_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no webhook {subscription_id}")
        if row.source != "admin":
            raise Conflict("this subscription is set by TSUNAGU_SLACK_WEBHOOK_URL or "
                           "TSUNAGU_TEAMS_WEBHOOK_URL; change the setting instead")
        return row


async def sync_from_settings(store: Store, settings: Settings) -> None:
    """Make the setting-made Slack/Teams subscriptions match the settings (start-up)."""
    wanted = {"slack": settings.slack_webhook_url, "teams": settings.teams_webhook_url}
    async with store.begin() as tx:
        for kind, url in wanted.items():
            row = await tx.session.get(WebhookSubscription, SETTING_IDS[kind],
                                       with_for_update=True)
            if url is None:
                if row is not None:
                    row.active = False
                continue
            if row is None:
                tx.session.add(WebhookSubscription(
                    id=SETTING_IDS[kind], kind=kind, url=url,
                    events=stored_events(["escalated"]),
                    secret="whsec_" + secrets.token_urlsafe(32), active=True,
                    description=f"TSUNAGU_{kind.upper()}_WEBHOOK_URL", source="setting"))
            elif row.url != url or not row.active:
                row.url, row.active, row.updated_at = url, True, utcnow()
