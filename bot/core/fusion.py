"""Lexical and semantic evidence fused into one ranking, and the answerability gate.

The lexical matcher is precise when the question uses the knowledge's words; the embedding model
finds paraphrases but ranks nearby topics close together. So: each candidate's score is a weighted
sum of its lexical confidence and its best cosine; the fused winner is then put through an explicit
answerability gate (`gate`), because nearness is not answerability. Answer only when

1. the fused score clears the threshold,
2. the lexical and semantic winners agree, or the winner leads the runner-up by a margin,
3. optionally (`anchor_margin`, off by default since the fifth session's selection), the winner is
   nearer (by cosine) than the nearest not-security anchor (an everyday topic that is as close as the
   entry means the entry is merely a neighbour), and
4. when the two views disagree, the winner covers enough of the question's key terms (IDF mass).

A candidate that fails the gate is offered as a suggestion, not given as an answer; the owning group
is still named (the router runs on every reply). Weights and thresholds come from settings and the
defaults below, chosen on the real corpus's `tune` half by the rule in docs/matching.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from bot.core.knowledge import FaqEntry
from bot.core.matcher import Candidate, Decision, Match
from bot.semantic.index import SemanticScores

SEMANTIC_CANDIDATES = 5  # entries the embedding adds to the lexical shortlist


class Gate(StrEnum):
    """Why a fused winner was or was not given as the answer."""

    ANSWER = "answer"
    LOW_SCORE = "low-score"  # below the fused answer threshold
    SPLIT = "split"  # the views disagree and the winner's lead is below the margin
    NEAR_ANCHOR = "near-anchor"  # an everyday (not-security) topic is at least as near as the winner
    UNCOVERED = "uncovered"  # the views disagree and the winner explains too little of the question


@dataclass(frozen=True)
class FusionPolicy:
    """How much the cosine counts, and when a fused winner may be given as the answer."""

    weight: float
    answer_at: float
    suggest_at: float
    margin: float
    # The winner's cosine must exceed the nearest not-security anchor's by more than this (None: not checked;
    # the default since the fifth session's selection on the grown tune half, docs/matching.md).
    anchor_margin: float | None = None
    # When the views disagree, the winner must explain at least this share of the question's key terms.
    min_coverage: float = 0.15


@dataclass(frozen=True)
class Evidence:
    """What the gate looks at for one fused winner."""

    fused: float
    lead: float  # over the fused runner-up
    agree: bool  # the lexical and the semantic winner are both the fused winner
    cosine: float  # the winner's best cosine
    anchor: float  # the nearest not-security anchor's cosine
    coverage: Callable[[], float]  # share of the question's key terms the winner holds (computed on demand)


def gate(evidence: Evidence, policy: FusionPolicy) -> Gate:
    """The answerability verdict for a fused winner (cheapest checks first)."""
    if evidence.fused < policy.answer_at:
        return Gate.LOW_SCORE
    if not evidence.agree and evidence.lead < policy.margin:
        return Gate.SPLIT
    if policy.anchor_margin is not None and evidence.cosine - evidence.anchor <= policy.anchor_margin:
        return Gate.NEAR_ANCHOR
    if not evidence.agree and policy.min_coverage > 0 and evidence.coverage() < policy.min_coverage:
        return Gate.UNCOVERED
    return Gate.ANSWER


def fuse(match: Match, semantic: SemanticScores, entries: dict[str, FaqEntry], policy: FusionPolicy, *,
         coverage: Callable[[str], float] | None = None) -> Match:
    """Re-rank `match` with `semantic` and decide again through the gate.

    `coverage(entry_id)`: the share of the question's key terms that entry holds (the matcher's
    `coverage`); without it the coverage check is skipped. An everyday non-security topic stays one.
    """
    semantic_winner, semantic_best = semantic.best()
    if match.off_topic and semantic.off_topic >= semantic_best:
        return match
    lexical = {c.entry.id: c.confidence for c in match.ranked}
    shortlist = set(lexical) | set(sorted(semantic.by_entry, key=semantic.by_entry.__getitem__,
                                          reverse=True)[:SEMANTIC_CANDIDATES])
    fused = sorted(  # ties go to the lower id, whatever order the set holds them in (the hash seed)
        (Candidate(entries[entry_id], (1 - policy.weight) * lexical.get(entry_id, 0.0)
                   + policy.weight * max(semantic.by_entry.get(entry_id, 0.0), 0.0))
         for entry_id in sorted(shortlist) if entry_id in entries),
        key=lambda c: c.confidence, reverse=True)
    if not fused:
        return match
    best = fused[0]
    evidence = Evidence(
        fused=best.confidence,
        lead=best.confidence - (fused[1].confidence if len(fused) > 1 else 0.0),
        agree=best.entry.id == (match.best.id if match.best else None) == semantic_winner,
        cosine=semantic.by_entry.get(best.entry.id, 0.0),
        anchor=semantic.off_topic,
        coverage=(lambda: coverage(best.entry.id)) if coverage is not None else (lambda: 1.0))
    verdict = gate(evidence, policy)
    if verdict is Gate.ANSWER:
        decision = Decision.ANSWER
    elif best.confidence >= policy.suggest_at:
        decision = Decision.SUGGEST
    else:
        decision = Decision.NONE
    return Match(decision, tuple(fused[:len(match.ranked) or SEMANTIC_CANDIDATES]), match.normalized, match.terms)
