"""The reply object: what the core decided about one question, independent of Slack.

A reply carries what it answers with: an FAQ entry, CVE facts (`cve`, from the CVE advisor), both
(an FAQ answer with the facts of a CVE it mentions), or neither (suggestions, a route, a sentence of
the core's own in `message`). Rendering lives in two places only: `bot.core.render` (plain text)
and `bot.slack.blocks` (Block Kit).
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.core.knowledge import FaqEntry, Route


class ReplyKind(StrEnum):
    """Outcome of one question."""

    ANSWERED = "answered"  # a confident answer: an FAQ entry and/or CVE facts
    SUGGESTIONS = "suggestions"  # close but unsure: up to three "did you mean" entries
    ROUTED = "routed"  # no FAQ answer, but a group owns the topic
    UNKNOWN = "unknown"  # nothing fits; recorded for the maintainers
    PRIVATE = "private"  # looks like an undisclosed vulnerability: private-reporting guidance only
    LIMITED = "limited"  # the asker hit the rate limit


@dataclass(frozen=True)
class AskContext:
    """Who asked, where, and through which surface."""

    user_id: str | None = None
    channel_id: str | None = None
    source: str = "cli"  # mention | dm | channel | command | console | cli | button
    # Credential kinds already redacted from the question before it reached the core (the inbox stores
    # events redacted), so the asker is still told privately to rotate them.
    redacted_kinds: tuple[str, ...] = ()
    # A follow-up in a conversation: the conversation's first question (redacted). A follow-up that is
    # weak alone ("and for 1.29?") is matched together with it, so it keeps the conversation's topic.
    earlier_question: str = ""


@dataclass(frozen=True)
class Reply:
    """Everything a renderer needs."""

    kind: ReplyKind
    question: str  # the question after bounding and secret redaction (NOT escaped: renderers escape)
    # The core's own sentence (mrkdwn, no user text) for kinds without content: unknown, limited, ...
    message: str = ""
    entry: FaqEntry | None = None
    cve: Any = None  # bot.cve answer(s) when the question names CVE ids the advisor knows
    confidence: float = 0.0
    suggestions: tuple[FaqEntry, ...] = ()
    route: Route | None = None
    # Notes only the asker may see (secret found, input cut, ...), shown privately.
    private_notes: tuple[str, ...] = ()
    # True when nothing of this reply may be posted publicly (private reports, rate limit).
    private_only: bool = False
    normalized: str = ""  # the matcher's normalised text, for the question log
    redacted_kinds: tuple[str, ...] = field(default=())
    question_id: int | None = None  # the question log's row, once logged
    question_ref: str | None = None  # the row's unique reference when it is logged after the reply (LogLater)
    off_topic: bool = False  # not a security question at all (chit-chat, everyday operations)
    private_score: float = 0.0  # the private-report check's probability for this message
    private_reasons: tuple[str, ...] = ()  # the check's rule signals (names only)

    @property
    def faq_id(self) -> str | None:
        """The answered entry's id; None unless the bot actually answers."""
        return self.entry.id if self.kind in (ReplyKind.ANSWERED, ReplyKind.PRIVATE) and self.entry else None

    @property
    def log_ref(self) -> int | str | None:
        """What the reply's buttons name the question by: its row id, else the reference it will be logged under."""
        return self.question_id if self.question_id is not None else self.question_ref

    @property
    def route_id(self) -> str | None:
        return self.route.id if self.route else None

    @property
    def suggestion_ids(self) -> tuple[str, ...]:
        return tuple(entry.id for entry in self.suggestions)

    def as_json(self) -> dict[str, object]:
        """The `ask --json` contract."""
        return {
            "question": self.question,
            "kind": self.kind.value,
            "faq_id": self.faq_id,
            "confidence": round(self.confidence, 3),
            "route_id": self.route_id,
            "suggestions": list(self.suggestion_ids),
            "private_score": round(self.private_score, 3),
            "private_reasons": list(self.private_reasons),
        }


@dataclass
class LogLater:
    """Rows of what the inbox worker answers for one event, written by it (set in `LOG_LATER` by the worker).

    Their log rows are not written before the reply: each is kept here with a unique reference
    (`<event key>#<n>`) that the reply's buttons carry, and the worker writes them, insert-or-ignore on
    that reference, once the reply was sent (kept with the event's outbox until then, so none is lost).
    """

    key: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    # Thread memory rows of the answers (bot.storage.threads): written in the transaction that keeps the
    # event's outbox, before the reply is sent, so a follow-up never finds the thread unknown.
    thread_rows: list[dict[str, Any]] = field(default_factory=list)

    def next_ref(self) -> str:
        return f"{self.key}#{len(self.rows)}"


LOG_LATER: contextvars.ContextVar[LogLater | None] = contextvars.ContextVar("log_later", default=None)
