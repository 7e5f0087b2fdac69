"""Model versions in the record, which one is active, and the swap on every process.

A version is stored whole in ``bot_models`` (a zip of its plain files), so a
gateway on any machine can load it; the local models folder is only a cache.
The newest ``bot_activations`` row names the active version: every process
polls it (:meth:`ModelRegistry.refresh`, about every second) and swaps the bot
it serves when it changes, so an activation reaches all of them within
seconds without any shared folder, and survives a Redis outage.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import zipfile
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

from bot import Bot
from bot.errors import BotError
from bot.model_store import ModelStore, ModelVersion
from bot.training import train_model
from bot.training_data import TrainingData, load_training_data
from live_chat.admin import audit
from live_chat.context import BotHolder
from live_chat.errors import GateRefused, NotFound, Unavailable
from live_chat.store.bot_models import ModelRecords
from live_chat.store.models import Agent, BotModel
from live_chat.store.repository import IntegrityError, Store

log = logging.getLogger(__name__)

# Larger archives are refused: a model of the built-in engine is about 1-2 MB.
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024


class ModelRegistry:
    """Model versions of one deployment.

    ``store`` is the record; ``models_dir`` the local cache of version folders
    (``<data>/models``), filled from the record on demand. ``answer_threshold``:
    the operator's ``TSUNAGU_ANSWER_THRESHOLD`` (``Settings``), given to every
    bot swapped in; ``None``: each model's own.
    """

    def __init__(self, store: Store, models_dir: Path, *,
                 answer_threshold: float | None = None) -> None:
        self.store = store
        self.local = ModelStore(models_dir)
        self.answer_threshold = answer_threshold

    async def active_name(self) -> str | None:
        async with self.store.begin() as tx:
            row = await ModelRecords(tx.session).active()
        return row.version if row else None

    # -- storing and loading -----------------------------------------------------------

    async def register(
        self, version: ModelVersion, *, actor: Agent | None, report: dict[str, Any] | None = None,
        training_files: dict[str, str] | None = None,
    ) -> None:
        """Store ``version`` (a local folder) in the record; storing it twice is a no-op.

        ``report`` is its gate report; ``training_files`` the Rasa files it
        was trained on, kept so that a later candidate can be compared with it.
        """
        archive = await asyncio.to_thread(_pack, version.path)
        try:
            async with self.store.begin() as tx:
                records = ModelRecords(tx.session)
                if await records.model(version.name) is not None:
                    return
                records.add_model(
                    version=version.name, engine=str(version.metadata.get("engine", "builtin")),
                    data_hash=str(version.metadata.get("data_hash", "")), meta=version.metadata,
                    report=report, archive=archive,
                    training_data=json.dumps(training_files, ensure_ascii=False)
                    if training_files is not None else None,
                    created_by=actor.id if actor else None,
                    created_by_name=actor.name if actor else None)
                await audit.record(tx.session, actor, "model.train", version.name, after={
                    "examples": version.metadata.get("examples"),
                    "passed": None if report is None else report.get("passed")})
        except IntegrityError:
            pass  # another process registered the same version first

    async def load(self, name: str) -> ModelVersion:
        """Version ``name`` as a local folder, fetched from the record when not cached."""
        try:
            return self.local.get(name)
        except BotError:
            pass
        async with self.store.begin() as tx:
            row = await ModelRecords(tx.session).model(name)
            archive = row.archive if row is not None else None
        if archive is None:
            raise NotFound(f"there is no model version {name!r}")
        files = await asyncio.to_thread(_unpack, archive)
        return await asyncio.to_thread(self.local.install, name, files)

    async def training_files(self, name: str) -> dict[str, str] | None:
        """The Rasa files version ``name`` was trained on, when the record kept them."""
        async with self.store.begin() as tx:
            row = await ModelRecords(tx.session).model(name)
        if row is None or not row.training_data:
            return None
        return dict(json.loads(row.training_data))

    async def set_cv(self, name: str, cv: dict[str, Any]) -> None:
        """Remember a version's cross-validated figures (computed once, by a later job)."""
        async with self.store.begin() as tx:
            records = ModelRecords(tx.session)
            row = await records.model(name)
            if row is not None and "cv" not in (row.meta or {}):
                await records.set_model_meta(name, {**(row.meta or {}), "cv": cv})

    # -- activation ----------------------------------------------------------------------

    async def activate(self, actor: Agent | None, name: str, reason: str | None) -> dict[str, Any]:
        """Make ``name`` the version every process serves.

        A version the gate refused needs a ``reason`` (stored) unless it was
        active before: going back to a version that served is a rollback.
        Raises :class:`GateRefused` with the report otherwise.
        """
        reason = (reason or "").strip() or None
        async with self.store.begin() as tx:
            records = ModelRecords(tx.session)
            row = await records.model(name)
            if row is None:
                raise NotFound(f"there is no model version {name!r}")
            current = await records.active()
            if current is not None and current.version == name:
                return {"active": name}
            served_before = any(a.version == name for a in await records.activations())
            report = row.report or {}
            refusal = _refusal(report, current.version if current else None)
            if refusal and not served_before and reason is None:
                raise GateRefused(refusal + ". Give a reason to activate it anyway.",
                                  report=report)
            records.add_activation(version=name, actor_id=actor.id if actor else None,
                                   actor_name=actor.name if actor else None, reason=reason)
            await audit.record(
                tx.session, actor, "model.rollback" if served_before else "model.activate", name,
                before={"active": current.version if current else None}, after={"active": name},
                reason=reason)
        return {"active": name}

    async def listing(self) -> dict[str, Any]:
        """Every version, newest first, with whether it is active and its gate report."""
        async with self.store.begin() as tx:
            records = ModelRecords(tx.session)
            rows = await records.models()
            activations = await records.activations()
        active = activations[-1].version if activations else None
        last_activated: dict[str, str] = {}
        for a in activations:
            last_activated[a.version] = a.created_at.isoformat()
        return {"active": active,
                "models": [_model_out(r, r.version == active, last_activated.get(r.version))
                           for r in rows]}

    # -- start-up and the swap -----------------------------------------------------------

    async def bootstrap(self, training_data: Callable[[], Awaitable[TrainingData]],
                        training_dir: Path) -> ModelVersion:
        """The active version, making one on the very first start of a deployment.

        ``training_data`` returns the catalog's training data (asked only
        when a model has to be trained).
        With no active version in the record, a model already in the local
        folder (``tsunagu train`` before this release, or a shared test
        folder) is adopted; otherwise one is trained from ``training_data``.
        """
        name = await self.active_name()
        if name is not None:
            return await self.load(name)
        from bot.rasa_format import write_rasa

        version = await asyncio.to_thread(self._local_active)
        if version is not None:
            seed = await asyncio.to_thread(load_training_data, training_dir)
            files = await asyncio.to_thread(write_rasa, seed) \
                if seed.data_hash == version.metadata.get("data_hash") else None
        else:
            data = await training_data()
            version = await asyncio.to_thread(train_model, data, self.local.root, activate=False)
            files = await asyncio.to_thread(write_rasa, data)
        await self.register(version, actor=None, training_files=files)
        async with self.store.begin() as tx:
            records = ModelRecords(tx.session)
            if await records.active() is None:
                records.add_activation(version=version.name, reason="first start")
                await audit.record(tx.session, None, "model.activate", version.name,
                                   after={"active": version.name}, reason="first start")
        return await self.load(await self.active_name() or version.name)

    def _local_active(self) -> ModelVersion | None:
        try:
            version = self.local.active()
        except BotError:
            return None
        return version if version.metadata.get("engine", "builtin") == "builtin" else None

    async def refresh(self, holder: BotHolder) -> None:
        """Swap in the active version if it is not the one ``holder`` serves.

        A version that cannot be loaded leaves the current bot serving (the
        failure is logged by the caller's loop and retried on the next tick).
        """
        await self.swap_to(await self.active_name(), holder)

    async def swap_to(self, name: str | None, holder: BotHolder) -> None:
        """Serve version ``name`` (read from the record by the caller) if ``holder``
        does not already; ``None`` (no activation yet) changes nothing."""
        if name is None or name == holder.current.version:
            return
        version = await self.load(name)
        fresh = await asyncio.to_thread(
            partial(Bot.from_version, version, answer_threshold=self.answer_threshold))
        log.info("bot model %s replaces %s", fresh.version, holder.current.version)
        holder.swap(fresh)


