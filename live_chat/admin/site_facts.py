"""Site facts: the shop's figures the bot's answers and the demo page name.

The effective facts are the training data's defaults (``site_facts.json``)
overridden by what an admin set (``site_facts`` table). Every gateway process
reads them at start and about every second, in the transaction that looks
for a newly activated model (no extra round trip: on SQLite every
transaction takes the one connection), and the process that saved a change
applies it at once, so the bot and the demo page of every process say the
same figure within seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.site_facts import problem_with
from live_chat.admin import audit
from live_chat.context import BotHolder
from live_chat.errors import InvalidPayload
from live_chat.store.models import Agent
from live_chat.store.repository import Store
from live_chat.store.site_facts import SiteFactRecords

#: Seconds between two reads of the facts when no model watch reads them (Rasa).
WATCH_S = 2.0
#: Facts changed in one request, at most.
MAX_CHANGES = 100


class SiteFacts:
    """The site facts of one deployment.

    ``store``: the record; ``holder``: the serving bot, told of every change;
    ``defaults``: the training data's facts, used where the admin set none.
    """

    def __init__(self, store: Store, holder: BotHolder, defaults: Mapping[str, str]) -> None:
        self.store = store
        self.holder = holder
        self.defaults = dict(defaults)

    async def effective(self) -> dict[str, str]:
        """The facts the bot answers with now: defaults, overridden by the admin's."""
        async with self.store.begin() as tx:
            stored = await SiteFactRecords(tx.session).all()
        return {**self.defaults, **stored}

    async def refresh(self) -> None:
        """Read the facts and give them to the serving bot (a no-op when unchanged)."""
        self.holder.set_facts(await self.effective())

    def apply(self, stored: Mapping[str, str]) -> None:
        """Serve the admin's facts ``stored`` (read by the caller) over the defaults."""
        self.holder.set_facts({**self.defaults, **stored})

    async def listing(self) -> dict[str, Any]:
        """``{"facts": [{name, value, default, source}]}`` by name (see docs/admin.md)."""
        async with self.store.begin() as tx:
            stored = await SiteFactRecords(tx.session).all()
        return _listing(self.defaults, stored)

    async def update(self, actor: Agent, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Set facts (``name: text``) or bring back their default (``name: null``).

        All or nothing: one invalid fact (see
        :func:`bot.site_facts.problem_with`) raises ``InvalidPayload`` naming
        it and nothing changes. Audited as ``site_facts.update`` with the
        values before and after, in the same transaction.
        """
        if not changes:
            raise InvalidPayload("facts: name at least one fact")
        if len(changes) > MAX_CHANGES:
            raise InvalidPayload(f"facts: at most {MAX_CHANGES} at once")
        cleaned: dict[str, str | None] = {}
        for name, value in changes.items():
            if value is not None and not isinstance(value, str):
                raise InvalidPayload(f"facts.{name}: a fact is text, or null for the default")
            text = value.strip() if isinstance(value, str) else None
            problem = problem_with(str(name), text or "")
            if problem is not None:
                raise InvalidPayload(f"facts: {problem}")
            if text == "":
                raise InvalidPayload(f"facts.{name}: empty; send null to bring the default back")
            cleaned[str(name)] = text
        async with self.store.begin() as tx:
            records = SiteFactRecords(tx.session)
            before = await records.all()
            await records.write(cleaned, actor.id)
            after = await records.all()
            if before != after:
                names = sorted(cleaned)
                await audit.record(
                    tx.session, actor, "site_facts.update", ",".join(names),
                    before={n: before.get(n) for n in names},
                    after={n: after.get(n) for n in names},
                )
        self.holder.set_facts({**self.defaults, **after})
        return _listing(self.defaults, after)


def _listing(defaults: Mapping[str, str], stored: Mapping[str, str]) -> dict[str, Any]:
    names = sorted(set(defaults) | set(stored))
    return {"facts": [
        {"name": name, "value": stored.get(name, defaults.get(name)),
         "default": defaults.get(name),
         "source": "admin" if name in stored else "default"}
        for name in names
    ]}
