"""Lexical and semantic evidence fused into one ranking, and the answerability gate.

The lexical matcher is precise when the question uses the knowledge's words; the embedding model
finds paraphrases but ranks nearby topics close together. So: each candidate's score is a weighted
sum of its lexical confidence and its best cosine; the bot answers only when the fused score clears
the threshold AND the two views agree on the winner or the winner leads by a margin. A near miss is
offered as a suggestion, not given as an answer. Weights and thresholds come from settings, chosen
on the real corpus's `tune` half (docs/matching.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.knowledge import FaqEntry
from bot.core.matcher import Candidate, Decision, Match
from bot.semantic.index import SemanticScores

SEMANTIC_CANDIDATES = 5  # entries the embedding adds to the lexical shortlist


@dataclass(frozen=True)
class FusionPolicy:
    """How much the cosine counts, and when a fused winner may be given as the answer."""

    weight: float
    answer_at: float
    suggest_at: float
    margin: float


def fuse(match: Match, semantic: SemanticScores, entries: dict[str, FaqEntry], policy: FusionPolicy) -> Match:
    """Re-rank `match` with `semantic` and decide again; an everyday non-security topic stays one."""
    semantic_winner, semantic_best = semantic.best()
    if match.off_topic and semantic.off_topic >= semantic_best:
        return match
    lexical = {c.entry.id: c.confidence for c in match.ranked}
    shortlist = set(lexical) | set(sorted(semantic.by_entry, key=semantic.by_entry.__getitem__,
                                          reverse=True)[:SEMANTIC_CANDIDATES])
    fused = sorted(
        (Candidate(entries[entry_id], (1 - policy.weight) * lexical.get(entry_id, 0.0)
                   + policy.weight * max(semantic.by_entry.get(entry_id, 0.0), 0.0))
         for entry_id in shortlist if entry_id in entries),
        key=lambda c: c.confidence, reverse=True)
    if not fused:
        return match
    best = fused[0]
    lead = best.confidence - (fused[1].confidence if len(fused) > 1 else 0.0)
    agree = best.entry.id == (match.best.id if match.best else None) == semantic_winner
    if best.confidence >= policy.answer_at and (agree or lead >= policy.margin):
        decision = Decision.ANSWER
    elif best.confidence >= policy.suggest_at:
        decision = Decision.SUGGEST
    else:
        decision = Decision.NONE
    return Match(decision, tuple(fused[:len(match.ranked) or SEMANTIC_CANDIDATES]), match.normalized, match.terms)
