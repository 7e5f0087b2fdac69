"""Site facts: the shop's own figures (shipping fee, support address, hours…) that
response texts name as ``{shipping_fee}``, so the bot says what the site says.

Facts are plain text by name. The defaults ship with the training data
(``site_facts.json`` beside the YAML files); an admin overrides them in the
gateway (``/api/admin/site-facts``). Rendering never fails: a name without a
fact stays visible as ``{name}``, so a missing fact shows rather than crashes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

#: The file of default facts in a training data folder.
DEFAULTS_FILE = "site_facts.json"
#: A fact's name: lower case letters, digits and ``_``, starting with a letter.
FACT_NAME = r"^[a-z][a-z0-9_]{0,39}$"
#: The longest fact value, in characters.
MAX_VALUE = 500

_NAME = re.compile(FACT_NAME)
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]{0,39})\}")
_TAG = re.compile(r"<[a-zA-Z/!]")


def render(template: str, facts: Mapping[str, str]) -> str:
    """``template`` with each ``{name}`` replaced by ``facts[name]``.

    Unknown names are left as they are (``{name}``); any other brace (a
    literal ``{`` in an answer) is untouched. One pass: a fact's own text is
    never expanded again.
    """
    if "{" not in template:
        return template
    return _PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), template)


def placeholders(template: str) -> set[str]:
    """The fact names ``template`` uses."""
    return set(_PLACEHOLDER.findall(template))


def problem_with(name: str, value: str) -> str | None:
    """Why ``name = value`` is not a valid fact, or ``None`` when it is.

    Facts are plain text on one line: no HTML tags (the widget shows text,
    a tag would show as such), no control characters, at most
    :data:`MAX_VALUE` characters.
    """
    if not _NAME.match(name):
        return f"{name!r}: a fact name is lower case letters, digits and _ (at most 40)"
    if len(value) > MAX_VALUE:
        return f"{name}: at most {MAX_VALUE} characters"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return f"{name}: one line of plain text (no control characters)"
    if _TAG.search(value):
        return f"{name}: plain text only, no HTML"
    return None


def load_defaults(training_dir: Path) -> dict[str, str]:
    """The default facts of a training data folder (``{}`` when it has none).

    Raises ``ValueError`` naming the file when it is not a JSON object of
    valid facts.
    """
    path = training_dir / DEFAULTS_FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object of name: text")
    facts: dict[str, str] = {}
    for name, value in raw.items():
        problem = problem_with(str(name), str(value)) if isinstance(value, str) else (
            f"{name}: a fact is text")
        if problem is not None:
            raise ValueError(f"{path}: {problem}")
        facts[str(name)] = value
    return facts
