"""What real use says about the knowledge: phrasings people confirmed for an entry.

Two signals, read-only from the question log (`bot.storage.schema` tables):

* a *picked suggestion*: someone asked, got "did you mean", and picked an entry;
* a *helpful answer*: an answered question whose helpful votes outnumber its not-helpful ones.

Each phrasing is cleaned (credentials were redacted before logging; redaction is applied again,
Slack mentions dropped), and phrasings that say the same as one of the entry's own (same content
words) or as another entry's are left out. What remains is deduplicated, counted and ranked.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, false, func, select, true

from bot.core.knowledge import KnowledgeBase
from bot.core.reply import ReplyKind
from bot.core.text import terms
from bot.reports.gaps import MAX_EXAMPLE_CHARS, scrub
from bot.safety.secrets import redact_secrets
from bot.storage.schema import feedback, questions, suggestion_picks

MIN_TERMS = 2  # a phrasing with fewer content words says too little to be an alternate
REDACTION_MARK = "[redacted"


@dataclass
class Candidate:
    """One new phrasing for one entry, with how often real use confirmed it."""

    faq_id: str
    text: str
    count: int = 0
    askers: set[str] = field(default_factory=set)
    sources: Counter[str] = field(default_factory=Counter)  # picked | helpful
    texts: Counter[str] = field(default_factory=Counter)  # spellings seen, the commonest is `text`


def phrasing_key(text: str) -> str:
    """Phrasings with the same content words (order, case, punctuation, filler aside) are one."""
    return " ".join(sorted(set(terms(text))))


def clean(text: str | None) -> str | None:
    """A logged question made fit for a knowledge file, or None (too short, too long, redacted)."""
    if not text:
        return None
    cleaned = scrub(redact_secrets(text).text)
    if (not cleaned or REDACTION_MARK in cleaned or len(cleaned) >= MAX_EXAMPLE_CHARS
            or "\n" in cleaned or len(set(terms(cleaned))) < MIN_TERMS):
        return None
    return cleaned


async def confirmed_phrasings(engine: Any, *, since: dt.datetime) -> list[tuple[str, str, str | None, str]]:
    """(faq_id, text, user_hash, source) of picked suggestions and helpful-rated answers since `since`."""
    q = questions
    picked = (
        select(suggestion_picks.c.faq_id, q.c.text, q.c.user_hash)
        .join(q, q.c.id == suggestion_picks.c.question_id)
        .where(q.c.asked_at >= since, q.c.text.is_not(None), q.c.kind != ReplyKind.PRIVATE.value)
    )
    helpful = func.sum(case((feedback.c.helpful == true(), 1), else_=0))
    unhelpful = func.sum(case((feedback.c.helpful == false(), 1), else_=0))
    rated = (
        select(q.c.faq_id, q.c.text, q.c.user_hash)
        .join(feedback, and_(feedback.c.question_id == q.c.id))
        .where(q.c.asked_at >= since, q.c.kind == ReplyKind.ANSWERED.value, q.c.faq_id.is_not(None),
               q.c.text.is_not(None))
        .group_by(q.c.id, q.c.faq_id, q.c.text, q.c.user_hash)
        .having(helpful > unhelpful)
    )
    async with engine.connect() as connection:
        rows = [(str(f), str(t), u, "picked") for f, t, u in (await connection.execute(picked)).all()]
        rows += [(str(f), str(t), u, "helpful") for f, t, u in (await connection.execute(rated)).all()]
    return rows


def candidates(rows: list[tuple[str, str, str | None, str]], knowledge: KnowledgeBase, *,
               min_count: int = 1, per_entry: int = 5) -> dict[str, list[Candidate]]:
    """New alternates per entry id (entries that still exist), most confirmed first."""
    owner_of: dict[str, str] = {}
    for entry in knowledge.entries:
        for phrasing in entry.phrasings:
            owner_of.setdefault(phrasing_key(phrasing), entry.id)
    found: dict[tuple[str, str], Candidate] = {}
    for faq_id, text, user_hash, source in rows:
        cleaned = clean(text)
        if cleaned is None or knowledge.entry(faq_id) is None:
            continue
        key = phrasing_key(cleaned)
        if key in owner_of:  # already this entry's wording, or another entry's: nothing to add
            continue
        candidate = found.setdefault((faq_id, key), Candidate(faq_id, cleaned))
        candidate.count += 1
        if user_hash:
            candidate.askers.add(user_hash)
        candidate.sources[source] += 1
        candidate.texts[cleaned] += 1
    by_entry: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in found.values():
        # the commonest spelling; on a tie the calmer one (not shouting, shorter), then alphabetical
        candidate.text = min(candidate.texts.items(),
                             key=lambda item: (-item[1], item[0].isupper(), len(item[0]), item[0]))[0]
        if candidate.count >= min_count:
            by_entry[candidate.faq_id].append(candidate)
    return {faq_id: sorted(found_, key=lambda c: (-len(c.askers), -c.count, c.text))[:per_entry]
            for faq_id, found_ in sorted(by_entry.items())}
