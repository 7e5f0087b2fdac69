"""Rasa 3.x YAML training data: one reader for folders and uploads, and the export.

:func:`read_rasa` parses files held in memory (the admin import);
:func:`bot.training_data.load_training_data` reads a folder and hands its
files to the same parser (:func:`parse_files`). :func:`write_rasa` exports
:class:`~bot.training_data.TrainingData` as a Rasa project's files.

What is read, from any file:

``nlu``
    ``- intent: NAME`` blocks whose ``examples`` are either a ``|`` block of
    ``- example`` lines or a list of ``- text: ...`` items (their
    ``metadata``, like an intent block's, is ignored). Entity markup
    (``[text](entity)``, ``[text]{"entity": ...}``) is reduced to its text;
    ``synonym``/``regex``/``lookup`` blocks are skipped; all of these
    together get ONE warning (:func:`unused_warning`), at the first of them.
    Retrieval intents (``faq/ask_x``) are skipped with a warning each.
``responses``
    Rasa domain responses; each variation may carry ``metadata: {language:
    ja|en}`` and ``buttons`` (our quick replies); other keys of a variation
    (``image``, ``custom``, ``condition``, ``channel``, ``id``...) are
    accepted and not kept. Variations without text (``custom:`` or
    ``image:`` only) are skipped with a warning: the built-in engine shows
    text answers; a Rasa assistant (``TSUNAGU_BOT=rasa``) sends its own.
``labels``
    Our own key (Rasa ignores it): a short button title per intent and language.

Domain and config keys (``intents``, ``slots``, ``pipeline``...) are ignored
silently; ``stories``/``rules`` and unknown keys with a warning.

Plain scalars are resolved as in YAML 1.2, which Rasa's reader uses: ``no``,
``on`` or ``2024-01-01`` stay strings instead of PyYAML's YAML 1.1 booleans
and dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import yaml

from bot.errors import Problem, TrainingDataError
from bot.training_data import (
    Example,
    TrainingData,
    check_label,
    check_response,
    content_hash,
    deduplicate,
)

RASA_VERSION = "3.1"
NLU_FILE = "data/nlu.yml"
DOMAIN_FILE = "domain.yml"
LABELS_FILE = "labels.yml"

# Rasa's entity forms: [text](entity), [text](entity:value), [text]{"entity": ...}
# and [text][{"entity": ...}, {...}] (several entities on one text).
_ENTITY_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\}|\[\s*\{.*?\}\s*\])")
_YAML_SUFFIXES = (".yml", ".yaml")
_SKIPPED_NLU = ("synonym", "regex", "lookup")
# How the one warning about them names each kind: (one, several).
_UNUSED_NAMES = {
    "entity": ("entity annotation", "entity annotations"),
    "synonym": ("synonym", "synonyms"),
    "regex": ("regular expression", "regular expressions"),
    "lookup": ("lookup table", "lookup tables"),
}
_SILENT_KEYS = frozenset(
    {
        # domain.yml
        "version", "intents", "entities", "slots", "forms", "actions", "session_config",
        "e2e_actions", "config",
        # config.yml
        "recipe", "language", "pipeline", "policies", "assistant_id",
    }
)  # fmt: skip
_DIALOGUE_KEYS = ("stories", "rules")
# What PyYAML's emitter can write inside a literal block: anything else makes
# it fall back to a quoted scalar, which would no longer be "- text" lines.
# \x85, \u2028 and \u2029 are line breaks to PyYAML.
_NOT_IN_LITERAL = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]+"
)


class _Yaml12Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """PyYAML's safe loader with YAML 1.2 core-schema resolution of plain scalars.

    On libyaml's parser when PyYAML has it: the pure-Python one takes most of
    a second for the default training data, which every first start reads.
    """

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}


# YAML 1.2 core schema; also given to the dumper (below) so that a string
# either reader would take for a number or a boolean is written quoted.
_YAML12_RESOLVERS = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("merge", r"^(?:<<)$", "<"),
)
for _tag, _pattern, _first in _YAML12_RESOLVERS:
    _Yaml12Loader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    # PyYAML's own reads "010" as octal (YAML 1.1); YAML 1.2 says ten.
    value = str(loader.construct_scalar(node))
    if value.startswith(("0o", "0x")):
        return int(value[2:], 8 if value[1] == "o" else 16)
    return int(value)


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


@dataclass(frozen=True)
class ImportResult:
    """What reading Rasa files produced.

    ``data`` is the validated training data; ``warnings`` are what was
    skipped on the way (entity markup, synonyms, responses without text...),
    each with its file and line, none of which stopped the import.
    """

    data: TrainingData
    warnings: list[Problem]


@dataclass(frozen=True, slots=True)
class Unused:
    """Something of Rasa's NLU the built-in engine does not use, where it was found.

    ``kind`` is ``entity`` (an annotated example: its text is kept, the
    markup dropped), ``synonym``, ``regex`` or ``lookup`` (a whole block,
    ``name`` its name).
    """

    kind: str
    name: str | None
    source: str
    line: int


@dataclass
class ParsedFiles:
    """The raw outcome of :func:`parse_files`, before it becomes :class:`TrainingData`."""

    examples: list[Example] = field(default_factory=list)
    responses: dict[str, Any] = field(default_factory=dict)
    labels: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    response_names: set[str] = field(default_factory=set)
    unused: list[Unused] = field(default_factory=list)


def read_rasa(files: Sequence[tuple[str, str]]) -> ImportResult:
    """Read Rasa 3.x YAML files given in memory and validate the whole.

    Each item of ``files`` is ``(name, text)``: the name is how the file is
    shown in problems and warnings (e.g. ``"data/nlu.yml"``), the text its
    content. Files whose name does not end in ``.yml``/``.yaml`` are skipped
    with a warning. Raises :class:`~bot.errors.TrainingDataError` listing
    every problem with its file and line; ``data.data_hash`` is
    :func:`~bot.training_data.content_hash`, so it does not depend on how the
    content was split into files.
    """
    names = [name for name, _ in files]
    parsed = parse_files(files, ", ".join(names) or "(no files)")
    if parsed.problems:
        raise TrainingDataError(parsed.problems)
    data = TrainingData(
        tuple(parsed.examples),
        parsed.responses,
        parsed.labels,
        content_hash(parsed.examples, parsed.responses, parsed.labels),
    )
    return ImportResult(data, parsed.warnings)


def parse_files(
    files: Sequence[tuple[str, str]], where: str, problems: list[Problem] | None = None
) -> ParsedFiles:
    """Parse ``files`` (``(name, text)`` pairs) and check them as one data set.

    ``where`` names the whole set in problems that are about no one file (no
    example at all); ``problems`` may already hold problems the caller found
    (e.g. a file that is not UTF-8); it is extended, never raised: callers
    decide what to do with :attr:`ParsedFiles.problems`.
    """
    out = ParsedFiles(problems=problems if problems is not None else [])
    for name, text in files:
        if not name.endswith(_YAML_SUFFIXES):
            out.warnings.append(Problem(name, None, "not a .yml/.yaml file: ignored"))
            continue
        _read_file(name, text, out)
    if out.unused:
        out.warnings.append(unused_warning(out.unused))
    out.examples = deduplicate(out.examples, out.problems)
    if not out.examples and not out.problems:
        out.problems.append(Problem(where, None, "no NLU examples found in any YAML file"))
    return out


def unused_warning(unused: Sequence[Unused]) -> Problem:
    """The one warning for every entity, synonym, regex and lookup of a data set.

    Rasa's entity extraction, synonyms, regex features and lookup tables have
    no counterpart in the built-in engine (it classifies intents only), and a
    ``rasa init`` project has dozens of them: one warning, at the first one,
    says what was left out instead of one per example. With ``TSUNAGU_BOT=rasa``
    the Rasa server uses them as usual.
    """
    counts: dict[str, int] = {}
    names: dict[str, list[str]] = {}
    for item in unused:
        counts[item.kind] = counts.get(item.kind, 0) + 1
        if item.name is not None:
            names.setdefault(item.kind, []).append(item.name)
    parts = []
    for kind, (one, several) in _UNUSED_NAMES.items():
        count = counts.get(kind, 0)
        if not count:
            continue
        part = f"{count} {one if count == 1 else several}"
        if kind in names:
            part += " (" + ", ".join(repr(name) for name in names[kind]) + ")"
        parts.append(part)
    message = "ignored, the built-in engine classifies intents only: " + ", ".join(parts)
    if "entity" in counts:
        message += " (the examples are kept without their entity markup)"
    first = unused[0]
    return Problem(first.source, first.line, message)


def _first_alias(root: yaml.Node) -> yaml.Node | None:
    """A node reached twice (through an alias), or ``None``; each node is visited once."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
    return None


