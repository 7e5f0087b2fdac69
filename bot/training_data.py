"""Training data: examples, responses and labels, validated as a whole.

Two ways in, one set of rules:

:func:`load_training_data`
    reads a training folder of Rasa 3.x YAML files (``*.yml``/``*.yaml``,
    recursively). The parser is :mod:`bot.rasa_format`, the same one the
    admin import uses on uploaded files; see there for what is read.
:meth:`TrainingData.from_records`
    builds the same from rows (intent, text) and the response and label
    mappings, e.g. from the database.

Every problem found is reported with its file and line in one
:class:`~bot.errors.TrainingDataError`, before anything is trained, so a bad
edit never replaces the model that is serving.
"""

from __future__ import annotations

import copy
import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.errors import Problem, TrainingDataError
from bot.language import detect_language

_YAML_SUFFIXES = (".yml", ".yaml")
RECORD_SOURCE = "record"


@dataclass(frozen=True, slots=True)
class Example:
    """One training utterance and where it was written.

    ``source`` is the file it was read from (``"record"`` when built by
    :meth:`TrainingData.from_records`), ``line`` its 1-based line (0 for a
    record).
    """

    text: str
    intent: str
    source: str
    line: int

    @property
    def language(self) -> str:
        return detect_language(self.text, fallback="en")


@dataclass(frozen=True)
class TrainingData:
    """Validated training data.

    ``responses`` and ``labels`` are the raw mappings of the YAML files (see
    :mod:`bot.responses` for their meaning). ``data_hash`` is a SHA-256
    recorded in model metadata to tell which data a model saw: over the files
    read for :func:`load_training_data`, over a canonical JSON of the content
    (see :func:`content_hash`) for :meth:`from_records` and
    :func:`bot.rasa_format.read_rasa`.
    """

    examples: tuple[Example, ...]
    responses: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    data_hash: str = ""

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def texts(self) -> list[str]:
        return [e.text for e in self.examples]

    def labels_of_examples(self) -> list[str]:
        return [e.intent for e in self.examples]

    @classmethod
    def from_records(
        cls,
        examples: Sequence[tuple[str, str]],
        responses: Mapping[str, Any],
        labels: Mapping[str, Any],
    ) -> TrainingData:
        """Build and validate training data from records rather than files.

        ``examples`` are ``(intent, text)`` pairs; ``responses`` maps a
        response name to its Rasa variations and ``labels`` an intent to
        ``{language: title}``, as in the YAML files. The rules are the
        loader's: an example repeated within an intent is kept once, the same
        example under two intents is an error, so is an empty set of
        examples or a malformed response. A response variation without text,
        which an import would skip with a warning, is an error here: records
        are expected to be clean. Examples get source ``"record"`` and line 0;
        ``data_hash`` is :func:`content_hash`, so equal content always gives
        the same hash whatever the order of ``examples``.
        """
        problems: list[Problem] = []
        built: list[Example] = []
        for intent, text in examples:
            if not isinstance(intent, str) or not intent.strip() or "/" in intent:
                problems.append(Problem(RECORD_SOURCE, None, f"invalid intent name {intent!r}"))
            elif not isinstance(text, str) or not text.strip():
                problems.append(
                    Problem(RECORD_SOURCE, None, f"intent {intent!r}: empty example {text!r}")
                )
            else:
                built.append(Example(text, intent, RECORD_SOURCE, 0))
        kept = deduplicate(built, problems)
        if not kept and not problems:
            problems.append(Problem(RECORD_SOURCE, None, "no examples"))
        warnings: list[Problem] = []
        for name, variations in responses.items():
            check_response(str(name), variations, RECORD_SOURCE, None, problems, warnings)
        problems.extend(warnings)
        for intent, titles in labels.items():
            check_label(str(intent), titles, RECORD_SOURCE, None, problems)
        if problems:
            raise TrainingDataError(problems)
        # Copies, so a caller changing its dicts later cannot make the hash lie.
        own_responses = copy.deepcopy(dict(responses))
        own_labels = copy.deepcopy(dict(labels))
        return cls(
            tuple(kept), own_responses, own_labels, content_hash(kept, own_responses, own_labels)
        )


def normalize_example(text: str) -> str:
    """The form under which two examples count as "the same" (width, case, spaces)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def yaml_files(directory: Path) -> list[Path]:
    """The YAML files of a training folder (recursively), in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.suffix in _YAML_SUFFIXES and p.is_file())


