"""The one entry point: `Service.answer(question, context=...) -> Reply`.

guards (bound, redact, rate-limit, private report?) -> matcher -> router -> store -> Reply.
Slack handlers, the console and the CLI all call this and only differ in rendering.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from bot import disclosure, guards, messages
from bot.config import Settings
from bot.knowledge import FaqEntry, KnowledgeBase, KnowledgeError, Problem, Route, load_knowledge, load_or_raise
from bot.matcher import Decision, Match, Matcher
from bot.reply import AskContext, Reply, ReplyKind
from bot.router import PRIVATE_ROUTE, Router
from bot.text import Shorthand

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger(__name__)
PRIVATE_ENTRY = "report-vulnerability"


@dataclasses.dataclass(frozen=True)
class Brain:
    """Knowledge with the indexes built from it; swapped whole on reload."""

    knowledge: KnowledgeBase
    matcher: Matcher
    router: Router

    @classmethod
    def build(cls, knowledge: KnowledgeBase, settings: Settings) -> "Brain":
        shorthand = Shorthand.load(settings.shorthand_file)
        matcher = Matcher(knowledge.entries, shorthand, off_topics=knowledge.off_topics,
                          answer_threshold=settings.answer_threshold, suggest_threshold=settings.suggest_threshold)
        return cls(knowledge, matcher, Router(knowledge.routes, shorthand))


class Service:
    """Holds the current knowledge, the optional question log and the rate limiter."""

    def __init__(self, settings: Settings, brain: Brain, *, store: "Store | None" = None) -> None:
        self.settings = settings
        self.brain = brain
        self.store = store
        self.rate_limiter = guards.RateLimiter(settings.rate_limit_per_minute)

    @classmethod
    async def create(cls, settings: Settings, *, store: "Store | None" = None) -> "Service":
        """Load knowledge from the configured paths; raises KnowledgeError listing every problem."""
        knowledge = load_or_raise(settings.knowledge_dir, settings.routing_file)
        disclosure.default_model()  # trained now, not on the first message someone sends
        return cls(settings, Brain.build(knowledge, settings), store=store)

    @property
    def knowledge(self) -> KnowledgeBase:
        return self.brain.knowledge

    async def reload(self) -> list[Problem]:
        """Reload knowledge and routing; on any error keep serving the old knowledge."""
        knowledge, problems = load_knowledge(self.settings.knowledge_dir, self.settings.routing_file)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            return errors
        self.brain = Brain.build(knowledge, self.settings)
        return []

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()

    # ------------------------------------------------------------------ answering

    async def answer(self, question: str, *, context: AskContext = AskContext()) -> Reply:
        """Turn a question into a reply, log it, and return it. Never raises on user input."""
        reply = self.decide(question, context=context)
        return await self._log(reply, context)

    def decide(self, question: str, *, context: AskContext = AskContext()) -> Reply:
        """The decision alone, without logging: what `answer` would reply."""
        bounded = guards.bound_input(question, limit=self.settings.max_input_chars)
        redaction = guards.redact_secrets(bounded.text)
        notes: list[str] = []
        if redaction.kinds:
            notes.append(messages.SECRET_FOUND.format(kinds=", ".join(k.replace("_", " ") for k in redaction.kinds)))
        if bounded.truncated:
            notes.append(messages.INPUT_TRUNCATED.format(limit=self.settings.max_input_chars))
        base = dict(question=redaction.text, private_notes=tuple(notes), redacted_kinds=redaction.kinds)

        if context.user_id and not self.rate_limiter.allow(context.user_id):
            return Reply(ReplyKind.LIMITED, text=messages.RATE_LIMITED.format(
                limit=self.settings.rate_limit_per_minute), private_only=True, **base)
        if not guards.is_meaningful(redaction.text):
            return Reply(ReplyKind.UNKNOWN, text=messages.EMPTY_QUESTION, **base)
        match = self.brain.matcher.match(redaction.text)
        if disclosure.looks_like_private_report(redaction.text):
            # If this was an ordinary question after all, the asker can still pick its answer.
            fallbacks = tuple(e for e in match.suggestions(self.settings.suggest_threshold) if e.id != PRIVATE_ENTRY)
            text = messages.PRIVATE_REPORT + (f"\n\n{messages.PRIVATE_FALLBACK}" if fallbacks else "")
            return Reply(ReplyKind.PRIVATE, text=text, private_only=True, suggestions=fallbacks,
                         entry=self.knowledge.entry(PRIVATE_ENTRY), confidence=1.0,
                         route=self.brain.router.get(PRIVATE_ROUTE), **base)
        return self._reply_for(match, base)

    def _reply_for(self, match: Match, base: dict) -> Reply:
        router = self.brain.router
        answered = match.best if match.decision is Decision.ANSWER else None
        # A likely but unconfirmed entry still hints at the owning group, in proportion.
        belief = 1.0 if answered else (match.confidence if match.decision is Decision.SUGGEST else 0.0)
        route = router.route(match.normalized, entry=match.best, belief=belief)
        common = dict(confidence=match.confidence, route=route, normalized=match.normalized, **base)
        if answered:
            return Reply(ReplyKind.ANSWERED, text=answer_text(answered, route), entry=answered, **common)
        if match.decision is Decision.SUGGEST:
            suggestions = match.suggestions(self.settings.suggest_threshold)
            lines = "\n".join(f"• {entry.question}" for entry in suggestions)
            return Reply(ReplyKind.SUGGESTIONS, text=f"{messages.SUGGESTIONS_INTRO}\n{lines}",
                         suggestions=suggestions, **common)
        if route:  # a group's own vocabulary outranks an everyday-topic look ("selinux ... volumes")
            return Reply(ReplyKind.ROUTED, text=messages.ROUTED.format(
                name=route.name, channel=route.channel, link=route.link), **common)
        if match.off_topic:
            return Reply(ReplyKind.UNKNOWN, text=messages.OFF_TOPIC, off_topic=True, **common)
        return Reply(ReplyKind.UNKNOWN, text=messages.UNKNOWN.format(channel=messages.HUMAN_CHANNEL), **common)

    async def answer_entry(self, entry_id: str, *, context: AskContext = AskContext(),
                           question_id: int | None = None) -> Reply | None:
        """The reply for an entry someone picked from suggestions; records the pick."""
        entry = self.knowledge.entry(entry_id)
        if entry is None:
            return None
        route = self.brain.router.route(entry.question, entry=entry)
        if self.store is not None and question_id is not None:
            try:
                await self.store.record_suggestion_pick(question_id=question_id, faq_id=entry.id)
            except Exception:  # the answer matters more than the statistic
                log.exception("could not record a suggestion pick")
        return Reply(ReplyKind.ANSWERED, question=entry.question, text=answer_text(entry, route),
                     entry=entry, confidence=1.0, route=route)

    async def _log(self, reply: Reply, context: AskContext) -> Reply:
        if self.store is None or reply.kind is ReplyKind.LIMITED:
            return reply
        try:
            question_id = await self.store.log_question(reply, context)
        except Exception:  # a broken database must not silence the bot
            log.exception("could not log a question")
            return reply
        return dataclasses.replace(reply, question_id=question_id)


def answer_text(entry: FaqEntry, route: Route | None) -> str:
    """The mrkdwn of an answer: the answer, its links, and the owning group's pointer."""
    parts = [entry.answer.strip()]
    if entry.links:
        parts.append(messages.LINKS_HEADING + " " + " · ".join(f"<{link}>" for link in entry.links))
    if route is not None:
        parts.append(messages.ROUTE_POINTER.format(name=route.name, channel=route.channel, link=route.link))
    return "\n\n".join(parts)


__all__ = ["Service", "Brain", "answer_text", "KnowledgeError"]
