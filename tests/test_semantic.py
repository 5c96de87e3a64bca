"""The shipped sentence-embedding model: loads offline, verified, and gives sensible vectors."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from bot.semantic import DIMENSION, MODEL_SHA256, TOKENIZER_SHA256, Embedder, EmbeddingUnavailable, cosine_top
from bot.semantic.embedder import MAX_CHARS, MAX_LENGTH, MODEL_DIR, MODEL_FILE, TOKENIZER_FILE

NETPOL = "restrict pod traffic with network policy"
PARAPHRASE = "limit which pods can talk to each other"
UNRELATED = "how do I bake bread"


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder.load()


def test_loads_offline_and_quickly(embedder):
    assert embedder.dimension == DIMENSION == 384
    assert embedder.model_sha256 == MODEL_SHA256
    # Generous for a loaded CI machine; benchmarks/bench_embedding.py measures the real figure.
    assert embedder.load_seconds < 5


def test_shipped_files_match_their_manifest():
    manifest = json.loads((MODEL_DIR / "MANIFEST.json").read_text())
    assert manifest["files"]["model.onnx"]["sha256"] == MODEL_SHA256
    assert manifest["files"]["tokenizer.json"]["sha256"] == TOKENIZER_SHA256
    assert manifest["source_sha256"]["tokenizer.json"] == TOKENIZER_SHA256
    assert manifest["source_license"] == "Apache-2.0"
    assert (MODEL_DIR / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert MODEL_FILE.stat().st_size + TOKENIZER_FILE.stat().st_size <= 25 * 1024 * 1024


def test_shape_dtype_and_unit_length(embedder):
    vecs = embedder.encode([NETPOL, PARAPHRASE, UNRELATED, "", "a"])
    assert vecs.shape == (5, DIMENSION)
    assert vecs.dtype == np.float32
    assert np.all(np.isfinite(vecs))
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_empty_input_list(embedder):
    assert embedder.encode([]).shape == (0, DIMENSION)


def test_a_bare_string_is_refused(embedder):
    with pytest.raises(TypeError):
        embedder.encode(NETPOL)


def test_deterministic_and_independent_of_batch_mates(embedder):
    alone = embedder.encode([NETPOL])
    again = embedder.encode([NETPOL])
    in_company = embedder.encode([UNRELATED, NETPOL, "x " * 3000])
    assert np.array_equal(alone, again)
    assert np.array_equal(alone[0], in_company[1])


def test_paraphrase_is_closer_than_unrelated_text(embedder):
    netpol, para, bread = embedder.encode([NETPOL, PARAPHRASE, UNRELATED])
    assert netpol @ para > 0.4
    assert netpol @ bread < 0.2
    assert netpol @ para > netpol @ bread + 0.3


def test_long_input_is_truncated_not_refused(embedder):
    long_post = ("What happened: after the upgrade our admission webhook times out and pods are rejected. "
                 + "E1101 12:00:00 dispatcher.go:184] failed calling webhook: context deadline exceeded. " * 60)
    long_post = long_post[:4000]
    assert len(long_post) == 4000
    assert embedder.token_count(long_post) == embedder.max_length == MAX_LENGTH == 128
    vec = embedder.encode([long_post])
    assert vec.shape == (1, DIMENSION)
    assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5
    # Only the first 128 word pieces count: what follows them changes nothing.
    assert np.array_equal(vec, embedder.encode([long_post + " completely different tail about bread"]))
    # A pasted megabyte costs no more than a long post.
    assert embedder.encode(["kubectl get secrets " * 60_000]).shape == (1, DIMENSION)
    assert MAX_CHARS >= 4000


def test_hash_mismatch_is_refused_in_one_line():
    with pytest.raises(EmbeddingUnavailable) as caught:
        Embedder.load(expected_sha256="0" * 64)
    message = str(caught.value)
    assert "sha256" in message and "\n" not in message


def test_altered_model_file_is_refused(tmp_path):
    altered = tmp_path / "model.onnx"
    data = bytearray(MODEL_FILE.read_bytes())
    data[len(data) // 2] ^= 0xFF
    altered.write_bytes(bytes(data))
    with pytest.raises(EmbeddingUnavailable, match="sha256"):
        Embedder.load(model_path=altered)


def test_tokenizer_mismatch_is_refused(tmp_path):
    tokenizer = tmp_path / "tokenizer.json"
    tokenizer.write_text(TOKENIZER_FILE.read_text().replace('"[UNK]"', '"[UNKNOWN]"', 1))
    with pytest.raises(EmbeddingUnavailable, match="tokenizer"):
        Embedder.load(tokenizer_path=tokenizer)


def test_missing_model_file_is_refused(tmp_path):
    with pytest.raises(EmbeddingUnavailable, match="not found") as caught:
        Embedder.load(model_path=tmp_path / "absent.onnx")
    assert "\n" not in str(caught.value)


def test_a_verified_copy_elsewhere_loads(tmp_path, embedder):
    copy = tmp_path / "model.onnx"
    shutil.copyfile(MODEL_FILE, copy)
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == MODEL_SHA256
    other = Embedder.load(model_path=copy)
    assert np.array_equal(other.encode([NETPOL]), embedder.encode([NETPOL]))


def test_a_file_that_is_not_a_model_is_refused(tmp_path):
    junk = tmp_path / "model.onnx"
    junk.write_bytes(b"not an onnx file")
    with pytest.raises(EmbeddingUnavailable, match="failed to load") as caught:
        Embedder.load(model_path=junk, expected_sha256=hashlib.sha256(b"not an onnx file").hexdigest())
    assert "\n" not in str(caught.value)


def test_missing_runtime_is_reported(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_onnxruntime(name, *args, **kwargs):
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'", name="onnxruntime")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnxruntime)
    with pytest.raises(EmbeddingUnavailable, match="onnxruntime"):
        Embedder.load()


def test_cosine_top_ranks_best_first(embedder):
    entries = embedder.encode([UNRELATED, "NetworkPolicy: control which pods may connect to which", "rotate kubeadm certificates"])
    indices, scores = cosine_top(embedder.encode([PARAPHRASE, "my sourdough won't rise"]), entries, k=2)
    assert indices.shape == scores.shape == (2, 2)
    assert indices[0, 0] == 1 and indices[1, 0] == 0
    assert np.all(scores[:, 0] >= scores[:, 1])
    # a single vector, k past the end, k of 0
    one_idx, one_scores = cosine_top(entries[2], entries, k=10)
    assert one_idx.shape == (1, 3) and one_idx[0, 0] == 2 and one_scores[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert cosine_top(entries, entries, k=0)[0].shape == (3, 0)


def test_cosine_top_ties_keep_row_order():
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    indices, _ = cosine_top(np.array([1.0, 0.0], dtype=np.float32), matrix, k=2)
    assert indices.tolist() == [[0, 2]]
    with pytest.raises(ValueError):
        cosine_top(np.ones(3, dtype=np.float32), matrix, k=1)


def test_shared_between_executor_threads(embedder):
    from concurrent.futures import ThreadPoolExecutor

    texts = [NETPOL, PARAPHRASE, UNRELATED, "rotate kubeadm certificates"] * 4
    expected = embedder.encode(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        rows = list(pool.map(lambda t: embedder.encode([t])[0], texts))
    assert np.array_equal(np.stack(rows), expected)


# --------------------------------------------------------------------------- batches

def test_scores_many_equal_scores_one_by_one(embedder):
    from bot.core.config import load_settings
    from bot.core.knowledge import load_or_raise
    from bot.semantic.index import SemanticIndex

    settings = load_settings({})
    index = SemanticIndex.build(embedder, load_or_raise(settings.knowledge_dir, settings.routing_file))
    texts = [NETPOL, PARAPHRASE, "the container was OOMKilled with exit code 137 again", UNRELATED]
    together = index.scores_many(texts)
    assert index.scores_many([]) == []
    for text, batched in zip(texts, together):
        alone = index.scores(text)
        assert batched.by_entry.keys() == alone.by_entry.keys()
        assert all(batched.by_entry[e] == pytest.approx(alone.by_entry[e], abs=1e-6) for e in alone.by_entry)
        assert batched.off_topic == pytest.approx(alone.off_topic, abs=1e-6)
    assert together[0].best()[0] == together[1].best()[0] == "network-policies"
    assert together[2].off_topic > max(together[2].by_entry.values())  # an everyday topic: an anchor is nearest


def test_batching_worker_runs_calls_queued_together_as_one_batch_in_order():
    import threading

    from bot.semantic.worker import BatchingWorker

    worker = BatchingWorker(name="test-batch")
    gate = threading.Event()
    batches: list[list[tuple]] = []

    def double(x: int) -> int:
        return 2 * x

    def double_many(requests: list[tuple]) -> list[int]:
        batches.append(requests)
        return [2 * x for (x,) in requests]

    worker.batch(double, double_many)
    blocker = worker.submit(gate.wait)  # holds the thread while the others queue up
    futures = [worker.submit(double, n) for n in range(5)]
    other = worker.submit(lambda: "alone")
    gate.set()
    assert blocker.result(timeout=10) is True
    assert [f.result(timeout=10) for f in futures] == [0, 2, 4, 6, 8]
    assert other.result(timeout=10) == "alone"
    assert batches == [[(0,), (1,), (2,), (3,), (4,)]]
    assert worker.batches[-1] == 5
    worker.shutdown()
    with pytest.raises(RuntimeError):
        worker.submit(double, 1)


def test_a_failing_batch_is_retried_one_by_one_so_only_the_bad_call_fails():
    import threading

    from bot.semantic.worker import BatchingWorker

    worker = BatchingWorker(name="test-batch-fail")
    gate = threading.Event()

    def invert(x: float) -> float:
        return 1 / x

    worker.batch(invert, lambda requests: [1 / x for (x,) in requests])
    worker.submit(gate.wait)
    futures = [worker.submit(invert, x) for x in (2.0, 0.0, 4.0)]
    gate.set()
    assert futures[0].result(timeout=10) == 0.5 and futures[2].result(timeout=10) == 0.25
    with pytest.raises(ZeroDivisionError):
        futures[1].result(timeout=10)
    worker.shutdown()


def test_the_index_built_on_several_threads_holds_exactly_the_one_call_vectors(embedder):
    from bot.semantic.index import encode_in_parallel

    texts = [f"{text} {n}" for n in range(40) for text in (NETPOL, PARAPHRASE, UNRELATED)]
    assert np.array_equal(encode_in_parallel(embedder, texts), embedder.encode(texts))
    assert encode_in_parallel(embedder, []).shape == (0, 384)
