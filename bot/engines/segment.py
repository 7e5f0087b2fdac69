"""Word tokens for the built-in engine's word featurizer.

Two tokenizers, chosen by name (the name is what a saved model records, so
loading a model never executes stored code):

``"regex"``
    the first engine's tokens: Latin/digit runs, and for Japanese runs of one
    script (kanji compounds, katakana words, hiragana runs).
``"unidic"``
    Japanese text is segmented by MeCab (``fugashi``) with the UniDic
    dictionary that ships in the ``unidic-lite`` package, and each word is
    reduced to its lemma, so 「届かない」 and 「とどかない」 both give 届く + ない;
    text without Japanese characters keeps the regex tokens.

Character n-grams stay beside either (see :mod:`bot.engines.builtin`): they
carry typos and spelling variants, the words carry meaning.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

_REGEX_TOKENS = re.compile(r"[a-z0-9]+|[一-龥々〆ヵヶ]+|[ァ-ヴー]+|[ぁ-ん]+|\w+")
_JAPANESE = re.compile(r"[ぁ-んァ-ヴー一-龥々〆ヵヶ]")
_WORD = re.compile(r"\w")
# MeCab taggers are not safe to share between threads (training fits folds in
# a thread pool), so each thread gets its own; building one takes ~10 ms.
_local = threading.local()

TOKENIZERS = ("regex", "unidic")


def regex_tokens(text: str) -> list[str]:
    """The first engine's word tokens of an already normalised ``text``."""
    return _REGEX_TOKENS.findall(text)


def unidic_tokens(text: str) -> list[str]:
    """Lemmas of the words of ``text`` when it has Japanese, else :func:`regex_tokens`.

    ``text`` is already normalised (NFKC, lower case). Punctuation is dropped;
    UniDic's lemma of a loanword carries its English origin (``カード-card``),
    which is cut off; a word unknown to the dictionary keeps its surface form.
    """
    if not _JAPANESE.search(text):
        return regex_tokens(text)
    tokens = []
    for word in _tagger()(text):
        surface = word.surface
        if not _WORD.search(surface):
            continue
        lemma = word.feature.lemma
        tokens.append(lemma.split("-", 1)[0] if lemma else surface)
    return tokens


def tokenizer(name: str) -> Callable[[str], list[str]]:
    """The tokenizer called ``name`` (one of :data:`TOKENIZERS`); ``ValueError`` otherwise."""
    if name == "regex":
        return regex_tokens
    if name == "unidic":
        return unidic_tokens
    raise ValueError(f"unknown tokenizer {name!r} (known: {', '.join(TOKENIZERS)})")


def _tagger():  # type: ignore[no-untyped-def]
    tagger = getattr(_local, "tagger", None)
    if tagger is None:
        # Imported here: only models that use it pay for loading the dictionary.
        import fugashi

        tagger = _local.tagger = fugashi.Tagger()
    return tagger
