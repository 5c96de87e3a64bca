"""Semantic + lexical fusion, the answerability gate, and finding the question in a long post."""

from __future__ import annotations

import logging

import pytest

from bot.core.focus import LONG_POST, focus
from bot.core.fusion import Evidence, FusionPolicy, Gate, fuse, gate
from bot.core.knowledge import FaqEntry
from bot.core.matcher import Candidate, Decision, Match
from bot.semantic.index import SemanticScores

A = FaqEntry(id="network-policies", question="How do I restrict pod traffic?", answer="NetworkPolicy.")
B = FaqEntry(id="rbac-good-practices", question="RBAC good practices?", answer="Least privilege.")
C = FaqEntry(id="audit-logging", question="Audit logs?", answer="Audit policy.")
ENTRIES = {e.id: e for e in (A, B, C)}
POLICY = FusionPolicy(weight=0.4, answer_at=0.52, suggest_at=0.35, margin=0.05, anchor_margin=0.0)


def lexical(*scores: tuple[FaqEntry, float], off_topic: bool = False) -> Match:
    ranked = tuple(Candidate(e, s) for e, s in scores)
    return Match(Decision.NONE, ranked, "q", ("q",), off_topic=off_topic)


def test_agreeing_views_answer_and_a_paraphrase_is_found_by_the_embedding():
    fused = fuse(lexical((A, 0.50), (B, 0.30)), SemanticScores({"network-policies": 0.70, "rbac-good-practices": 0.2,
                                                              "audit-logging": 0.1}, 0.1), ENTRIES, POLICY)
    assert fused.decision is Decision.ANSWER and fused.best is A
    assert fused.confidence == pytest.approx(0.6 * 0.50 + 0.4 * 0.70)
    # No lexical evidence at all: the embedding alone cannot clear the threshold (0.4 * cos <= 0.4).
    only_semantic = fuse(lexical(), SemanticScores({"audit-logging": 0.95}, 0.1), ENTRIES, POLICY)
    assert only_semantic.decision is Decision.SUGGEST and only_semantic.best is C


def test_disagreeing_views_need_a_margin_or_it_is_only_a_suggestion():
    close = fuse(lexical((A, 0.62), (B, 0.60)), SemanticScores({"network-policies": 0.50, "rbac-good-practices": 0.55,
                                                              "audit-logging": 0.0}, 0.0), ENTRIES, POLICY)
    assert close.decision is Decision.SUGGEST  # the fused winner leads by less than the margin; views disagree
    assert [c.entry for c in close.ranked[:2]] == [B, A]  # 0.580 vs 0.572: too close to call
    clear = fuse(lexical((A, 0.80), (B, 0.30)), SemanticScores({"network-policies": 0.50, "rbac-good-practices": 0.55,
                                                              "audit-logging": 0.0}, 0.0), ENTRIES, POLICY)
    assert clear.decision is Decision.ANSWER and clear.best is A


def test_an_everyday_topic_stays_off_topic_unless_the_embedding_points_at_an_entry():
    match = lexical((A, 0.2), off_topic=True)
    assert fuse(match, SemanticScores({"network-policies": 0.3}, 0.6), ENTRIES, POLICY) is match
    reconsidered = fuse(match, SemanticScores({"network-policies": 0.9}, 0.3), ENTRIES, POLICY)
    assert not reconsidered.off_topic and reconsidered.best is A


def test_focus_keeps_the_question_and_error_lines_and_drops_template_noise():
    post = (
        "### What happened?\n"
        "Our CI service account gets forbidden errors when it lists secrets in another namespace. "
        "Is a RoleBinding in that namespace enough or do we need a ClusterRole?\n\n"
        "```\n"
        'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:ci:deployer" cannot list\n'
        "  resourceVersion: '12345'\n"
        "```\n"
        "### Environment\n"
        "Kubernetes version: 1.29.3\nOS: Ubuntu 22.04 with a very long kernel string " + "x" * 300 + "\n"
        "### Anything else we need to know?\nno\n"
    )
    assert len(post) >= LONG_POST
    kept = focus(post)
    assert "Is a RoleBinding in that namespace enough" in kept
    assert "forbidden" in kept.lower() and "cannot list" in kept
    assert "Ubuntu" not in kept and "resourceVersion" not in kept and "What happened" not in kept
    assert focus("short question?") == "short question?"


