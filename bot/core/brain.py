"""`Brain`: the knowledge and every model built from it, swapped whole on reload.

It owns the matcher, the router, the private-report check and, unless MATCHER=lexical or the model
cannot load, the semantic index (the embedding model's view of the knowledge) with its fusion
policy. Building it is CPU work: callers run `Brain.build` off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.config import Settings
from bot.core.fusion import FusionPolicy
from bot.core.knowledge import FaqEntry, KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.router import Router
from bot.core.text import Shorthand
from bot.safety.disclosure import PrivateReportCheck

if TYPE_CHECKING:
    from bot.semantic import Embedder
    from bot.semantic.index import SemanticIndex


@dataclass(frozen=True)
class Brain:
    """Knowledge with the indexes and models built from it."""

    knowledge: KnowledgeBase
    matcher: Matcher
    router: Router
    private_reports: PrivateReportCheck
    semantic: "SemanticIndex | None" = None
    fusion: FusionPolicy | None = None
    entries_by_id: dict[str, FaqEntry] = field(default_factory=dict)

    @classmethod
    def build(cls, knowledge: KnowledgeBase, settings: Settings, *,
              private_reports: PrivateReportCheck | None = None, embedder: "Embedder | None" = None) -> "Brain":
        """Index `knowledge`; the private-report check and the embedding model are reused across reloads."""
        shorthand = Shorthand.load(settings.shorthand_file)
        matcher = Matcher(knowledge.entries, shorthand, off_topics=knowledge.off_topics,
                          answer_threshold=settings.answer_threshold, suggest_threshold=settings.suggest_threshold)
        semantic = fusion = None
        if embedder is not None:
            from bot.semantic.index import SemanticIndex

            semantic = SemanticIndex.build(embedder, knowledge)
            fusion = FusionPolicy(weight=settings.fusion_weight, answer_at=settings.fused_answer_threshold,
                                  suggest_at=settings.suggest_threshold, margin=settings.fusion_margin)
        return cls(knowledge, matcher, Router(knowledge.routes, shorthand),
                   private_reports or PrivateReportCheck.load(), semantic, fusion,
                   {entry.id: entry for entry in knowledge.entries})
