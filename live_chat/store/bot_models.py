"""SQL of trained model versions, their activations and the training jobs that make them.

The newest row of ``bot_activations`` names the version every gateway
process serves; reading it is one indexed primary-key lookup, cheap enough to
poll every second.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from live_chat.store.models import BotActivation, BotModel, Message, TrainingJob

_JOBS_LOCK_ID = 0x74737570


class ModelRecords:
    """Queries over ``bot_models``, ``bot_activations`` and ``training_jobs``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- versions and activation ------------------------------------------------------

    async def active(self) -> BotActivation | None:
        return await self.session.scalar(
            select(BotActivation).order_by(BotActivation.id.desc()).limit(1))

    async def model(self, version: str) -> BotModel | None:
        """One version, archive included."""
        return await self.session.get(BotModel, version)

    async def models(self, limit: int = 100) -> Sequence[BotModel]:
        """The newest versions, without their archives (megabytes each)."""
        return (await self.session.scalars(
            select(BotModel).options(defer(BotModel.archive), defer(BotModel.training_data))
            .order_by(BotModel.created_at.desc(), BotModel.version.desc()).limit(limit))).all()

    async def activations(self) -> Sequence[BotActivation]:
        return (await self.session.scalars(
            select(BotActivation).order_by(BotActivation.id))).all()

    def add_model(self, **fields: Any) -> BotModel:
        row = BotModel(**fields)
        self.session.add(row)
        return row

    def add_activation(self, **fields: Any) -> None:
        self.session.add(BotActivation(**fields))

    async def set_model_meta(self, version: str, meta: dict[str, Any]) -> None:
        await self.session.execute(
            update(BotModel).where(BotModel.version == version).values(meta=meta))

    # -- training jobs -------------------------------------------------------------------

    async def lock_jobs(self) -> None:
        """Serialise starting jobs across processes until the transaction ends.

        SQLite transactions take the write lock at BEGIN already.
        """
        if self.session.bind.dialect.name == "postgresql":
            await self.session.execute(text("SELECT pg_advisory_xact_lock(:id)"),
                                       {"id": _JOBS_LOCK_ID})

    def add_job(self, **fields: Any) -> TrainingJob:
        job = TrainingJob(**fields)
        self.session.add(job)
        return job

    async def job(self, job_id: str) -> TrainingJob | None:
        return await self.session.get(TrainingJob, job_id)

    async def jobs(self, limit: int = 20) -> Sequence[TrainingJob]:
        return (await self.session.scalars(
            select(TrainingJob).order_by(TrainingJob.created_at.desc()).limit(limit))).all()

    async def running_jobs(self) -> Sequence[TrainingJob]:
        return (await self.session.scalars(
            select(TrainingJob).where(TrainingJob.state.in_(("queued", "running"))))).all()

    async def update_job(self, job_id: str, **fields: Any) -> None:
        await self.session.execute(
            update(TrainingJob).where(TrainingJob.id == job_id).values(**fields))

    # -- what the replay reads ---------------------------------------------------------

    async def visitor_texts(self, since: datetime, limit: int) -> list[tuple[str, str]]:
        """Typed visitor messages since ``since``, newest first: ``(message id, text)``."""
        rows = await self.session.execute(
            select(Message.id, Message.text)
            .where(Message.sender == "visitor", Message.payload.is_(None),
                   Message.created_at >= since)
            .order_by(Message.created_at.desc()).limit(limit))
        return [(row[0], row[1]) for row in rows]