async def test_service_falls_back_to_lexical_when_the_model_cannot_load(monkeypatch, caplog):
    from bot.core.config import load_settings
    from bot.core.service import Service
    from bot.semantic import embedder as embedder_module

    def broken(**_: object) -> None:
        raise embedder_module.EmbeddingUnavailable("model file missing")

    from bot.core.service import shared_embedder

    monkeypatch.setattr(embedder_module.Embedder, "load", broken)
    shared_embedder.cache_clear()
    with caplog.at_level(logging.WARNING):
        service = await Service.create(load_settings({}))
    shared_embedder.cache_clear()  # the next service loads the real model again
    assert service.brain.semantic is None
    assert sum("running lexical-only" in r.getMessage() for r in caplog.records) == 1
    reply = await service.answer("how do I write a default deny network policy?")
    assert reply.faq_id == "network-policies"
    lexical_only = await Service.create(load_settings({"MATCHER": "lexical"}))
    assert lexical_only.brain.semantic is None and lexical_only.brain.fusion is None
    await service.close()
    await lexical_only.close()


async def test_fused_service_answers_a_paraphrase_the_lexical_matcher_misses():
    from bot.core.config import load_settings
    from bot.core.service import Service

    fused = await Service.create(load_settings({}))
    assert fused.brain.semantic is not None
    reply = await fused.answer("can I stop pods from talking to each other across namespaces")
    assert reply.faq_id == "network-policies"
    await fused.close()


# --------------------------------------------------------------------------- the answerability gate

def agreeing(anchor: float) -> SemanticScores:
    return SemanticScores({"network-policies": 0.70, "rbac-good-practices": 0.2, "audit-logging": 0.1}, anchor)


def test_an_entry_no_nearer_than_an_everyday_topic_is_only_suggested():
    match = lexical((A, 0.60), (B, 0.30))
    assert fuse(match, agreeing(0.50), ENTRIES, POLICY).decision is Decision.ANSWER
    near = fuse(match, agreeing(0.72), ENTRIES, POLICY)  # the anchor is nearer than the entry's 0.70
    assert near.decision is Decision.SUGGEST and near.best is A and not near.off_topic
    unchecked = FusionPolicy(weight=0.4, answer_at=0.52, suggest_at=0.35, margin=0.05, anchor_margin=None)
    assert fuse(match, agreeing(0.72), ENTRIES, unchecked).decision is Decision.ANSWER


def test_coverage_is_asked_only_when_the_views_disagree_and_decides_then():
    asked: list[str] = []

    def coverage(value: float):
        def covered(entry_id: str) -> float:
            asked.append(entry_id)
            return value
        return covered

    # Agreement: the coverage is never computed, however low it would be.
    assert fuse(lexical((A, 0.60), (B, 0.30)), agreeing(0.1), ENTRIES, POLICY,
                coverage=coverage(0.0)).decision is Decision.ANSWER
    assert asked == []
    # Disagreement with a clear lead: the lexical winner A, the semantic winner B.
    split = SemanticScores({"network-policies": 0.50, "rbac-good-practices": 0.55, "audit-logging": 0.0}, 0.0)
    strong = lexical((A, 0.80), (B, 0.30))
    assert fuse(strong, split, ENTRIES, POLICY, coverage=coverage(0.5)).decision is Decision.ANSWER
    thin = fuse(strong, split, ENTRIES, POLICY, coverage=coverage(0.05))
    assert thin.decision is Decision.SUGGEST and thin.best is A
    assert asked == ["network-policies", "network-policies"]


