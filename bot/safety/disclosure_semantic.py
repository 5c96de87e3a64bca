"""The private-report check reading meaning: the sentence embedding beside the bag-of-words score.

A logistic regression over [the message's 384-d sentence embedding (all-MiniLM-L6-v2, `bot.semantic`),
the bag-of-words model's logit / 5], run as a cascade: only messages whose bag-of-words score is at or
above `embed_at` are embedded; below it the bag-of-words score stands, so most messages pay nothing.

Stacking without leakage: the bag-of-words logit a training row sees comes from a bag-of-words model
that did not train on that row (5-fold, out of fold), as a new message's logit comes from a model that
never saw it. Training is Newton's method on the class-balanced, L2-penalised log loss, in float64,
from zeros: the same training files and embedding model give the same weights, rounded to
`WEIGHT_PLACES` decimals in `SEMANTIC_FILE` (written by scripts/train_disclosure.py, rebuilt exactly by
tests/test_disclosure_semantic.py). The evaluation sets are never trained on.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from bot.safety.disclosure import (DATA_DIR, MODEL_FILE, TRAINING, TRAINING_FILES, WEIGHT_PLACES, DisclosureModel,
                                   load_examples, training_digest)

if TYPE_CHECKING:
    import numpy as np

SEMANTIC_FILE = DATA_DIR / "disclosure-semantic.json"  # written by scripts/train_disclosure.py
FOLDS = 5
FOLD_SEED = 7
LOGIT_SCALE = 5.0  # the bag-of-words logit enters as clip(z, -15, 15) / LOGIT_SCALE
# Chosen by the selection rule in docs/matching.md (5-fold CV on the training files + the `tune` half).
SEMANTIC_TRAINING = {"l2": 1e-2, "embed_at": 0.2, "private_at": 0.95, "hint_at": 0.5, "newton_steps": 25}


def fold_of(count: int, folds: int = FOLDS, seed: int = FOLD_SEED) -> list[int]:
    """Each example's fold: a seeded shuffle of the indexes dealt round-robin."""
    order = list(range(count))
    random.Random(seed).shuffle(order)
    assignment = [0] * count
    for position, index in enumerate(order):
        assignment[index] = position % folds
    return assignment


def out_of_fold_logits(examples: list[tuple[str, bool]], folds: list[int]) -> tuple[list[float], list[DisclosureModel]]:
    """Each example's bag-of-words logit from a model trained on the other folds, and those models."""
    logits = [0.0] * len(examples)
    models = []
    for k in range(max(folds) + 1):
        model = DisclosureModel.train([e for e, f in zip(examples, folds) if f != k], **TRAINING)
        models.append(model)
        for i, (text, _) in enumerate(examples):
            if folds[i] == k:
                logits[i] = model.logit(text)
    return logits, models


def design(vectors: "np.ndarray", logits: Sequence[float]) -> "np.ndarray":
    """The regression's inputs: embedding, scaled bag-of-words logit, and a constant 1 (the bias)."""
    import numpy as np

    z = np.clip(np.asarray(logits, dtype=np.float64), -15.0, 15.0)[:, None] / LOGIT_SCALE
    return np.hstack([np.asarray(vectors, dtype=np.float64), z, np.ones((len(z), 1))])


def fit(x: "np.ndarray", labels: Sequence[bool], l2: float, steps: int) -> "np.ndarray":
    """Newton's method on the class-balanced mean log loss + l2/2 |w|^2 (the bias unpenalised)."""
    import numpy as np

    y = np.asarray(labels, dtype=np.float64)
    positives = max(y.sum(), 1.0)
    negatives = max(len(y) - y.sum(), 1.0)
    balance = np.where(y > 0, len(y) / (2 * positives), len(y) / (2 * negatives)) / len(y)
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 1e-8
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        gradient = x.T @ (balance * (p - y)) + penalty * w
        hessian = (x * (balance * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        w = w - np.linalg.solve(hessian, gradient)
    return w


@dataclass(frozen=True)
class SemanticDisclosure:
    """The shipped embedding model of the check: weights (384 + 1 + bias), gate and thresholds."""

    weights: tuple[float, ...]
    embed_at: float
    hint_at: float
    private_at: float

    @classmethod
    def load(cls, path: Path = SEMANTIC_FILE) -> "SemanticDisclosure":
        document = json.loads(path.read_text(encoding="utf-8"))
        settings = document["training"]
        return cls(tuple(float(w) for w in document["weights"]), float(settings["embed_at"]),
                   float(settings["hint_at"]), float(settings["private_at"]))

    def probability(self, vector: Sequence[float], logit: float) -> float:
        """The chance a message is a report, from its embedding and its bag-of-words logit."""
        z = max(-15.0, min(15.0, logit)) / LOGIT_SCALE
        *embedding, w_logit, bias = self.weights
        total = bias + w_logit * z + math.fsum(w * float(v) for w, v in zip(embedding, vector))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))


def embed_texts(embedder: Any, texts: Sequence[str]) -> "np.ndarray":
    return embedder.encode(list(texts))


def semantic_document(embedder: Any, paths: list[Path] | None = None,
                      settings: dict[str, float] | None = None) -> dict[str, object]:
    """What `scripts/train_disclosure.py` writes to `SEMANTIC_FILE`: a function of the training files,
    the embedding model and `SEMANTIC_TRAINING`."""
    paths = TRAINING_FILES if paths is None else paths
    settings = dict(SEMANTIC_TRAINING if settings is None else settings)
    examples = load_examples(paths)
    logits, _ = out_of_fold_logits(examples, fold_of(len(examples)))
    vectors = embed_texts(embedder, [text for text, _ in examples])
    w = fit(design(vectors, logits), [label for _, label in examples], settings["l2"], int(settings["newton_steps"]))
    return {
        "format": 1,
        "training_files": [path.name for path in paths],
        "training_sha256": training_digest(paths),
        "bag_of_words_sha256": hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest(),
        "embedding_model_sha256": getattr(embedder, "model_sha256", ""),
        "training": settings | {"folds": FOLDS, "fold_seed": FOLD_SEED, "logit_scale": LOGIT_SCALE},
        "weights": [round(float(v), WEIGHT_PLACES) + 0.0 for v in w],
    }


def dump_semantic(document: dict[str, object]) -> str:
    return json.dumps(document, indent=0, sort_keys=True, ensure_ascii=True) + "\n"