def _read_file(source: str, text: str, out: ParsedFiles) -> None:
    try:
        root = yaml.compose(text, Loader=_Yaml12Loader)
    except yaml.YAMLError as exc:
        out.problems.append(Problem(source, _mark_line(exc), f"invalid YAML: {_yaml_reason(exc)}"))
        return
    if root is None:
        return
    shared = _first_alias(root)
    if shared is not None:
        # An alias repeats a node: a few hundred bytes of nested aliases expand
        # to gigabytes ("billion laughs"). Training data has no need for them.
        out.problems.append(Problem(source, _line(shared), "YAML anchors and aliases (&, *) "
                                    "are not supported: write the value out"))
        return
    if not isinstance(root, yaml.MappingNode):
        out.problems.append(Problem(source, _line(root), "expected a mapping at the top level"))
        return
    first_warning = len(out.warnings)
    for key_node, value_node in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key == "nlu":
            out.examples.extend(_read_nlu(value_node, source, out))
        elif key == "responses":
            _read_responses(value_node, source, out)
        elif key == "labels":
            _read_labels(value_node, source, out)
        elif key in _DIALOGUE_KEYS:
            out.warnings.append(
                Problem(
                    source,
                    _line(key_node),
                    f"{key} ignored: tsunagu does not use Rasa {key} (its dialogue is built in)",
                )
            )
        elif key not in _SILENT_KEYS:
            out.warnings.append(
                Problem(
                    source,
                    _line(key_node),
                    f"key {key!r} ignored: tsunagu reads only nlu, responses and labels",
                )
            )
    out.warnings[first_warning:] = sorted(out.warnings[first_warning:], key=lambda w: w.line or 0)


