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
        import numpy as np

        self.embedder = embedder
        # Rows grouped by owner (entries in id order, then the not-security anchors), so each owner's
        # best cosine is one `maximum.reduceat` over a contiguous run of rows.
        order = sorted(range(len(owners)), key=lambda row: (owners[row] is None, owners[row] or ""))
        self._owners = [owners[row] for row in order]  # per matrix row: an entry id, or None for an anchor
        self._matrix = np.asarray(matrix, dtype=np.float32)[order] if order else np.asarray(matrix, np.float32)
        self._entry_ids = sorted({owner for owner in owners if owner is not None})
        starts = [row for row, owner in enumerate(self._owners) if row == 0 or owner != self._owners[row - 1]]
        self._starts = np.asarray(starts, dtype=np.int64)
        self._run_owners = [self._owners[row] for row in starts]

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
        return cls(embedder, owners, encode_in_parallel(embedder, texts))

    def scores(self, text: str) -> SemanticScores:
        """Cosines for one question (its cleaned text)."""
        return self.scores_many([text])[0]

    def scores_many(self, texts: list[str]) -> list[SemanticScores]:
        """Cosines for several questions: one `encode` call for them all, then one pass over the matrix."""
        import numpy as np

        if not texts:
            return []
        if not self._owners:
            return [SemanticScores({}, 0.0) for _ in texts]
        # One matrix-vector product per question: a matrix-matrix product would go to a multi-threaded BLAS,
        # whose spinning threads cost more CPU than this whole product on a small shared machine.
        cosines = np.stack([self._matrix @ vector for vector in self.embedder.encode(texts)], axis=1)
        best = np.maximum.reduceat(cosines, self._starts, axis=0).astype(np.float64)  # (owners, questions)
        results = []
        for column in best.T.tolist():
            by_entry: dict[str, float] = {}
            off_topic = 0.0
            for owner, value in zip(self._run_owners, column):
                if owner is None:
                    off_topic = max(off_topic, value)
                else:
                    by_entry[owner] = value
            results.append(SemanticScores(by_entry, off_topic))
        return results


BUILD_THREADS = 2  # the knowledge's phrasings are embedded on up to this many cores at start-up and reload


def encode_in_parallel(embedder: Embedder, texts: list[str]) -> Any:
    """`embedder.encode(texts)` split over up to BUILD_THREADS threads (onnxruntime releases the GIL).

    Each text is still run alone, so the vectors are exactly those of one call.
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    threads = max(1, min(BUILD_THREADS, os.cpu_count() or 1, len(texts) // 32))
    if threads == 1:
        return embedder.encode(texts)
    size = -(-len(texts) // threads)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="embed-build") as pool:
        parts = list(pool.map(embedder.encode, [texts[i:i + size] for i in range(0, len(texts), size)]))
    return np.concatenate(parts)
