"""Training jobs: the catalog is trained in a child process, never on the event loop.

:meth:`TrainingJobs.start` records a job and runs ``python -m bot.job`` (see
``bot/job.py``) with the catalog exported as Rasa YAML, the active version for
comparison and the last 7 days of visitor messages for the replay. Each line
the child prints moves the job's row (stage, percent), which is what every
gateway process shows; the finished version is stored in the record with its
gate report. A job whose process stopped touching its row is shown as failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.model_store import read_version
from bot.rasa_format import write_rasa
from live_chat.admin import audit
from live_chat.admin.catalog import Catalog
from live_chat.admin.registry import ModelRegistry
from live_chat.errors import Conflict, NotFound
from live_chat.store.bot_models import ModelRecords
from live_chat.store.models import Agent, TrainingJob, utcnow
from live_chat.store.repository import Store

log = logging.getLogger(__name__)

REPLAY_DAYS = 7
REPLAY_LIMIT = 5000
# A running job touches its row at least this often; one older than STALE is dead.
HEARTBEAT_S = 5.0
STALE = timedelta(seconds=60)
_REPO_ROOT = Path(__file__).resolve().parents[2]


class TrainingJobs:
    """Start and follow training jobs.

    ``folds``: cross-validation folds of the gate (``TSUNAGU_GATE_FOLDS``).
    """

    def __init__(self, store: Store, catalog: Catalog, registry: ModelRegistry, *,
                 folds: int = 5) -> None:
        self.store = store
        self.catalog = catalog
        self.registry = registry
        self.folds = folds
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, actor: Agent) -> dict[str, Any]:
        """Record a job and start it; :class:`Conflict` while another one runs."""
        async with self.store.begin() as tx:
            records = ModelRecords(tx.session)
            # Two admins pressing "train" together on two processes: one job.
            await records.lock_jobs()
            for other in await records.running_jobs():
                if not _stale(other):
                    raise Conflict("a training job is already running; wait for it to finish",
                                   job=job_out(other))
            job = records.add_job(state="queued", stage="queued", created_by=actor.id)
            await tx.session.flush()
            job_id = job.id
        task = asyncio.create_task(self._run(job_id, actor))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return await self.get(job_id)

    async def get(self, job_id: str) -> dict[str, Any]:
        async with self.store.begin() as tx:
            job = await ModelRecords(tx.session).job(job_id)
        if job is None:
            raise NotFound(f"there is no training job {job_id!r}")
        return job_out(job)

    async def recent(self) -> list[dict[str, Any]]:
        async with self.store.begin() as tx:
            return [job_out(j) for j in await ModelRecords(tx.session).jobs()]

    async def stop(self) -> None:
        """Cancel running jobs (the gateway is stopping); their children are killed."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- one job ---------------------------------------------------------------------------

    async def _run(self, job_id: str, actor: Agent) -> None:
        try:
            await self._update(job_id, state="running", stage="preparing", progress=0.0)
            with tempfile.TemporaryDirectory(prefix="tsunagu-train-") as scratch:
                done = await self._train(job_id, Path(scratch))
            version = done["version"]
            await self._update(job_id, stage="storing", progress=0.97)
            await self.registry.register(
                read_version(Path(done["path"])), actor=actor, report=done.get("report"),
                training_files=done["training_files"])
            if done.get("active_cv") and done.get("active_version"):
                await self.registry.set_cv(done["active_version"], done["active_cv"])
            await self._update(job_id, state="done", stage="done", progress=1.0, version=version,
                               finished_at=utcnow())
        except asyncio.CancelledError:
            await self._fail(job_id, actor, "the gateway running this job stopped")
            raise
        except _JobFailed as exc:
            await self._fail(job_id, actor, str(exc))
        except Exception as exc:
            log.exception("training job %s failed", job_id)
            await self._fail(job_id, actor, f"{type(exc).__name__}: {exc}")

    async def _train(self, job_id: str, scratch: Path) -> dict[str, Any]:
        data = await self.catalog.training_data()
        files = await asyncio.to_thread(write_rasa, data)
        _write_files(scratch / "data", files)
        command = [sys.executable, "-m", "bot.job", "--data", str(scratch / "data"),
                   "--out", str(self.registry.local.root), "--folds", str(self.folds)]
        active = await self.registry.active_name()
        if active is not None:
            version = await self.registry.load(active)
            command += ["--active", str(version.path)]
            active_files = await self.registry.training_files(active)
            if active_files is not None:
                _write_files(scratch / "active-data", active_files)
                command += ["--active-data", str(scratch / "active-data")]
        async with self.store.begin() as tx:
            rows = await ModelRecords(tx.session).visitor_texts(
                utcnow() - timedelta(days=REPLAY_DAYS), REPLAY_LIMIT)
        replay = scratch / "replay.jsonl"
        replay.write_text("".join(json.dumps({"message_id": i, "text": t}, ensure_ascii=False)
                                  + "\n" for i, t in rows), "utf-8")
        command += ["--replay", str(replay)]
        done = await self._follow(job_id, command)
        return {**done, "training_files": files, "active_version": active}

    async def _follow(self, job_id: str, command: list[str]) -> dict[str, Any]:
        """Run the child, moving the job's row with each progress line; its ``done`` object."""
        process = await asyncio.create_subprocess_exec(
            *command, cwd=_REPO_ROOT, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, limit=16 * 1024 * 1024)
        assert process.stdout is not None and process.stderr is not None
        stderr_task = asyncio.create_task(process.stderr.read())
        done: dict[str, Any] | None = None
        error: str | None = None
        try:
            while True:
                try:
                    async with asyncio.timeout(HEARTBEAT_S):  # wait_for may swallow a cancel
                        line = await process.stdout.readline()
                except TimeoutError:
                    await self._update(job_id)  # still alive: touch the row
                    continue
                if not line:
                    break
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if "done" in event:
                    done = event["done"]
                elif "error" in event:
                    error = str(event["error"])
                elif "stage" in event:
                    # The store and register steps after the child take the last few percent.
                    await self._update(job_id, stage=str(event["stage"]),
                                       progress=min(0.95, float(event.get("progress", 0.0))))
            await process.wait()
        except BaseException:
            if process.returncode is None:
                process.kill()
                await process.wait()
            stderr_task.cancel()
            raise
        stderr = (await stderr_task).decode("utf-8", "replace")
        if done is None or process.returncode != 0:
            if stderr:
                log.warning("training job %s: child said:\n%s", job_id, stderr[-4000:])
            raise _JobFailed(error or f"the training process exited with {process.returncode}")
        return done

    async def _update(self, job_id: str, **fields: Any) -> None:
        async with self.store.begin() as tx:
            await ModelRecords(tx.session).update_job(job_id, updated_at=utcnow(), **fields)

    async def _fail(self, job_id: str, actor: Agent, reason: str) -> None:
        try:
            async with self.store.begin() as tx:
                await ModelRecords(tx.session).update_job(
                    job_id, state="failed", error=reason[:2000], updated_at=utcnow(),
                    finished_at=utcnow())
                await audit.record(tx.session, actor, "model.train", job_id,
                                   after={"failed": reason[:500]})
        except Exception:
            log.exception("could not record the failure of training job %s", job_id)


class _JobFailed(Exception):
    """The child process reported (or showed) a failure, in one sentence."""


def _stale(job: TrainingJob) -> bool:
    return job.state in ("queued", "running") and utcnow() - job.updated_at > STALE


def job_out(job: TrainingJob) -> dict[str, Any]:
    state, error = job.state, job.error
    if _stale(job):
        state, error = "failed", "the process running this job stopped"
    return {"id": job.id, "state": state, "stage": job.stage, "progress": round(job.progress, 3),
            "error": error, "version": job.version, "created_at": job.created_at.isoformat(),
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}


def _write_files(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        path = root / relative
        if root.resolve() not in path.resolve().parents:
            raise ValueError(f"refusing to write {relative!r} outside {root}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, "utf-8")
