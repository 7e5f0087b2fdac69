"""Outbound webhooks: subscriptions, signing, the outbox and the delivery worker.

An event is recorded once, by a database trigger, in the transaction of the
change it reports (migration 0016); :mod:`.outbox` turns it into one
delivery per subscription that wants it, and :mod:`.delivery` posts them,
signed (:mod:`.signing`), with retries. Slack and Teams are subscriptions of
their own kinds whose body is an incoming-webhook message (:mod:`.payloads`).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

#: The events a subscription may ask for (docs/protocol.md; names are fixed).
Event = Literal["conversation.created", "escalated", "assigned", "closed", "csat",
                "message.created"]
EVENTS: Final[tuple[str, ...]] = get_args(Event)
#: What a subscription of each kind posts.
Kind = Literal["webhook", "slack", "teams"]
KINDS: Final[tuple[str, ...]] = get_args(Kind)
