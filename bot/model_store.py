"""Versioned model artifacts in the data folder, and which one is active.

Layout of ``models_dir``::

    ACTIVE                      the name of the active version (one line)
    20261125-151812345-3f9a2c1d/  one folder per version
        metadata.json           engine, created, data hash, evaluation figures
        classifier.json         engine settings (see bot.engines.builtin)
        classifier.npz          arrays, read with allow_pickle=False
        responses.json          the answers trained with this model

A version is written to a hidden temporary folder and renamed into place,
and ``ACTIVE`` is replaced atomically, so a process loading the active model
never sees a half-written one, and several gateway processes may share the
folder. Nothing stored here executes code when loaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.errors import ModelFormatError, ModelNotFoundError

ACTIVE_FILE = "ACTIVE"
METADATA_FILE = "metadata.json"
# <date>-<time with milliseconds>[-<n>]-<data hash prefix>: sorts by creation.
_VERSION_NAME = re.compile(r"^[0-9]{8}-[0-9]{9}(?:-[0-9]+)?-[0-9a-f]{8}$")


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One stored model: its ``name`` (sortable by creation time), folder and metadata."""

    name: str
    path: Path
    metadata: dict[str, Any]


class ModelStore:
    """The model versions under one folder (``<data>/models``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def create(
        self, write: Callable[[Path], None], metadata: dict[str, Any], *, activate: bool = True
    ) -> ModelVersion:
        """Store a new version and (by default) make it the active one.

        ``write`` is called with an empty folder and writes the model files
        into it; ``metadata`` (JSON-safe) is completed with ``version`` and
        ``created`` and saved as ``metadata.json``.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        name = self._unique_name(now, str(metadata.get("data_hash", ""))[:8] or "00000000")
        metadata = {"version": name, "created": now.isoformat(timespec="seconds"), **metadata}
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            write(staging)
            (staging / METADATA_FILE).write_text(
                json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", "utf-8"
            )
            staging.rename(self.root / name)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if activate:
            self.activate(name)
        return ModelVersion(name, self.root / name, metadata)

    def install(self, name: str, files: dict[str, bytes]) -> ModelVersion:
        """Store a version made elsewhere (e.g. fetched from the database) under ``name``.

        ``files`` maps plain file names (no folders) to their bytes; it must
        hold a ``metadata.json``. Written and renamed into place like
        :meth:`create`, so concurrent readers see all of it or nothing; an
        existing version of that name is kept as it is.
        """
        if not _VERSION_NAME.match(name):
            raise ModelFormatError(f"{name!r} is not a model version name")
        if METADATA_FILE not in files:
            raise ModelFormatError(f"version {name} has no {METADATA_FILE}")
        target = self.root / name
        if target.is_dir():
            return read_version(target)
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        try:
            for file_name, content in files.items():
                if file_name != Path(file_name).name or file_name.startswith("."):
                    raise ModelFormatError(f"version {name}: unexpected file name {file_name!r}")
                (staging / file_name).write_bytes(content)
            try:
                staging.rename(target)
            except OSError:
                # Another process installed the same version first: theirs is as good.
                if not target.is_dir():
                    raise
                shutil.rmtree(staging, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return read_version(target)

    def activate(self, name: str) -> None:
        """Make version ``name`` the active one (atomic for concurrent readers)."""
        self.get(name)  # refuse to point ACTIVE at nothing
        fd, temporary = tempfile.mkstemp(prefix=".active-", dir=self.root)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(name + "\n")
        os.replace(temporary, self.root / ACTIVE_FILE)

    def active_name(self) -> str | None:
        """The name in ``ACTIVE``, or ``None`` when no version was activated."""
        try:
            name = (self.root / ACTIVE_FILE).read_text("utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def active(self) -> ModelVersion:
        """The active version; raises :class:`ModelNotFoundError` when there is none."""
        name = self.active_name()
        if name is None:
            raise ModelNotFoundError(f"no active model in {self.root}")
        return self.get(name)

    def get(self, name: str) -> ModelVersion:
        """Version ``name``; raises :class:`ModelNotFoundError` or :class:`ModelFormatError`."""
        if not _VERSION_NAME.match(name):
            raise ModelNotFoundError(f"{name!r} is not a model version name")
        return read_version(self.root / name)

    def versions(self) -> list[ModelVersion]:
        """Every stored version, oldest first."""
        if not self.root.is_dir():
            return []
        names = sorted(p.name for p in self.root.iterdir() if _VERSION_NAME.match(p.name))
        return [self.get(name) for name in names]

    def _unique_name(self, now: datetime, digest: str) -> str:
        stamp = f"{now:%Y%m%d-%H%M%S}{now.microsecond // 1000:03d}"
        name, counter = f"{stamp}-{digest}", 1
        while (self.root / name).exists():
            name, counter = f"{stamp}-{counter}-{digest}", counter + 1
        return name


def read_version(path: Path) -> ModelVersion:
    """The version stored in folder ``path`` (any folder with a ``metadata.json``)."""
    try:
        metadata = json.loads((path / METADATA_FILE).read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ModelNotFoundError(f"no model in {path} (missing {METADATA_FILE})") from exc
    except (OSError, ValueError) as exc:
        raise ModelFormatError(f"{path / METADATA_FILE}: {exc}") from exc
    return ModelVersion(str(metadata.get("version", path.name)), path, metadata)