def _read_nlu(node: yaml.Node, source: str, out: ParsedFiles) -> Iterator[Example]:
    if _is_null(node):
        return
    if not isinstance(node, yaml.SequenceNode):
        out.problems.append(Problem(source, _line(node), "nlu: expected a list of intent blocks"))
        return
    for block in node.value:
        if not isinstance(block, yaml.MappingNode):
            out.problems.append(Problem(source, _line(block), "nlu: expected '- intent: NAME'"))
            continue
        fields = {k.value: v for k, v in block.value if isinstance(k, yaml.ScalarNode)}
        if "intent" not in fields:
            skipped = [kind for kind in _SKIPPED_NLU if kind in fields]
            if not skipped:
                out.problems.append(Problem(source, _line(block), "nlu block without 'intent'"))
            for kind in skipped:
                value = fields[kind]
                label = value.value if isinstance(value, yaml.ScalarNode) else "?"
                out.unused.append(Unused(kind, str(label), source, _line(block)))
            continue
        intent_node = fields["intent"]
        intent = str(intent_node.value).strip() if isinstance(intent_node, yaml.ScalarNode) else ""
        if not intent:
            out.problems.append(Problem(source, _line(intent_node), "intent name is empty"))
            continue
        if "/" in intent:
            out.warnings.append(
                Problem(
                    source,
                    _line(intent_node),
                    f"retrieval intent {intent!r} ignored: tsunagu does not use retrieval intents",
                )
            )
            continue
        found = list(_read_examples(fields.get("examples"), intent, source, out))
        if not found:
            out.problems.append(
                Problem(source, _line(intent_node), f"intent {intent!r} has no examples")
            )
        yield from found


def _read_examples(
    node: yaml.Node | None, intent: str, source: str, out: ParsedFiles
) -> Iterator[Example]:
    if node is None or _is_null(node):
        return
    if isinstance(node, yaml.SequenceNode):
        yield from _read_example_list(node, intent, source, out)
        return
    if not isinstance(node, yaml.ScalarNode):
        out.problems.append(
            Problem(
                source,
                _line(node),
                f"intent {intent!r}: examples must be a '|' block of '- ' lines "
                "or a list of '- text:' items",
            )
        )
        return
    first = _content_line(node)
    for offset, raw_line in enumerate(node.value.split("\n")):
        stripped = raw_line.strip()
        if not stripped:
            continue
        if not stripped.startswith("-"):
            out.problems.append(
                Problem(source, first + offset, f"intent {intent!r}: example must start with '- '")
            )
            continue
        example = _example(stripped[1:], intent, source, first + offset, out)
        if example is not None:
            yield example


def _read_example_list(
    node: yaml.SequenceNode, intent: str, source: str, out: ParsedFiles
) -> Iterator[Example]:
    """Rasa's other form: ``- text: ...`` items, each with optional (ignored) ``metadata``."""
    for item in node.value:
        text_node = None
        if isinstance(item, yaml.MappingNode):
            text_node = next(
                (v for k, v in item.value if isinstance(k, yaml.ScalarNode) and k.value == "text"),
                None,
            )
        if not isinstance(text_node, yaml.ScalarNode):
            out.problems.append(
                Problem(source, _line(item), f"intent {intent!r}: expected '- text: EXAMPLE'")
            )
            continue
        # The raw scalar, not a resolved value: "- text: no" is the word, not False.
        # A multi-line text (a "|" block) is one utterance: its lines are joined.
        raw = " ".join(part.strip() for part in text_node.value.splitlines() if part.strip())
        example = _example(raw, intent, source, _content_line(text_node), out)
        if example is not None:
            yield example


def _example(raw: str, intent: str, source: str, line: int, out: ParsedFiles) -> Example | None:
    text, marked = _ENTITY_MARKUP.subn(r"\1", raw.strip())
    if marked:
        out.unused.append(Unused("entity", None, source, line))
    text = text.strip()
    return Example(text, intent, source, line) if text else None