def _refusal(report: dict[str, Any], active: str | None) -> str | None:
    """Why the gate stands in the way of a version, or ``None``.

    A report compares the candidate with the model active when it was
    trained; if another one serves now, the comparison says nothing about it.
    """
    if report.get("passed") is False:
        return "the gate refused this version: " + "; ".join(report.get("reasons") or [])
    compared = report.get("active_version")
    if report and active is not None and compared != active:
        return (f"the gate compared this version with {compared}, but {active} serves now; "
                "train again for a fresh comparison")
    return None


def _model_out(row: BotModel, active: bool, activated_at: str | None) -> dict[str, Any]:
    meta = row.meta or {}
    return {
        "version": row.version, "active": active, "created_at": row.created_at.isoformat(),
        "created_by": {"id": row.created_by, "name": row.created_by_name}
        if row.created_by else None,
        "examples": meta.get("examples"), "intents": len(meta.get("intents") or []),
        "intent_names": list(meta.get("intents") or []),
        "evaluation": meta.get("evaluation", {}), "cv": meta.get("cv"),
        "report": row.report, "activated_at": activated_at,
    }


def _pack(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            if path.is_file():
                archive.write(path, path.name)
    return buffer.getvalue()


def _unpack(data: bytes) -> dict[str, bytes]:
    """The files of an archive made by :func:`_pack`; refuses folders and oversized content."""
    files: dict[str, bytes] = {}
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            total += info.file_size
            if "/" in info.filename or "\\" in info.filename or total > MAX_ARCHIVE_BYTES:
                raise Unavailable(f"model archive entry {info.filename!r} refused")
            files[info.filename] = archive.read(info)
    return files
