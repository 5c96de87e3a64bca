"""Gap groups merged by meaning: 'mTLS between istio sidecars and vault' meets 'mutual tls ... vault'.

The word-based groups of `gaps` come in most-asked first. With the sentence-embedding model, each
of the first `MAX_EMBEDDED` groups is embedded once (its most common phrasing) and joins the nearest
existing cluster centroid when the cosine reaches `THRESHOLD`, unless

* both name numbers (CVE ids, versions) and they differ, or
* the two differ by a one- or two-word swap in the same frame ("CVE for runc" / "CVE for containerd",
  "pod security admission" / "pod security policy") whose swapped words mean different things.

Each embedded group adds at most one centroid, so the cost is bounded by `MAX_EMBEDDED` (one matrix
product with at most that many rows per group) whatever the number of questions. Without a model, or
for groups past `MAX_EMBEDDED`, the word-based grouping stands.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Sequence

from bot.core.text import STOPWORDS, stem, tokens

log = logging.getLogger(__name__)

THRESHOLD = 0.62  # cosine to a centroid that merges two groups
SWAP_SIMILAR = 0.5  # swapped words at least this close (as phrases) mean the same thing
MAX_SWAP_WORDS = 2
MAX_EMBEDDED = 160  # groups embedded per report (most-asked first): bounds the model's time
_DIGIT = re.compile(r"\d")


def loaded_embedder() -> Any | None:
    """The process's embedding model when the service already loaded it (MATCHER=fused), else None."""
    from bot.core.service import shared_embedder

    if not shared_embedder.cache_info().currsize:
        return None
    try:
        return shared_embedder()
    except Exception:  # noqa: BLE001 - no model: words only
        return None


def _words(text: str) -> dict[str, str]:
    """Content words by stem (so 'sidecars' meets 'sidecar'), each with one spelling as written."""
    return {stem(w): w for w in tokens(text) if w not in STOPWORDS and len(w) > 1}


class _Clusters:
    """Running centroids (sums of unit vectors) with each cluster's first phrasing."""

    def __init__(self, embedder: Any, capacity: int, dimension: int) -> None:
        import numpy as np

        self.np = np
        self.embedder = embedder
        self.sums = np.zeros((capacity, dimension), dtype=np.float32)  # one row per phrasing at most
        self.unit = np.zeros((capacity, dimension), dtype=np.float32)
        self.words: list[dict[str, str]] = []
        self.numbers: list[frozenset[str]] = []
        self._phrases: dict[str, Any] = {}

    def _phrase(self, text: str) -> Any:
        vector = self._phrases.get(text)
        if vector is None:
            vector = self._phrases[text] = self.embedder.encode([text])[0]
        return vector

    def _swap_differs(self, words: dict[str, str], other: dict[str, str]) -> bool:
        """A one- or two-word swap in a shared frame whose swapped words mean different things."""
        mine = [words[s] for s in words if s not in other]
        theirs = [other[s] for s in other if s not in words]
        shared = len(words) - len(mine)
        if not shared or not (0 < len(mine) <= MAX_SWAP_WORDS and 0 < len(theirs) <= MAX_SWAP_WORDS):
            return False
        similarity = float(self._phrase(" ".join(mine)) @ self._phrase(" ".join(theirs)))
        return similarity < SWAP_SIMILAR

    def assign(self, vector: Any, text: str) -> int:
        """The cluster this phrasing joins (a new one if none fits)."""
        np = self.np
        words = _words(text)
        numbers = frozenset(w for w in words.values() if _DIGIT.search(w))
        count = len(self.words)
        if count:
            scores = self.unit[:count] @ vector
            for index in np.argsort(-scores)[:3]:
                if scores[index] < THRESHOLD:
                    break
                if numbers and self.numbers[index] and numbers != self.numbers[index]:
                    continue
                if self._swap_differs(words, self.words[index]):
                    continue
                self.sums[index] += vector
                self.unit[index] = self.sums[index] / max(float(np.linalg.norm(self.sums[index])), 1e-9)
                return int(index)
        self.sums[count] = self.unit[count] = vector
        self.words.append(words)
        self.numbers.append(numbers)
        return count


def merge_by_meaning(texts: Sequence[str], embedder: Any) -> list[list[int]]:
    """Partition group indexes (texts most-asked first, one per group) into clusters of one meaning.

    Returns the clusters in order of their first (most-asked) group; each lists its groups in order.
    """
    if embedder is None or len(texts) < 2:
        return [[i] for i in range(len(texts))]
    head = list(texts[:MAX_EMBEDDED])
    try:
        vectors = embedder.encode(head)
    except Exception as exc:  # noqa: BLE001 - the report still works on words
        log.warning("gap grouping by meaning skipped: %s", type(exc).__name__)
        return [[i] for i in range(len(texts))]
    clusters = _Clusters(embedder, len(head), vectors.shape[1])
    members: dict[int, list[int]] = {}
    order: list[list[int]] = []
    for index, (text, vector) in enumerate(zip(head, vectors)):
        cluster = clusters.assign(vector, text)
        if cluster in members:
            members[cluster].append(index)
        else:
            members[cluster] = [index]
            order.append(members[cluster])
    order.extend([i] for i in range(len(head), len(texts)))
    return order
