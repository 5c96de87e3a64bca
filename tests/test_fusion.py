"""Semantic + lexical fusion, the answerability gate, and finding the question in a long post."""

from __future__ import annotations

import logging

import pytest

from bot.core.focus import LONG_POST, focus
from bot.core.fusion import FusionPolicy, fuse
from bot.core.knowledge import FaqEntry
from bot.core.matcher import Candidate, Decision, Match
from bot.semantic.index import SemanticScores

A = FaqEntry(id="network-policies", question="How do I restrict pod traffic?", answer="NetworkPolicy.")
B = FaqEntry(id="rbac-good-practices", question="RBAC good practices?", answer="Least privilege.")
C = FaqEntry(id="audit-logging", question="Audit logs?", answer="Audit policy.")
ENTRIES = {e.id: e for e in (A, B, C)}
POLICY = FusionPolicy(weight=0.4, answer_at=0.52, suggest_at=0.35, margin=0.05)


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
