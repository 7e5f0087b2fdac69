"""Every exception the bot raises, in one place, so callers catch by meaning.

The gateway and the CLI map these to a stable code and a human sentence at
their boundary; nothing here knows how the error will be shown.
"""

from __future__ import annotations

from dataclasses import dataclass


class BotError(Exception):
    """Base class of the bot's errors."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the training data, located for a human to fix.

    ``source`` is the file (as given to the reader), ``line`` is 1-based, or
    ``None`` when the problem is not about one line (e.g. an empty folder).
    """

    source: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.message}"


class TrainingDataError(BotError):
    """The training data cannot be used; ``problems`` says where and why.

    Raised before anything is trained or written, so the active model keeps
    serving.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems) or "invalid training data")


class ModelNotFoundError(BotError):
    """No (active) model version exists where one was expected."""


class ModelFormatError(BotError):
    """A model directory exists but its files are missing or inconsistent."""


class NLUEngineError(BotError):
    """A remote NLU engine (Rasa) could not be reached or answered nonsense.

    ``str(error)`` is for the server's log: where (the URL without its query)
    and why. ``reason`` is the short why alone (``Rasa answered 401``, ``no
    answer within 2 s``, ``not reachable``), safe for anyone to read: the
    public ``/readyz`` shows it, and it never holds a URL or ``RASA_TOKEN``.
    """

    def __init__(self, message: str, reason: str = "unexpected answer from Rasa") -> None:
        super().__init__(message)
        self.reason = reason
