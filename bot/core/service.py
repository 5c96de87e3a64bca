"""The one entry point: `Service.answer(question, context=...) -> Reply`.

bound -> redact -> rate limit -> private report? -> matcher -> router -> question log -> Reply.
Slack listeners, the console and the CLI all call this and only differ in rendering. Feedback,
suggestion picks and reports also go through the service, so listeners never touch storage.

The decision is CPU work: it runs on one worker thread (the matcher's memo is not thread-safe, and
one thread keeps the event loop free to acknowledge Slack within its 3 seconds). Questions waiting
together are decided as one batch (`decide_many`): the embedding model runs once for all of them that
need it, and not at all for those the lexical evidence already decides (`LEXICAL_DECIDES`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from bot.core import messages
from bot.core.brain import Brain
from bot.core.config import Settings
from bot.core.knowledge import KnowledgeBase, KnowledgeError, Problem, load_knowledge, load_or_raise
from bot.core.focus import focus
from bot.core.fusion import fuse
from bot.core.matcher import Decision, Match
from bot.core.reply import LOG_LATER, AskContext, Reply, ReplyKind
from bot.core.router import PRIVATE_ROUTE
from bot.safety.bounds import bound_input, is_meaningful
from bot.safety.ratelimit import RateLimiter
from bot.safety.secrets import describe_kinds, redact_secrets
from bot.semantic.worker import BatchingWorker

if TYPE_CHECKING:
    from bot.storage import Storage

log = logging.getLogger(__name__)
PRIVATE_ENTRY = "report-vulnerability"
MAX_CVE_IDS = 5  # a message naming more gets the first five (a compact table)
# A lexical confidence at or above this answers whatever the embedding says (fusion is skipped: faster).
LEXICAL_DECIDES = 0.85
T = TypeVar("T")


def load_embedder(settings: Settings) -> Any:
    """The embedding model unless MATCHER=lexical; if it cannot load, say so once and run lexical-only."""
    if settings.matcher != "fused":
        return None
    from bot.semantic import EmbeddingUnavailable

    try:
        return shared_embedder()
    except EmbeddingUnavailable as exc:
        log.warning("semantic matching unavailable, running lexical-only: %s", exc)
        return None


@functools.lru_cache(maxsize=1)
def shared_embedder() -> Any:
    """One loaded model per process (it is read-only and thread-safe): reloads and services share it."""
    from bot.semantic import Embedder

    return Embedder.load()


def load_cve_advisor(settings: Settings) -> Any:
    """The CVE advisor over the CVE_DATA snapshot; None (no CVE replies) when unset or unreadable."""
    if settings.cve_data is None:
        return None
    from bot.cve import CveAdvisor, SnapshotError

    try:
        return CveAdvisor.from_path(settings.cve_data)
    except SnapshotError as exc:
        log.warning("CVE advisor off: %s", exc)
        return None


class Service:
    """Holds the current `Brain`, the optional storage and the rate limiter."""

    def __init__(self, settings: Settings, brain: Brain, *, storage: "Storage | None" = None,
                 cve: Any = None) -> None:
        self.settings = settings
        self.brain = brain
        self.storage = storage
        self.cve = cve  # bot.cve.CveAdvisor when CVE_DATA is set
        self.rate_limiter = RateLimiter(settings.rate_limit_per_minute)
        # One decision thread; questions queued together are decided in one batch (one embedding call).
        self._worker = BatchingWorker(name="brain")
        self._worker.batch(self.decide, self.decide_many)

    @classmethod
    async def create(cls, settings: Settings, *, storage: "Storage | None" = None) -> "Service":
        """Load knowledge and build every model; raises KnowledgeError listing every problem."""
        knowledge = load_or_raise(settings.knowledge_dir, settings.routing_file)
        embedder = await asyncio.to_thread(load_embedder, settings)
        brain = await asyncio.to_thread(Brain.build, knowledge, settings, embedder=embedder)
        return cls(settings, brain, storage=storage, cve=await asyncio.to_thread(load_cve_advisor, settings))

    @property
    def knowledge(self) -> KnowledgeBase:
        return self.brain.knowledge

    async def _run_decision(self, work: Callable[..., T], *args: Any) -> T:
        """Run a decision: in the decision thread when the model is loaded (it runs outside the GIL and
        batches); on the loop without it (lexical matching is pure Python, a few ms at most for a bounded
        post, and a thread would add only GIL hand-offs). Events are stored before any decision, so the
        ack never waits for one."""
        if self.brain.semantic is None:
            return work(*args)
        return await asyncio.get_running_loop().run_in_executor(self._worker, work, *args)

    async def reload(self) -> list[Problem]:
        """Reload knowledge and rebuild the brain; on any error keep serving the old one."""
        knowledge, problems = await asyncio.to_thread(load_knowledge, self.settings.knowledge_dir,
                                                      self.settings.routing_file)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            return errors
        embedder = self.brain.semantic.embedder if self.brain.semantic else None
        self.brain = await asyncio.to_thread(Brain.build, knowledge, self.settings,
                                             private_reports=self.brain.private_reports, embedder=embedder)
        return []

    async def close(self) -> None:
        """Stop the worker thread (storage belongs to whoever opened it)."""
        self._worker.shutdown(wait=True)

    # ------------------------------------------------------------------ answering

    async def answer(self, question: str, *, context: AskContext = AskContext()) -> Reply:
        """Turn a question into a reply, log it, and return it. Never raises on user input."""
        if context.user_id and not await self._allow(context.user_id):
            return await self._log(self._limited(question), context)  # logged, marked limited
        if context.earlier_question:
            reply = await self._run_decision(self.decide_followup, question, context.earlier_question,
                                         context.redacted_kinds)
        else:
            reply = await self._run_decision(self.decide, question, context.redacted_kinds)
        return await self._log(reply, context)

    async def _allow(self, user_id: str) -> bool:
        """The per-user rate limit: shared through the database, per process while it is unreachable."""
        if self.storage is not None:
            try:
                return await self.storage.questions.allow_question(
                    user_id, per_minute=self.settings.rate_limit_per_minute)
            except Exception as exc:  # noqa: BLE001 - the limit must not take the bot down with the database
                log.warning("shared rate limit unavailable, using this process's: %s", type(exc).__name__)
        return self.rate_limiter.allow(user_id)

    def _limited(self, question: str) -> Reply:
        bounded = bound_input(question, limit=self.settings.max_input_chars)
        return Reply(ReplyKind.LIMITED, question=redact_secrets(bounded.text).text, private_only=True,
                     message=messages.RATE_LIMITED.format(limit=self.settings.rate_limit_per_minute))

    def decide(self, question: str, redacted_before: tuple[str, ...] = ()) -> Reply:
        """The decision alone, without rate limit or logging: what `answer` would reply.

        `redacted_before`: credential kinds removed from `question` before it got here.
        """
        return self.decide_many([(question, redacted_before)])[0]

    def decide_many(self, requests: list[tuple[Any, ...]]) -> list[Reply]:
        """`decide` for several questions at once (each `(question, redacted_before)`), replies in order.

        Lexical matching first for all; the questions whose lexical confidence is below
        `LEXICAL_DECIDES` are then embedded together, in one call of the model.
        """
        brain = self.brain  # one brain for the whole batch, even if a reload swaps it meanwhile
        staged = [self._stage(brain, *request) for request in requests]
        pending = [i for i, stage in enumerate(staged) if not isinstance(stage, Reply)
                   and brain.semantic is not None and brain.fusion is not None
                   and stage[1].confidence < LEXICAL_DECIDES]
        if pending:
            texts = [focus(staged[i][0]["question"]) for i in pending]
            for i, text, semantic in zip(pending, texts, brain.semantic.scores_many(texts)):
                base, match = staged[i]
                coverage = functools.partial(brain.matcher.coverage, text)
                staged[i] = (base, fuse(match, semantic, brain.entries_by_id, brain.fusion, coverage=coverage))
        return [stage if isinstance(stage, Reply) else self._conclude(brain, *stage) for stage in staged]

    def _stage(self, brain: Brain, question: str, redacted_before: tuple[str, ...] = ()) -> "Reply | tuple":
        """Bound, redact and match lexically: a final Reply, or (reply fields, lexical match) to go on with."""
        bounded = bound_input(question, limit=self.settings.max_input_chars)
        redaction = redact_secrets(bounded.text)
        kinds = tuple(sorted({*redaction.kinds, *redacted_before}))
        notes: list[str] = []
        if kinds:
            notes.append(messages.SECRET_FOUND.format(kinds=describe_kinds(kinds)))
        if bounded.truncated:
            notes.append(messages.INPUT_TRUNCATED.format(limit=self.settings.max_input_chars))
        base = dict(question=redaction.text, private_notes=tuple(notes), redacted_kinds=kinds)

        if not is_meaningful(redaction.text):
            return Reply(ReplyKind.UNKNOWN, message=messages.EMPTY_QUESTION, **base)
        return base, brain.matcher.match(redaction.text)

    def _conclude(self, brain: Brain, base: dict[str, Any], match: Match) -> Reply:
        """The private-report check, then the reply for the (fused) match."""
        text = base["question"]
        verdict = brain.private_reports.verdict(text)
        base.update(private_score=verdict.score, private_reasons=verdict.reasons)
        if verdict.level == "borderline":  # answer as usual, and tell the asker privately how to report
            base["private_notes"] = (messages.PRIVATE_HINT, *base["private_notes"])
        if verdict.level == "confident":
            # If this was an ordinary question after all, the asker can still pick its answer.
            fallbacks = tuple(e for e in match.suggestions(self.settings.suggest_threshold) if e.id != PRIVATE_ENTRY)
            return Reply(ReplyKind.PRIVATE, message=messages.PRIVATE_REPORT, private_only=True,
                         suggestions=fallbacks, entry=brain.knowledge.entry(PRIVATE_ENTRY), confidence=1.0,
                         route=brain.router.get(PRIVATE_ROUTE), **base)
        return self._with_cve_facts(self._reply_for(brain, match, base), text)

    def decide_followup(self, question: str, earlier: str, redacted_before: tuple[str, ...] = ()) -> Reply:
        """A follow-up in a conversation whose first question was `earlier` (redacted).

        Decided alone first. When that is weak (no answer, not a private report, not chit-chat), it is
        decided again with `earlier` after it, so "and for 1.29?" keeps the conversation's topic; that
        joined decision is taken when it answers with something `earlier` alone does not (another entry,
        CVE facts) or finds a private report. The reply keeps the follow-up's own text and notes.
        """
        alone = self.decide(question, redacted_before)
        if alone.kind in (ReplyKind.ANSWERED, ReplyKind.PRIVATE) or alone.off_topic or not is_meaningful(
                alone.question):
            return alone
        joined = self.decide(f"{alone.question}\n{earlier}", redacted_before)
        if joined.kind is ReplyKind.ANSWERED and joined.cve is None:
            new = joined.faq_id != self.decide(earlier).faq_id
        else:
            new = joined.kind in (ReplyKind.ANSWERED, ReplyKind.PRIVATE)
        if not new:
            return alone
        return dataclasses.replace(joined, question=alone.question, private_notes=alone.private_notes,
                                   redacted_kinds=alone.redacted_kinds)

    def _with_cve_facts(self, reply: Reply, text: str) -> Reply:
        """Add the facts of the CVE ids a question names; an FAQ answer it earned stays (facts come first)."""
        if self.cve is None:
            return reply
        from bot.cve import find_ids, find_malformed
        from bot.cve.mentions import find_component, find_version

        ids = find_ids(text)[:MAX_CVE_IDS]
        if not ids:
            malformed = find_malformed(text)
            if not malformed:
                return reply
            note = messages.CVE_MALFORMED.format(token=malformed[0][:40])
            return dataclasses.replace(reply, private_notes=(*reply.private_notes, note))
        component = find_component(text)
        answers = self.cve.lookup_many(ids, find_version(text), component.name if component else None)
        if not answers:
            return reply
        facts = answers[0] if len(answers) == 1 else answers
        if reply.kind is ReplyKind.ANSWERED:
            return dataclasses.replace(reply, cve=facts)
        return dataclasses.replace(reply, kind=ReplyKind.ANSWERED, cve=facts, entry=None, suggestions=(),
                                   message="", confidence=1.0, off_topic=False)

    def _reply_for(self, brain: Brain, match: Match, base: dict[str, Any]) -> Reply:
        answered = match.best if match.decision is Decision.ANSWER else None
        # A likely but unconfirmed entry still hints at the owning group, in proportion.
        belief = match.confidence if match.decision is Decision.SUGGEST else 0.0
        route = brain.router.route(match.normalized, answer=answered, hint=match.best, belief=belief)
        common = dict(confidence=match.confidence, route=route, normalized=match.normalized, **base)
        if answered:
            return Reply(ReplyKind.ANSWERED, entry=answered, **common)
        if match.decision is Decision.SUGGEST:
            return Reply(ReplyKind.SUGGESTIONS, suggestions=match.suggestions(self.settings.suggest_threshold),
                         **common)
        if route:  # a group's own vocabulary outranks an everyday-topic look ("selinux ... volumes")
            return Reply(ReplyKind.ROUTED, **common)
        if match.off_topic:
            return Reply(ReplyKind.UNKNOWN, message=messages.OFF_TOPIC, off_topic=True, **common)
        return Reply(ReplyKind.UNKNOWN, message=messages.UNKNOWN.format(channel=messages.HUMAN_CHANNEL), **common)

    async def answer_entry(self, entry_id: str, *, context: AskContext = AskContext(),
                           question_id: int | str | None = None) -> Reply | None:
        """The reply for an entry someone picked from suggestions; records the pick (`question_id`: the
        question's row id or its reference)."""
        entry = self.knowledge.entry(entry_id)
        if entry is None:
            return None
        route = self.brain.router.route(entry.question, answer=entry)
        if self.storage is not None and question_id is not None:
            try:
                await self.storage.questions.record_suggestion_pick(question_id=question_id, faq_id=entry.id)
            except Exception as exc:  # noqa: BLE001 - the answer matters more than the statistic
                log.warning("could not record a suggestion pick: %s", type(exc).__name__)
        return Reply(ReplyKind.ANSWERED, question=entry.question, entry=entry, confidence=1.0, route=route)

    async def _log(self, reply: Reply, context: AskContext) -> Reply:
        if self.storage is None:
            return reply
        later = LOG_LATER.get()
        if later is not None:  # the inbox worker writes the row once the reply is sent (bot.core.reply.LogLater)
            ref = later.next_ref()
            later.rows.append({**self.storage.questions.question_row(reply, context), "ref": ref})
            return dataclasses.replace(reply, question_ref=ref)
        try:
            question_id = await self.storage.questions.log_question(reply, context)
        except Exception as exc:  # noqa: BLE001 - a broken database must not silence the bot
            log.warning("could not log a question: %s", type(exc).__name__)  # never the question itself
            return reply
        return dataclasses.replace(reply, question_id=question_id)

    # ------------------------------------------------------------------ feedback and reports

    async def record_feedback(self, *, question_id: int | str | None, user_id: str | None, helpful: bool,
                              reason: str | None = None, comment: str | None = None) -> bool:
        """Store one person's 'helpful?' vote (a second click changes it), with the reason from the
        "Not helpful" modal when given; False when it names no logged question (row id or reference)
        or there is no storage to keep it in."""
        if self.storage is None:
            return False
        return await self.storage.questions.record_feedback(question_id=question_id, user_id=user_id,
                                                            helpful=helpful, reason=reason, comment=comment)

    async def popular_entries(self, *, days: int, limit: int = 5) -> list[tuple[Any, int]]:
        """(entry, times answered) for the most answered entries that still exist."""
        if self.storage is None:
            return []
        found = await self.storage.questions.popular_entries(days=days, limit=limit)
        return [(entry, n) for faq_id, n in found if (entry := self.knowledge.entry(faq_id))]

    async def report(self, *, days: int, fmt: str = "text") -> str | None:
        """The maintainers' report for the last `days` days, rendered; None without storage."""
        if self.storage is None:
            return None
        from bot.reports import report_text

        return await report_text(self.storage, knowledge=self.knowledge, days=days,
                                 stale_days=self.settings.stale_days, fmt=fmt)


__all__ = ["Service", "Brain", "KnowledgeError"]