def load_training_data(directory: Path) -> TrainingData:
    """Read every YAML file under ``directory`` and validate the whole.

    Raises :class:`TrainingDataError` listing every problem found: invalid
    YAML, an intent without examples, the same example under two intents, a
    folder without any example, malformed responses. What an import would
    report as a warning (a skipped synonym block, a response without text...)
    is skipped silently here.
    """
    # bot.rasa_format builds on this module's classes, hence the late import.
    from bot.rasa_format import parse_files

    if not directory.is_dir():
        raise TrainingDataError([Problem(str(directory), None, "not a directory")])
    digest = hashlib.sha256()
    problems: list[Problem] = []
    files: list[tuple[str, str]] = []
    for path in yaml_files(directory):
        raw = path.read_bytes()
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + raw + b"\0")
        try:
            files.append((str(path), raw.decode("utf-8")))
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), None, f"not UTF-8 text ({exc.reason})"))
    parsed = parse_files(files, str(directory), problems)
    if parsed.problems:
        raise TrainingDataError(parsed.problems)
    return TrainingData(tuple(parsed.examples), parsed.responses, parsed.labels, digest.hexdigest())


def content_hash(
    examples: Sequence[Example], responses: Mapping[str, Any], labels: Mapping[str, Any]
) -> str:
    """SHA-256 over a canonical JSON of the content: sorted (intent, text) pairs,
    and the response and label mappings with sorted keys.

    Where an example was written does not count; the order of a response's
    variations does (the first one of a language is the one shown).
    """
    canonical = json.dumps(
        {
            "examples": sorted([e.intent, e.text] for e in examples),
            "responses": responses,
            "labels": labels,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def deduplicate(examples: Sequence[Example], problems: list[Problem]) -> list[Example]:
    """Drop repeats within an intent; report the same example under two intents."""
    seen: dict[str, Example] = {}
    kept: list[Example] = []
    for example in examples:
        key = normalize_example(example.text)
        first = seen.get(key)
        if first is None:
            seen[key] = example
            kept.append(example)
        elif first.intent != example.intent:
            where = f" at {first.source}:{first.line}" if first.line else ""
            problems.append(
                Problem(
                    example.source,
                    example.line or None,
                    f"example {example.text!r} of intent {example.intent!r} is already an example "
                    f"of intent {first.intent!r}{where}",
                )
            )
    return kept


def check_response(
    name: str,
    variations: Any,
    source: str,
    line: int | None,
    problems: list[Problem],
    warnings: list[Problem],
    variation_lines: Sequence[int] | None = None,
) -> list[dict[str, Any]] | None:
    """Validate the variations of response ``name``; return those tsunagu can show.

    ``source`` and ``line`` locate the response (``variation_lines``, when
    known, each variation). Rasa allows variations without text (``custom:``,
    ``image:``): they are dropped with a warning, and a response left with
    none is dropped with one warning. Anything else malformed (not a list, a
    variation that is not a mapping, a text that is not a string, buttons
    without title or payload) goes to ``problems``. ``None`` when nothing is
    kept.
    """
    if not isinstance(variations, list) or not variations:
        problems.append(Problem(source, line, f"response {name!r}: expected a list of variations"))
        return None
    kept: list[dict[str, Any]] = []
    skipped: list[Problem] = []
    failed = False
    for index, variation in enumerate(variations):
        where = variation_lines[index] if variation_lines else line
        if isinstance(variation, dict) and "text" not in variation:
            skipped.append(
                Problem(
                    source,
                    where,
                    f"response {name!r}: a variation without text was skipped "
                    "(tsunagu shows text answers only)",
                )
            )
            continue
        error = _variation_error(variation)
        if error:
            problems.append(Problem(source, where, f"response {name!r}: {error}"))
            failed = True
            continue
        kept.append(_shown(variation))
    if not kept and not failed:
        # One warning says it all; one per variation would only repeat it.
        warnings.append(
            Problem(source, line, f"response {name!r} skipped: none of its variations has text")
        )
        return None
    warnings.extend(skipped)
    return kept or None


def _shown(variation: dict[str, Any]) -> dict[str, Any]:
    """The parts of a variation tsunagu uses (text, buttons, language); nothing else is kept."""
    out: dict[str, Any] = {"text": variation["text"]}
    language = (variation.get("metadata") or {}).get("language")
    if language is not None:
        out["metadata"] = {"language": str(language)}
    if variation.get("buttons"):
        out["buttons"] = [{"title": str(b["title"]), "payload": str(b["payload"])}
                          for b in variation["buttons"]]
    return out


def _variation_error(variation: Any) -> str | None:
    if not isinstance(variation, dict):
        return "a variation has no text"
    if not isinstance(variation.get("text"), str):
        return "a variation's 'text' is not a string"
    metadata = variation.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "'metadata' must be a mapping"
    buttons = variation.get("buttons")
    if buttons is None:
        return None
    if not isinstance(buttons, list) or not all(
        isinstance(b, dict) and b.get("title") is not None and b.get("payload") is not None
        for b in buttons
    ):
        return "'buttons' must be a list of mappings with 'title' and 'payload'"
    return None


def check_label(
    intent: str, titles: Any, source: str, line: int | None, problems: list[Problem]
) -> bool:
    """Whether ``titles`` (the labels of ``intent``) is usable: ``{language: title}`` or empty."""
    if titles is None or (isinstance(titles, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in titles.items())):
        return True
    problems.append(
        Problem(source, line, f"labels: {intent!r}: expected a mapping of language to title")
    )
    return False
