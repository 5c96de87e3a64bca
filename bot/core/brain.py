"""`Brain`: the knowledge and every model built from it, swapped whole on reload.

It owns the matcher, the router and the private-report check (and, where configured, further
models). Building it is CPU work: callers run `Brain.build` off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.config import Settings
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.router import Router
from bot.core.text import Shorthand
from bot.safety.disclosure import PrivateReportCheck


@dataclass(frozen=True)
class Brain:
    """Knowledge with the indexes and models built from it."""

    knowledge: KnowledgeBase
    matcher: Matcher
    router: Router
    private_reports: PrivateReportCheck

    @classmethod
    def build(cls, knowledge: KnowledgeBase, settings: Settings, *,
              private_reports: PrivateReportCheck | None = None) -> "Brain":
        """Index `knowledge`; `private_reports` is reused across reloads when given (it does not depend on it)."""
        shorthand = Shorthand.load(settings.shorthand_file)
        matcher = Matcher(knowledge.entries, shorthand, off_topics=knowledge.off_topics,
                          answer_threshold=settings.answer_threshold, suggest_threshold=settings.suggest_threshold)
        return cls(knowledge, matcher, Router(knowledge.routes, shorthand),
                   private_reports or PrivateReportCheck.load())