def _read_responses(node: yaml.Node, source: str, out: ParsedFiles) -> None:
    if _is_null(node):
        return
    if not isinstance(node, yaml.MappingNode):
        out.problems.append(Problem(source, _line(node), "responses: expected a mapping"))
        return
    for key_node, value_node in node.value:
        name = str(key_node.value)
        line = _line(key_node)
        if name in out.response_names:
            out.problems.append(Problem(source, line, f"responses: {name!r} defined twice"))
            continue
        out.response_names.add(name)
        if "/" in name:
            out.warnings.append(
                Problem(
                    source,
                    line,
                    f"response {name!r} ignored: tsunagu does not use retrieval intents",
                )
            )
            continue
        variations = _to_python(value_node, source, out.problems)
        if variations is _INVALID:
            continue
        lines = (
            [_line(item) for item in value_node.value]
            if isinstance(value_node, yaml.SequenceNode)
            else None
        )
        kept = check_response(name, variations, source, line, out.problems, out.warnings, lines)
        if kept is not None:
            out.responses[name] = kept


def _read_labels(node: yaml.Node, source: str, out: ParsedFiles) -> None:
    if _is_null(node):
        return
    if not isinstance(node, yaml.MappingNode):
        out.problems.append(Problem(source, _line(node), "labels: expected a mapping"))
        return
    for key_node, value_node in node.value:
        intent = str(key_node.value)
        line = _line(key_node)
        if intent in out.labels:
            out.problems.append(Problem(source, line, f"labels: {intent!r} defined twice"))
            continue
        titles = _to_python(value_node, source, out.problems)
        if titles is not _INVALID and check_label(intent, titles, source, line, out.problems):
            out.labels[intent] = titles


def write_rasa(data: TrainingData) -> dict[str, str]:
    """Export ``data`` as the files of a Rasa 3.x project: path -> YAML text.

    ``data/nlu.yml`` holds one ``- intent:`` block per intent (sorted) with an
    ``examples: |`` literal block, ``domain.yml`` the list of intents and the
    responses exactly as stored, ``labels.yml`` our labels (kept apart so
    that Rasa's files hold only what Rasa defines; Rasa 3.6 skips an unknown
    file in ``data/`` and tolerates unknown keys, but neither is documented).

    An example is one line of the literal block, so its line breaks (and the
    few characters a YAML literal block cannot hold: control characters such
    as tabs, a byte-order mark) become spaces, and the text is stripped; an
    example left empty is not written. Nothing is escaped: a text that
    looks like entity markup (``[x](y)``) is read by Rasa, and by
    :func:`read_rasa`, as an entity annotation.
    """
    by_intent: dict[str, list[str]] = {}
    for example in data.examples:
        text = _NOT_IN_LITERAL.sub(" ", example.text).strip()
        if text:
            by_intent.setdefault(example.intent, []).append(text)
    nlu = [
        {"intent": intent, "examples": _Literal("".join(f"- {t}\n" for t in by_intent[intent]))}
        for intent in sorted(by_intent)
    ]
    return {
        NLU_FILE: _dump({"nlu": nlu}, with_version=True),
        DOMAIN_FILE: _dump(
            {"intents": data.intents, "responses": dict(data.responses)}, with_version=True
        ),
        LABELS_FILE: _dump({"labels": dict(data.labels)}, with_version=False),
    }


class _Literal(str):
    """A string written as a YAML literal block (``|``)."""

    __slots__ = ()


class _Dumper(yaml.SafeDumper):
    """The safe dumper, plus literal blocks, and no ``&id001`` anchors for shared objects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="|")


_Dumper.add_representer(_Literal, _represent_literal)
for _tag, _pattern, _first in _YAML12_RESOLVERS:
    _Dumper.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), _first)


def _dump(content: Mapping[str, Any], *, with_version: bool) -> str:
    # Written by hand so it reads exactly as in Rasa's own files ("3.1", not '3.1').
    header = f'version: "{RASA_VERSION}"\n' if with_version else ""
    return header + yaml.dump(
        content, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1 << 30
    )


_INVALID: Any = object()


def _to_python(node: yaml.Node, source: str, problems: list[Problem]) -> Any:
    """The value of ``node`` (``_INVALID``, with a problem, if it cannot be built)."""
    loader = _Yaml12Loader("")
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        line = _mark_line(exc) or _line(node)
        problems.append(Problem(source, line, f"invalid YAML: {_yaml_reason(exc)}"))
        return _INVALID
    finally:
        loader.dispose()


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def _content_line(node: yaml.ScalarNode) -> int:
    # In a block scalar ("|") the content starts on the line after the
    # indicator; plain or quoted scalars start on their own line.
    return node.start_mark.line + (2 if node.style in ("|", ">") else 1)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mark_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


def _yaml_reason(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]
