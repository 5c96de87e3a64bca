"""Semantic matching support: a small local sentence-embedding model (all-MiniLM-L6-v2, int8 ONNX).

Entry point::

    from bot.semantic import Embedder, EmbeddingUnavailable, cosine_top

    try:
        embedder = Embedder.load()          # at start-up: verifies sha256, warms up; ~0.1-0.3 s
    except EmbeddingUnavailable as exc:     # one line saying why; run lexical-only
        ...
    entry_vecs = embedder.encode(texts)     # (n, 384) float32, unit rows; once per knowledge load
    idx, scores = cosine_top(embedder.encode([question]), entry_vecs, k=5)

``encode`` is blocking CPU work on one core: call it from an executor, not the event loop.
Importing this package needs none of onnxruntime, tokenizers or numpy; ``Embedder.load`` does.
See docs/semantic.md for provenance, licence and measured costs.
"""

from bot.semantic.embedder import (
    DIMENSION,
    MAX_LENGTH,
    MODEL_ID,
    MODEL_SHA256,
    TOKENIZER_SHA256,
    Embedder,
    EmbeddingUnavailable,
    cosine_top,
)

__all__ = [
    "DIMENSION",
    "MAX_LENGTH",
    "MODEL_ID",
    "MODEL_SHA256",
    "TOKENIZER_SHA256",
    "Embedder",
    "EmbeddingUnavailable",
    "cosine_top",
]
