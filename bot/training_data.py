"""Read and validate training data written in Rasa 3.x YAML.

A training folder holds any number of ``*.yml``/``*.yaml`` files. Three
top-level keys are understood (others, like Rasa's ``version``, are ignored):

``nlu``
    Rasa NLU blocks ``- intent: NAME`` with ``examples: |`` and one
    ``- example`` per line. Rasa entity markup ``[text](entity)`` is reduced to
    its text. ``synonym``/``regex``/``lookup`` blocks are skipped.
``responses``
    Rasa domain responses; each variation may carry
    ``metadata: {language: ja|en}`` and ``buttons`` (our quick replies).
``labels``
    Our own (Rasa ignores it): a short button title per intent and language.

Every problem found is reported with its file and line in one
:class:`~bot.errors.TrainingDataError`, before anything is trained, so a bad
edit never replaces the model that is serving.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.errors import Problem, TrainingDataError
from bot.language import detect_language

_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_YAML_SUFFIXES = (".yml", ".yaml")


@dataclass(frozen=True, slots=True)
class Example:
    """One training utterance and where it was written."""

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
    :mod:`bot.responses` for their meaning); ``data_hash`` is a SHA-256 over
    the files read, recorded in model metadata to tell which data a model saw.
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
    folder without any example, malformed responses.
    """
    problems: list[Problem] = []
    if not directory.is_dir():
        raise TrainingDataError([Problem(str(directory), None, "not a directory")])
    files = yaml_files(directory)
    digest = hashlib.sha256()
    examples: list[Example] = []
    responses: dict[str, Any] = {}
    labels: dict[str, Any] = {}
    for path in files:
        raw = path.read_bytes()
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0" + raw + b"\0")
        source = str(path)
        try:
            root = yaml.compose(raw.decode("utf-8"), Loader=yaml.SafeLoader)
        except UnicodeDecodeError as exc:
            problems.append(Problem(source, None, f"not UTF-8 text ({exc.reason})"))
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problems.append(Problem(source, line, f"invalid YAML: {_yaml_reason(exc)}"))
            continue
        if root is None:
            continue
        if not isinstance(root, yaml.MappingNode):
            problems.append(Problem(source, _line(root), "expected a mapping at the top level"))
            continue
        for key_node, value_node in root.value:
            key = key_node.value
            if key == "nlu":
                examples.extend(_read_nlu(value_node, source, problems))
            elif key in ("responses", "labels"):
                value = yaml.safe_load(yaml.serialize(value_node)) or {}
                if not isinstance(value, dict):
                    problems.append(
                        Problem(source, _line(value_node), f"{key}: expected a mapping")
                    )
                    continue
                target = responses if key == "responses" else labels
                for name in value:
                    if name in target:
                        problems.append(
                            Problem(source, _line(value_node), f"{key}: {name!r} defined twice")
                        )
                target.update(value)
    examples = _deduplicate(examples, problems)
    if not examples and not problems:
        problems.append(Problem(str(directory), None, "no NLU examples found in any YAML file"))
    problems.extend(_check_responses(responses, str(directory)))
    if problems:
        raise TrainingDataError(problems)
    return TrainingData(tuple(examples), responses, labels, digest.hexdigest())


def _read_nlu(node: yaml.Node, source: str, problems: list[Problem]) -> Iterator[Example]:
    if not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(source, _line(node), "nlu: expected a list of intent blocks"))
        return
    for block in node.value:
        if not isinstance(block, yaml.MappingNode):
            problems.append(Problem(source, _line(block), "nlu: expected '- intent: NAME'"))
            continue
        fields = {k.value: v for k, v in block.value}
        if "intent" not in fields:
            if not fields.keys() & {"synonym", "regex", "lookup"}:
                problems.append(Problem(source, _line(block), "nlu block without 'intent'"))
            continue
        intent_node = fields["intent"]
        intent = str(intent_node.value).strip() if isinstance(intent_node, yaml.ScalarNode) else ""
        if not intent:
            problems.append(Problem(source, _line(intent_node), "intent name is empty"))
            continue
        found = list(_read_examples(fields.get("examples"), intent, source, problems))
        if not found:
            problems.append(
                Problem(source, _line(intent_node), f"intent {intent!r} has no examples")
            )
        yield from found


def _read_examples(
    node: yaml.Node | None, intent: str, source: str, problems: list[Problem]
) -> Iterator[Example]:
    if node is None:
        return
    if not isinstance(node, yaml.ScalarNode):
        problems.append(
            Problem(
                source,
                _line(node),
                f"intent {intent!r}: examples must be a '|' block of '- ' lines",
            )
        )
        return
    # In a block scalar ("|") the content starts on the line after the
    # indicator; plain or quoted scalars start on their own line.
    first = node.start_mark.line + (2 if node.style in ("|", ">") else 1)
    for offset, raw_line in enumerate(node.value.split("\n")):
        stripped = raw_line.strip()
        if not stripped:
            continue
        if not stripped.startswith("-"):
            problems.append(
                Problem(source, first + offset, f"intent {intent!r}: example must start with '- '")
            )
            continue
        text = _ENTITY_MARKUP.sub(r"\1", stripped[1:].strip()).strip()
        if text:
            yield Example(text, intent, source, first + offset)


def _deduplicate(examples: list[Example], problems: list[Problem]) -> list[Example]:
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
            problems.append(
                Problem(
                    example.source,
                    example.line,
                    f"example {example.text!r} of intent {example.intent!r} is already an example "
                    f"of intent {first.intent!r} at {first.source}:{first.line}",
                )
            )
    return kept


def _check_responses(responses: dict[str, Any], source: str) -> list[Problem]:
    problems = []
    for name, variations in responses.items():
        if not isinstance(variations, list) or not variations:
            problems.append(
                Problem(source, None, f"response {name!r}: expected a list of variations")
            )
            continue
        for variation in variations:
            if not isinstance(variation, dict) or not isinstance(variation.get("text"), str):
                problems.append(
                    Problem(source, None, f"response {name!r}: a variation has no text")
                )
    return problems


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]
