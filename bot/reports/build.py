"""Gathering a report: the window's gaps, kinds, most answered, worst rated and stale entries."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from bot.core.knowledge import KnowledgeBase
from bot.core.reply import ReplyKind
from bot.reports.gaps import Gap, group_gaps
from bot.storage import Storage


@dataclass(frozen=True)
class StaleEntry:
    id: str
    reviewed: dt.date | None
    days_old: int | None  # None: never reviewed


@dataclass(frozen=True)
class Report:
    days: int
    generated_at: dt.datetime
    since: dt.datetime
    gaps: list[Gap]
    gap_groups: int  # groups found (gaps holds the top `limit`)
    top_answered: list[tuple[str, int]]  # (faq_id, count)
    worst_rated: list[tuple[str, int, int]]  # (faq_id, not_helpful, helpful)
    stale: list[StaleEntry]
    stale_days: int
    private_count: int
    kinds: dict[str, int]  # questions per kind in the window
    low_confidence: float
    titles: dict[str, str] = field(default_factory=dict)  # faq id -> its question, for display
    # Events the bot accepted but could not answer for good: (event kind, reason); never their text.
    undelivered: list[tuple[str, str]] = field(default_factory=list)
    # Why answers were not helpful (the feedback modal's reasons): reason -> votes.
    not_helpful_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def total_questions(self) -> int:
        return sum(self.kinds.values())


def stale_entries(knowledge: KnowledgeBase, *, stale_days: int, today: dt.date) -> list[StaleEntry]:
    """Entries whose `reviewed` date is more than `stale_days` ago (or missing), oldest first."""
    found = []
    for entry in knowledge.entries:
        if entry.reviewed is None:
            found.append(StaleEntry(entry.id, None, None))
            continue
        age = (today - entry.reviewed).days
        if age > stale_days:
            found.append(StaleEntry(entry.id, entry.reviewed, age))
    found.sort(key=lambda s: (s.days_old is not None, -(s.days_old or 0), s.id))
    return found


async def build_report(
    storage: Storage,
    *,
    knowledge: KnowledgeBase,
    days: int = 30,
    stale_days: int = 365,
    now: dt.datetime | None = None,
    low_confidence: float = 0.7,
    limit: int = 50,
    top: int = 10,
    embedder: Any = None,
) -> Report:
    """Gather the report for the `days` days up to `now` (UTC); `embedder` also groups gaps by meaning."""
    if now is None:
        now = storage.clock()
    elif now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    else:
        now = now.astimezone(dt.UTC)
    since = now - dt.timedelta(days=days)
    rows = await storage.questions.gap_rows(since=since, until=now, low_confidence=low_confidence)
    gaps = await asyncio.to_thread(lambda: group_gaps(rows, embedder=embedder))  # CPU work off the event loop
    kinds = await storage.questions.kind_counts(since=since, until=now)
    top_answered = await storage.questions.popular_entries(days=days, limit=top, now=now)
    worst = await storage.questions.worst_rated(since=since, until=now, limit=top)
    stale = stale_entries(knowledge, stale_days=stale_days, today=now.date())
    undelivered = [(kind, reason or "unknown") for _key, kind, reason in await storage.inbox.failed(since=since)]
    reasons = await storage.questions.reason_counts(since=since, until=now)
    return Report(
        days=days,
        generated_at=now,
        since=since,
        gaps=gaps[:limit],
        gap_groups=len(gaps),
        top_answered=top_answered,
        worst_rated=worst,
        not_helpful_reasons=reasons,
        stale=stale,
        stale_days=stale_days,
        private_count=kinds.get(ReplyKind.PRIVATE.value, 0),
        kinds=kinds,
        low_confidence=low_confidence,
        titles={entry.id: entry.question for entry in knowledge.entries},
        undelivered=undelivered,
    )
