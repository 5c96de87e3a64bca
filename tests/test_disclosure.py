"""The private-report check: rules that explain, a model that decides, measured on blind sets.

The model is the shipped weights file (tests/test_disclosure_model.py checks it matches the training data).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.safety.disclosure import (TRAINING_FILES, DisclosureModel, PrivateReportCheck, assess_disclosure,
                                   load_examples)

CHECK = PrivateReportCheck.load()


def looks_like_private_report(text: str) -> bool:
    """Some private-reporting guidance (the borderline hint or the private-only reply) goes to the asker."""
    return CHECK.verdict(text).level != "none"


BLIND = Path(__file__).parent / "data" / "disclosure-blind.yaml"
SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev-questions.yaml"


def measure(examples: list[tuple[str, bool]], *, at: float | None = None) -> tuple[float, float, list[str]]:
    """Precision and recall of flagging at probability `at` (default: the private-only reply's threshold)."""
    at = CHECK.private_at if at is None else at
    tp = fp = fn = 0
    wrong: list[str] = []
    for text, private in examples:
        predicted = CHECK.probability(text) >= at
        tp += predicted and private
        fp += predicted and not private
        fn += private and not predicted
        if predicted != private:
            wrong.append(("FP " if predicted else "FN ") + text[:80])
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), wrong


# Three sets, each written blind (its author saw neither the detector nor its training data):
# - disclosure-blind.yaml: its misses, seen while the model was built, shaped what
#   bot/data/disclosure-train-5.yaml covers, so it is now a regression guard only;
# - disclosure-blind-2.yaml: measured once with the model of train-1..5 (precision 0.929, recall
#   0.975); nothing was tuned on it; train-6 (hard negatives, written without seeing it) followed;
# - disclosure-blind-3.yaml: measured once, with the final model: precision 0.974, recall 0.950.
# Never train or tune on any of them. The targets: precision 0.95, recall 0.90.
BLIND_SETS = ("disclosure-blind.yaml", "disclosure-blind-2.yaml", "disclosure-blind-3.yaml")


@pytest.mark.parametrize("name", BLIND_SETS)
def test_blind_sets_never_trained_on(name):
    training = {text for text, _ in load_examples(TRAINING_FILES)}
    blind = load_examples([BLIND.parent / name])
    assert not training & {text for text, _ in blind}
    assert sum(p for _, p in blind) >= 40 and sum(not p for _, p in blind) >= 40


@pytest.mark.parametrize("name", BLIND_SETS)
def test_precision_and_recall_on_blind_sets(name):
    """Graded: the private-only reply must be precise; some private guidance (the hint or the private-only
    reply) must reach most reporters. Floors are today's measured values, rounded down (see docs/matching.md):
    private-only recall 0.840 / 0.800 / 0.650 (blind, -2, -3), any guidance 0.880 / 0.925 / 0.850; the
    target (recall 0.90 for the private-only reply) is not met."""
    examples = load_examples([BLIND.parent / name])
    precision, recall, wrong = measure(examples)
    print(f"\n{name}: private-only precision={precision:.3f} recall={recall:.3f}")
    assert precision >= 0.95, wrong
    assert recall >= 0.65, wrong
    precision, recall, wrong = measure(examples, at=CHECK.hint_at)
    print(f"{name}: any private guidance precision={precision:.3f} recall={recall:.3f}")
    assert precision >= 0.92, wrong
    assert recall >= 0.85, wrong


@pytest.mark.parametrize("path", TRAINING_FILES, ids=lambda p: p.name)
def test_training_sets_fit(path):
    examples = load_examples([path])
    wrong = [text[:80] for text, private in examples if looks_like_private_report(text) != private]
    assert len(wrong) <= 0.03 * len(examples), wrong


def test_cross_validation():
    """Five folds over all training messages: each fold judged by a model trained on the other four."""
    examples = load_examples(TRAINING_FILES)
    random.Random(7).shuffle(examples)
    tp = fp = fn = 0
    for fold in range(5):
        held_out = examples[fold::5]
        model = DisclosureModel.train([e for i, e in enumerate(examples) if i % 5 != fold])
        for text, private in held_out:
            predicted = model.probability(text) >= 0.5
            tp += predicted and private
            fp += predicted and not private
            fn += private and not predicted
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\n5-fold cross-validation over {len(examples)} messages: precision={precision:.3f} recall={recall:.3f}")
    # Real report texts (train-7 to -10) are harder than the synthetic ones: measured 0.902 / 0.841 on 1,375
    # messages before train-9 and -10 (real reports and alarming ordinary posts), 0.879 / 0.779 on 1,473 after.
    assert precision >= 0.86 and recall >= 0.76


def test_training_is_deterministic():
    examples = load_examples(TRAINING_FILES[:1])
    assert DisclosureModel.train(examples) == DisclosureModel.train(examples)


@pytest.mark.parametrize(("text", "expected"), [
    ("found an auth bypass in the kubelet, PoC below", True),
    ("I can escape the container with a symlink in an emptyDir", True),
    ("my coworker found a crafted request that crashes kube-apiserver, where do we report it", True),
    ("is CVE-2024-3177 fixed in 1.29?", False),
    ("trivy flags 12 CVEs in the apiserver image, are we vulnerable?", False),
    ("how do I prevent container escape", False),
    ("is allowPrivilegeEscalation false enough", False),
    ("how do I report a vulnerability?", False),
    ("if I report that anonymous kubelet auth lets anyone in, is that a vuln or misconfig?", False),
    ("Is there a JSON feed of all Kubernetes CVEs I can pull into our vuln management dashboard?", False),
    ("", False),
])
def test_examples(text, expected):
    assert looks_like_private_report(text) is expected


def test_rule_reasons_explain():
    verdict = assess_disclosure("found an rce in the kubelet, not yet reported. where do i send it privately?")
    names = {r.split(":")[0] for r in verdict.reasons}
    assert {"+possession", "+flaw", "+possession+flaw", "+undisclosed", "+disclosure-intent"} <= names
    damped = assess_disclosure("trivy found CVE-2024-21626 in our runc, are we vulnerable?")
    assert {"-scanner", "-known-cve-id"} <= {r.split(":")[0] for r in damped.reasons}


@pytest.mark.skipif(not SHARED_EVAL.exists(), reason="shared eval set not beside the repo")
def test_shared_eval_questions_flag_only_reports():
    """Only questions whose accepted answer is how to report a vulnerability get private guidance."""
    items = yaml.safe_load(SHARED_EVAL.read_text(encoding="utf-8"))
    flagged = [item for item in items if looks_like_private_report(item["q"])]
    assert 1 <= len(flagged) <= 4, [item["q"] for item in flagged]
    assert all("report-vulnerability" in (item.get("faq") or []) for item in flagged), [i["q"] for i in flagged]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_never_raises(text):
    assert 0.0 <= CHECK.probability(text) <= 1.0
    assert 0.0 <= assess_disclosure(text).score <= 1.0
