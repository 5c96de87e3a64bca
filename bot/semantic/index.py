"""The knowledge seen through the embedding model: one vector per phrasing, built once per knowledge load.

`SemanticIndex.scores(text)` gives, for one question, each entry's best cosine over its phrasings and
the best cosine of the not-security anchors. Blocking CPU work: call it from the service's worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.semantic.embedder import Embedder

if TYPE_CHECKING:
    from bot.core.knowledge import KnowledgeBase


@dataclass(frozen=True)
class SemanticScores:
    """One question's cosine to each entry (by id) and to the nearest not-security anchor."""

    by_entry: dict[str, float]
    off_topic: float

    def best(self) -> tuple[str | None, float]:
        if not self.by_entry:
            return None, 0.0
        entry_id = max(self.by_entry, key=self.by_entry.__getitem__)
        return entry_id, self.by_entry[entry_id]


class SemanticIndex:
    """Entry and anchor phrasings embedded once; questions scored against them."""

    def __init__(self, embedder: Embedder, owners: list[str | None], matrix: Any) -> None:
        self.embedder = embedder
        self._owners = owners  # per matrix row: an entry id, or None for a not-security anchor
        self._matrix = matrix
        self._entry_ids = sorted({owner for owner in owners if owner is not None})

    @classmethod
    def build(cls, embedder: Embedder, knowledge: "KnowledgeBase") -> "SemanticIndex":
        owners: list[str | None] = []
        texts: list[str] = []
        for entry in knowledge.entries:
            for phrasing in entry.phrasings:
                owners.append(entry.id)
                texts.append(phrasing)
        for topic in knowledge.off_topics:
            for phrasing in topic.phrasings:
                owners.append(None)
                texts.append(phrasing)
        return cls(embedder, owners, embedder.encode(texts))

    def scores(self, text: str) -> SemanticScores:
        """Cosines for one question (its cleaned text)."""
        import numpy as np

        cosines = (self._matrix @ self.embedder.encode([text])[0]).astype(np.float64)
        by_entry: dict[str, float] = {}
        off_topic = 0.0
        for owner, value in zip(self._owners, cosines.tolist()):
            if owner is None:
                off_topic = max(off_topic, value)
            elif value > by_entry.get(owner, -1.0):
                by_entry[owner] = value
        return SemanticScores(by_entry, off_topic)
