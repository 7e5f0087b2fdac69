"""SQL of the site facts an admin set (``site_facts``), inside a caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from live_chat.store.models import SiteFact, utcnow
from live_chat.store.portable import insert_for


class SiteFactRecords:
    """Reads and writes ``site_facts`` within the open transaction of ``session``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> dict[str, str]:
        """Every fact an admin set, by name."""
        rows = await self.session.execute(select(SiteFact.name, SiteFact.value))
        return {name: value for name, value in rows}

    async def write(self, changes: Mapping[str, str | None], actor_id: str | None) -> None:
        """Set each fact of ``changes`` to its value; ``None`` deletes the admin's value.

        An upsert per name: two admins setting the same new fact at once both
        succeed, the later commit wins.
        """
        now = utcnow()
        for name, value in changes.items():
            if value is None:
                await self.session.execute(delete(SiteFact).where(SiteFact.name == name))
                continue
            statement = insert_for(self.session, SiteFact).values(
                name=name, value=value, updated_by=actor_id, updated_at=now)
            await self.session.execute(statement.on_conflict_do_update(
                index_elements=["name"],
                set_={"value": value, "updated_by": actor_id, "updated_at": now},
            ))
