"""The private-report model ships as a weights file: rebuilt from the training files it must be identical,
and loading it trains nothing."""

from __future__ import annotations

import json

import pytest

from bot.safety import disclosure
from bot.safety.disclosure import (MODEL_FILE, TRAINING, TRAINING_FILES, DisclosureModel, PrivateReportCheck,
                                   dump_document, load_examples, model_document, training_digest)


def test_shipped_weights_are_rebuilt_exactly_from_the_training_files():
    """Change a training file or a setting without re-running scripts/train_disclosure.py and this fails."""
    shipped = MODEL_FILE.read_text(encoding="utf-8")
    document = json.loads(shipped)
    assert document["training_files"] == [path.name for path in TRAINING_FILES]
    assert document["training_sha256"] == training_digest(TRAINING_FILES), \
        "training data changed: run scripts/train_disclosure.py"
    assert document["training"] == TRAINING
    assert dump_document(model_document()) == shipped, "weights differ: run scripts/train_disclosure.py"


def test_loading_the_check_trains_nothing(monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("the check trained a model at start")

    monkeypatch.setattr(DisclosureModel, "train", classmethod(no_training))
    monkeypatch.setattr(disclosure, "load_examples", no_training)
    check = PrivateReportCheck.load()
    document = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert (check.hint_at, check.private_at) == (document["hint_at"], document["private_at"])
    assert check.model.weights == document["weights"] and check.model.bias == document["bias"]
    assert check.is_report("found an auth bypass in the kubelet, PoC below, where do I send it privately?")
    assert not check.is_report("how do I rotate the certificates of my cluster?")


def test_thresholds_come_from_the_weights_file(tmp_path):
    document = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    document.update(hint_at=0.2, private_at=0.3)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    check = PrivateReportCheck.load(path)
    assert (check.hint_at, check.private_at) == (0.2, 0.3)
    text = "how do I rotate the certificates of my cluster?"
    assert check.probability(text) == PrivateReportCheck.load().probability(text)


def test_the_shipped_model_is_the_trained_model_rounded():
    """Compacting (4 decimals, zeros dropped) moves no decision: probabilities stay within 0.01."""
    examples = load_examples(TRAINING_FILES)
    full = DisclosureModel.train(examples, **TRAINING)
    shipped = PrivateReportCheck.load().model
    assert set(shipped.weights) <= set(full.weights)
    assert all(value != 0.0 for value in shipped.weights.values())
    for text, _ in examples[::25]:
        assert shipped.probability(text) == pytest.approx(full.probability(text), abs=0.01)
