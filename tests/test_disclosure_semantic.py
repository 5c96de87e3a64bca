"""The private-report check reading meaning (bot/safety/disclosure_semantic.py): its weights file is rebuilt
exactly from the training files, it embeds only inside its gate, and without the embedding model (or with
it switched off) the check is the bag-of-words model exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.safety import disclosure
from bot.safety.disclosure import PrivateReportCheck
from bot.safety.disclosure_semantic import (SEMANTIC_FILE, SEMANTIC_TRAINING, SemanticDisclosure, design,
                                            dump_semantic, fit, fold_of, semantic_document)

TEXTS = [
    "how do I rotate the certificates of my cluster?",
    "found an auth bypass in the kubelet, PoC below, where do I send it privately?",
    "any pod can read every secret in other namespaces through the metrics endpoint, I tested it on 1.30",
    "our ingress returns 502 after the upgrade, any idea?",
    "trivy flags CVE-2024-21626 in runc on our nodes, do we need to patch?",
]


class CountingEmbedder:
    """A stand-in embedder: a fixed unit vector per text, counting what it was asked to embed."""

    model_sha256 = "test"

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[str] = []
        self.fail = fail

    def encode(self, texts):
        if self.fail:
            raise RuntimeError("onnxruntime fell over")
        self.seen.extend(texts)
        rows = np.random.default_rng(len(texts[0])).normal(size=(len(texts), 384)).astype(np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def real_embedder():
    from bot.core.service import shared_embedder
    from bot.semantic import EmbeddingUnavailable

    try:
        return shared_embedder()
    except EmbeddingUnavailable as exc:
        pytest.skip(f"embedding model unavailable: {exc}")


def test_shipped_embedding_weights_are_rebuilt_exactly(real_embedder):
    """Change a training file, the bag-of-words weights or a setting without re-running
    `scripts/train_disclosure.py --semantic` and this fails."""
    shipped = SEMANTIC_FILE.read_text(encoding="utf-8")
    document = json.loads(shipped)
    assert {k: document["training"][k] for k in SEMANTIC_TRAINING} == SEMANTIC_TRAINING
    assert len(document["weights"]) == 384 + 2
    assert dump_semantic(semantic_document(real_embedder)) == shipped, \
        "embedding weights differ: run scripts/train_disclosure.py --semantic"


def test_without_the_embedding_model_the_check_is_the_bag_of_words_model():
    plain = PrivateReportCheck.load()
    for check in (PrivateReportCheck.load(embedder=None, semantic=True),
                  PrivateReportCheck.load(embedder=CountingEmbedder(), semantic=False)):
        assert check.semantic is None and check.embedder is None
        for text in TEXTS:
            assert check.verdict(text) == plain.verdict(text)
            assert check.probability(text) == plain.model.probability(text)


def test_off_by_default_means_an_embedder_changes_nothing(monkeypatch):
    monkeypatch.setattr(disclosure, "SEMANTIC_DEFAULT", False)
    embedder = CountingEmbedder()
    check = PrivateReportCheck.load(embedder=embedder)
    assert check.semantic is None
    for text in TEXTS:
        check.verdict(text)
    assert embedder.seen == []


def test_the_cascade_embeds_only_inside_its_gate_and_uses_the_embedding_thresholds():
    embedder = CountingEmbedder()
    check = PrivateReportCheck.load(embedder=embedder, semantic=True)
    plain = PrivateReportCheck.load()
    reader = check.semantic
    assert reader == SemanticDisclosure.load()
    for text in TEXTS:
        embedder.seen.clear()
        bow = plain.probability(text)
        verdict = check.verdict(text)
        if bow < reader.embed_at:
            assert embedder.seen == [] and verdict == plain.verdict(text)
        else:
            assert embedder.seen == [text]
            vector = CountingEmbedder().encode([text])[0]
            score = reader.probability(vector, plain.model.logit(text))
            assert verdict.score == round(score, 4)
            assert verdict.level == ("confident" if score >= reader.private_at
                                     else "borderline" if score >= reader.hint_at else "none")
            assert check.is_report(text) == (score >= reader.private_at)
    assert any(plain.probability(t) >= reader.embed_at for t in TEXTS)
    assert any(plain.probability(t) < reader.embed_at for t in TEXTS)


def test_an_embedding_failure_or_a_missing_weights_file_falls_back_to_bag_of_words(tmp_path):
    plain = PrivateReportCheck.load()
    failing = PrivateReportCheck.load(embedder=CountingEmbedder(fail=True), semantic=True)
    assert failing.semantic is not None
    missing = PrivateReportCheck.load(embedder=CountingEmbedder(), semantic=True, semantic_path=tmp_path / "none.json")
    assert missing.semantic is None
    for text in TEXTS:
        assert failing.verdict(text) == plain.verdict(text)
        assert missing.verdict(text) == plain.verdict(text)


def test_brain_hands_the_embedder_to_the_check(monkeypatch):
    from bot.core.brain import Brain
    from bot.core.config import load_settings
    from bot.core.knowledge import load_or_raise

    settings = load_settings({"MATCHER": "lexical"})
    knowledge = load_or_raise(settings.knowledge_dir, settings.routing_file)
    monkeypatch.setattr(disclosure, "SEMANTIC_DEFAULT", True)
    monkeypatch.setattr("bot.semantic.index.SemanticIndex.build", lambda embedder, knowledge: None)
    embedder = CountingEmbedder()
    assert Brain.build(knowledge, settings, embedder=embedder).private_reports.embedder is embedder
    assert Brain.build(knowledge, settings).private_reports.semantic is None


def test_training_is_deterministic_and_balanced():
    assert fold_of(50) == fold_of(50) and sorted(set(fold_of(50))) == [0, 1, 2, 3, 4]
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(60, 384))
    labels = [i % 4 == 0 for i in range(60)]
    logits = [3.0 if label else -3.0 for label in labels]
    x = design(vectors, logits)
    first, second = fit(x, labels, 1e-2, 25), fit(x, labels, 1e-2, 25)
    assert np.array_equal(first, second)
    p = 1 / (1 + np.exp(-(x @ first)))
    assert all((p[i] >= 0.5) == labels[i] for i in range(60))
