"""Group visitor messages that say the same thing, so an admin can label them at once.

Texts become TF-IDF vectors of character n-grams (``char_wb``, 2 to 4
characters, on NFKC-lowercased text): no word tokenizer is needed, so
Japanese works as well as English, and spelling variants (full-width letters,
half-width kana, typos) still share most of their n-grams. Agglomerative
clustering with average linkage over cosine distances then merges groups
while the mean distance between their members stays below ``max_distance``.

Japanese has no spaces, so ``char_wb`` would see a whole sentence as one
word. :func:`normalize` puts a space wherever the script changes (kanji,
katakana, hiragana, the rest): a kanji compound or katakana word (包装,
ラッピング) then gets its own n-grams, padded at both ends, and n-grams that
straddle a content word and the grammar around it (``装は``) disappear. On the
bot's own Japanese training data this groups more messages at the same
purity; English is unchanged but for punctuation, which is dropped.

What it cannot do is see synonyms: ギフト包装 and ラッピング share no
characters, so two messages that have only those in common stay apart unless
other messages bridge them.

Pure computation: no I/O, deterministic for the same input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

#: The most texts :func:`group_similar` accepts. Clustering needs the full
#: matrix of pairwise distances: 2,000 texts are 32 MB of float64 (and well
#: under a second); the cost grows with the square of the count.
MAX_TEXTS = 2000

_KANJI = "\u3400-\u4dbf\u4e00-\u9fff\u3005\u3006"  # with 々 and 〆
_HIRAGANA = "\u3040-\u309f"
_KATAKANA = "\u30a0-\u30ff"  # with the long vowel mark ー
# One run of a single script; anything that is not a letter or digit separates runs.
_RUNS = re.compile(
    f"[{_KANJI}]+|[{_HIRAGANA}]+|[{_KATAKANA}]+|[^\\W_{_KANJI}{_HIRAGANA}{_KATAKANA}]+"
)


def normalize(text: str) -> str:
    """The form texts are compared in: NFKC, lower case, punctuation dropped, and
    one space between words and wherever the script changes (ギフト包装は → ギフト 包装 は)."""
    return " ".join(_RUNS.findall(unicodedata.normalize("NFKC", text).lower()))


def group_similar(texts: Sequence[str], *, max_distance: float = 0.6) -> list[list[int]]:
    """Indices of ``texts`` grouped by similarity.

    ``texts``: at most :data:`MAX_TEXTS` messages (more raise ``ValueError``;
    the caller chooses which to keep, e.g. the most recent). ``max_distance``:
    two groups are merged while the mean cosine distance between their
    members (0 identical, 1 nothing in common) is below it; lower gives
    smaller, purer groups. An admin labels a whole group at once, so the
    default leans to purity: on the bot's training data about nine in ten
    grouped messages share their group's majority intent.

    Returns every index exactly once: groups sorted by size (largest first),
    then by their first index; indices ascending inside a group. Texts equal
    after :func:`normalize` always share a group.
    """
    if len(texts) > MAX_TEXTS:
        raise ValueError(f"group_similar takes at most {MAX_TEXTS} texts, got {len(texts)}")
    if not 0.0 <= max_distance <= 1.0:
        raise ValueError("max_distance must be between 0 and 1")
    # Cluster each distinct text once: identical texts cannot be split, and
    # the matrix is only as large as the number of distinct texts.
    members: dict[str, list[int]] = {}
    for index, text in enumerate(texts):
        members.setdefault(normalize(text), []).append(index)
    distinct = list(members)
    labels = _cluster(distinct, max_distance)
    grouped: dict[int, list[int]] = {}
    for label, key in zip(labels, distinct, strict=True):
        grouped.setdefault(label, []).extend(members[key])
    groups = [sorted(indices) for indices in grouped.values()]
    groups.sort(key=lambda g: (-len(g), g[0]))
    return groups


def _cluster(distinct: list[str], max_distance: float) -> list[int]:
    """A cluster label per distinct normalised text."""
    if len(distinct) < 2:
        return list(range(len(distinct)))
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), lowercase=False, sublinear_tf=True,
        dtype=np.float64,
    )
    try:
        matrix = vectorizer.fit_transform(distinct)
    except ValueError:
        # Not one n-gram in any text (all blank or punctuation): nothing to compare.
        return list(range(len(distinct)))
    # Rows are L2-normalised, so the dot product is the cosine similarity.
    similarity = (matrix @ matrix.T).toarray()
    distances = np.clip(1.0 - similarity, 0.0, 1.0)
    np.fill_diagonal(distances, 0.0)
    clustering = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average",
        distance_threshold=max_distance,
    )
    return [int(label) for label in clustering.fit_predict(distances)]