def test_gate_verdicts_in_order():
    def evidence(**changes: object) -> Evidence:
        values = dict(fused=0.6, lead=0.1, agree=True, cosine=0.7, anchor=0.3, coverage=lambda: 0.5)
        values.update(changes)
        return Evidence(**values)  # type: ignore[arg-type]

    assert gate(evidence(), POLICY) is Gate.ANSWER
    assert gate(evidence(fused=0.5), POLICY) is Gate.LOW_SCORE
    assert gate(evidence(agree=False, lead=0.01), POLICY) is Gate.SPLIT
    assert gate(evidence(cosine=0.3), POLICY) is Gate.NEAR_ANCHOR
    assert gate(evidence(agree=False, coverage=lambda: 0.1), POLICY) is Gate.UNCOVERED
    assert gate(evidence(coverage=lambda: 0.0), POLICY) is Gate.ANSWER  # agreement: coverage not needed


# --------------------------------------------------------------------------- batched decisions

async def test_decide_many_gives_what_decide_gives_and_runs_the_model_once_for_the_undecided():
    from bot.core.config import load_settings
    from bot.core.service import LEXICAL_DECIDES, Service

    service = await Service.create(load_settings({}))
    questions = ["can I stop pods from talking to each other across namespaces",
                 "How do I restrict pod traffic with NetworkPolicy?",  # an entry's own question
                 "",
                 "my pod keeps restarting and i can't see why",
                 "who do I email about an embargoed kubernetes vulnerability"]
    one_by_one = [service.decide(q) for q in questions]
    embedder = service.brain.semantic.embedder
    calls: list[list[str]] = []
    original = embedder.encode

    def counting(texts):
        calls.append(list(texts))
        return original(texts)

    embedder.encode = counting
    try:
        together = service.decide_many([(q, ()) for q in questions])
    finally:
        del embedder.encode
    await service.close()
    assert [(r.kind, r.faq_id, r.route_id) for r in together] == [(r.kind, r.faq_id, r.route_id) for r in one_by_one]
    assert [round(r.confidence, 6) for r in together] == [round(r.confidence, 6) for r in one_by_one]
    undecided = [q for q in questions if q and service.brain.matcher.match(q).confidence < LEXICAL_DECIDES]
    assert len(calls) == 1 and len(calls[0]) == len(undecided) < len(questions) - 1


def test_focus_keeps_every_asking_sentence_and_nothing_of_an_unpunctuated_tail():
    body = ("We run a shared cluster for several teams and want to tighten it. " * 5
            + "Is a namespace a security boundary? Which policy stops pods in one namespace reaching another?? "
            + "some pasted words without any end mark " * 40)
    kept = focus(body)
    assert len(body) >= LONG_POST
    assert "Is a namespace a security boundary?" in kept
    assert "Which policy stops pods in one namespace reaching another?" in kept
    assert kept.count("some pasted words") < 10  # only what the opening's length lets in


async def test_questions_arriving_together_are_answered_in_one_batch_with_the_replies_of_one_by_one():
    import asyncio
    import threading

    from bot.core.config import load_settings
    from bot.core.service import Service

    service = await Service.create(load_settings({}))
    questions = ["how do I write a default deny network policy?", "is a namespace a security boundary",
                 "thanks, that fixed it", "how long are kubeadm certificates valid"]
    alone = [service.decide(q) for q in questions]
    hold = threading.Event()
    held = service._worker.submit(hold.wait)  # the decision thread is busy while the questions arrive
    before = len(service._worker.batches)
    pending = asyncio.gather(*(service.answer(q) for q in questions))
    for _ in range(500):  # until every answer has queued its decision
        if len(service._worker._queue) == len(questions):
            break
        await asyncio.sleep(0.01)
    hold.set()
    together = await pending
    assert held.result(timeout=10) is True
    assert service._worker.batches[before:] == [len(questions)]
    assert [(r.kind, r.faq_id, r.route_id) for r in together] == [(r.kind, r.faq_id, r.route_id) for r in alone]
    await service.close()


def test_focus_is_fast_on_a_long_line_of_unusual_spaces():
    """A heading pattern once ran on every line whatever its length: "Abc" + 400 Ogham space marks (U+1680,
    which input bounding keeps) + "!" took 16 s."""
    import time

    text = "\n".join(["Abc" + "\u1680" * 400 + "!"] * 3 + ["How do I rotate the kubelet certificate?"])
    start = time.perf_counter()
    focused = focus(text)
    assert time.perf_counter() - start < 0.5  # milliseconds now; 16 s before
    assert "rotate the kubelet certificate" in focused
