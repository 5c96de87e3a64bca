"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime + tokenizers + numpy.

The model files live beside this module in ``model/`` (built by scripts/export_embedding_model.py
from the upstream Apache-2.0 weights; see docs/semantic.md). Nothing is downloaded: :meth:`Embedder.load`
reads the two files, checks their sha256, opens a single-threaded onnxruntime session and runs one
warm-up inference, so the first real question pays no set-up cost.

Vectors follow the model card: mean pooling over the attention mask, then L2 normalisation, with
inputs truncated to 128 word pieces, the length the model was trained on (and the upstream
tokenizer's). One :class:`Embedder` is safe to share between threads (an executor); each
:meth:`Embedder.encode` call runs on the calling thread, on one core.

Each text is run as its own sequence. The model is quantised dynamically: every activation is
scaled by the largest value in the whole input tensor, so in a padded batch one text's vector
would shift with its neighbours (cosine 0.994 to the same text alone, as large as the
quantisation error itself). Run one by one, a text always gets the same vector whatever it
arrives with; batching gained only 8-25% on this model (16 short questions: 12 ms batched vs
15 ms one by one on one core), so :meth:`Embedder.encode` takes many texts per call and runs
them back to back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"
MODEL_FILE = MODEL_DIR / "model.onnx"
TOKENIZER_FILE = MODEL_DIR / "tokenizer.json"
#: sha256 of model.onnx as built by scripts/export_embedding_model.py (see model/MANIFEST.json).
MODEL_SHA256 = "9e615a52cc83a89fe07150379b61444b364332e7ff4b84e617ceaa281c59b197"
#: sha256 of the upstream tokenizer.json of sentence-transformers/all-MiniLM-L6-v2, unchanged.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_ID = "all-MiniLM-L6-v2-int8"
DIMENSION = 384
# Word pieces ([CLS] and [SEP] included): the training length. The card allows 256; on the tune half
# 128 decides the same (answers and false answers equal, routes +0.8 points) and halves a long
# post's cost (4,000 characters: p99 54 -> 29 ms), see docs/matching.md.
MAX_LENGTH = 128
# Texts are cut to this many characters before tokenising, so a pasted megabyte costs no more than
# a long post. 64 characters per word piece is far more than any real text needs to fill MAX_LENGTH.
MAX_CHARS = MAX_LENGTH * 64


class EmbeddingUnavailable(RuntimeError):
    """The embedding model cannot be used here; the message is one line saying why."""


def _verify(path: Path, expected_sha256: str, what: str) -> None:
    """Raise EmbeddingUnavailable unless ``path`` exists and has sha256 ``expected_sha256``."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        raise EmbeddingUnavailable(f"embedding {what} not found at {path}") from None
    except OSError as exc:
        raise EmbeddingUnavailable(f"embedding {what} unreadable at {path}: {exc.strerror or exc}") from None
    got = digest.hexdigest()
    if got != expected_sha256.strip().lower():
        raise EmbeddingUnavailable(
            f"embedding {what} at {path} has sha256 {got}, expected {expected_sha256.strip().lower()}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Embedder:
    """A loaded sentence-embedding model. Create with :meth:`load`."""

    dimension = DIMENSION

    def __init__(self, session: Any, tokenizer: Any, *, max_length: int, model_path: Path,
                 model_sha256: str, load_seconds: float) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self.max_length = max_length
        self.model_path = model_path
        self.model_sha256 = model_sha256
        self.load_seconds = load_seconds
        self._input_names = {i.name for i in session.get_inputs()}

    @classmethod
    def load(cls, *, model_path: str | Path | None = None, expected_sha256: str = MODEL_SHA256,
             tokenizer_path: str | Path | None = None, tokenizer_sha256: str = TOKENIZER_SHA256,
             max_length: int = MAX_LENGTH) -> Embedder:
        """Load and verify the model; raise :class:`EmbeddingUnavailable` if it cannot be used.

        ``model_path`` defaults to the model shipped in ``bot/semantic/model/``; a file given
        instead must match ``expected_sha256``. The same holds for the tokenizer.
        """
        import time

        started = time.perf_counter()
        try:
            import numpy  # noqa: F401
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbeddingUnavailable(
                f"embedding runtime not installed ({exc.name or exc}): pip install onnxruntime tokenizers numpy"
            ) from None

        if not 2 < max_length <= 512:  # the model has 512 positions
            raise ValueError(f"max_length must be in 3..512, not {max_length}")
        model_file = Path(model_path) if model_path is not None else MODEL_FILE
        tokenizer_file = Path(tokenizer_path) if tokenizer_path is not None else TOKENIZER_FILE
        # Verified, then opened by path: onnxruntime reading the file itself keeps ~16 MB less resident
        # than handing it the bytes. Whoever could swap the file in between could edit this module too.
        _verify(model_file, expected_sha256, "model")
        _verify(tokenizer_file, tokenizer_sha256, "tokenizer")

        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_file))
        except Exception as exc:  # noqa: BLE001 - any failure means "cannot use it"
            raise EmbeddingUnavailable(f"embedding tokenizer at {tokenizer_file} unusable: {exc}") from None
        # The upstream file pads every input to 128 and truncates at 128: pad nothing, cut at max_length.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length)

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        try:
            session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001
            raise EmbeddingUnavailable(f"embedding model at {model_file} failed to load: {_first_line(exc)}") from None

        embedder = cls(session, tokenizer, max_length=max_length, model_path=model_file,
                       model_sha256=expected_sha256.strip().lower(), load_seconds=0.0)
        try:
            # A short and a full-length input, so the first real post finds its buffers already grown.
            embedder.encode(["warm up the session", "warm " * max_length])
        except Exception as exc:  # noqa: BLE001 - e.g. a model of another width than 384
            raise EmbeddingUnavailable(
                f"embedding model at {model_file} failed its first run: {_first_line(exc)}") from None
        embedder.load_seconds = time.perf_counter() - started
        return embedder

    def token_count(self, text: str) -> int:
        """Word pieces the model sees for ``text`` (after truncation, [CLS] and [SEP] included)."""
        return len(self._tokenizer.encode(text[:MAX_CHARS]).ids)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``: float32 array of shape (len(texts), 384), each row of unit length.

        Texts longer than ``max_length`` word pieces are truncated. An empty sequence gives
        shape (0, 384). Thread-safe; runs on the calling thread.
        """
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of strings, not a string")
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        if not len(texts):
            return out
        for row, text in enumerate(texts):
            # encode(), not encode_batch(): the latter fans out over a thread pool of its own.
            ids = np.asarray(self._tokenizer.encode(text[:MAX_CHARS]).ids, dtype=np.int64)[None, :]
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            if "token_type_ids" in self._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = self._session.run(None, feeds)[0][0]  # (tokens, 384); no padding, so a plain mean
            vector = hidden.mean(axis=0, dtype=np.float32)
            norm = float(np.linalg.norm(vector))
            out[row] = vector / norm if norm > 0 else vector
        return out


def cosine_top(query_vecs: np.ndarray, matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``matrix`` most similar to each query, best first.

    Both inputs hold unit-length rows (as :meth:`Embedder.encode` gives), so the dot product is the
    cosine. ``query_vecs`` is (q, d) or (d,). Returns ``(indices, scores)``, each (q, min(k, n)),
    int64 and float32; equal scores keep the lower row index first.
    """
    import numpy as np

    queries = np.asarray(query_vecs, dtype=np.float32)
    if queries.ndim == 1:
        queries = queries[None, :]
    rows = np.asarray(matrix, dtype=np.float32)
    if queries.ndim != 2 or rows.ndim != 2 or queries.shape[1] != rows.shape[1]:
        raise ValueError(f"shapes {queries.shape} and {rows.shape} do not fit")
    k = max(0, min(int(k), rows.shape[0]))
    if k == 0:
        return np.empty((queries.shape[0], 0), np.int64), np.empty((queries.shape[0], 0), np.float32)
    scores = queries @ rows.T
    indices = np.argsort(-scores, axis=1, kind="stable")[:, :k].astype(np.int64)
    return indices, np.take_along_axis(scores, indices, axis=1)
