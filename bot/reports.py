"""Maintainers' reports: where the FAQ falls short, what it answers most, what needs a review.

SIG Security's charter asks it to "identify common questions or issues as areas for improvement";
this turns the question log into that list.

A *gap* is a question the FAQ did not serve well: unanswered (kinds unknown and routed), answered
with low confidence, suggestions nobody picked, or an answer rated not helpful. Near-identical gap
questions are grouped in two steps so 100k rows stay fast:

1. exact grouping on a content key: the normalised text's words minus filler words
   ("how do I report a vuln?" and "how can I report a vuln" share one key);
2. greedy fuzzy merging of the distinct keys, most-asked first: a key joins the first group
   leader scoring >= `FUZZY_CUTOFF` (rapidfuzz ratio, or ratio on sorted words) whose
   numbers/CVE ids are the same. Candidates are blocked: only leaders sharing one of the key's
   three rarest words, with a similar length, are scored.

Groups rank by distinct askers, then questions. Private reports only ever appear as a count.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from rapidfuzz import fuzz
from sqlalchemy import String, and_, case, false, func, or_, select, type_coerce

from bot.knowledge import KnowledgeBase
from bot.reply import ReplyKind
from bot.store import Store, feedback, questions, suggestion_picks, utcnow
from bot.text import terms

FORMATS = ("text", "markdown", "csv", "json")
FUZZY_CUTOFF = 85.0
BLOCK_TOKENS = 3  # a key is indexed / looked up under its rarest words
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 200

GAP_KINDS = (ReplyKind.UNKNOWN.value, ReplyKind.ROUTED.value)
REASONS = {
    "unanswered": "no FAQ answer",
    "low_confidence": "low-confidence answer",
    "suggestions_unpicked": "suggestions nobody picked",
    "not_helpful": "answer rated not helpful",
}

_WORD = re.compile(r"[a-z0-9]+(?:[-_.:/][a-z0-9]+)*")

# Slack markup that could notify people or reveal ids if a report is pasted or posted.
_SLACK_USER = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_SLACK_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_SLACK_GROUP = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_CHANNEL = re.compile(r"<#C[A-Z0-9]+(?:\|([^>]*))?>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>\s]+)(?:\|([^>]*))?>")
_SPACE = re.compile(r"\s+")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Gap:
    """A group of near-identical questions the FAQ did not serve."""

    example: str
    examples: tuple[str, ...]
    count: int
    askers: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    channels: tuple[str, ...]
    route_id: str | None
    reasons: dict[str, int] = field(default_factory=dict)


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

    @property
    def total_questions(self) -> int:
        return sum(self.kinds.values())


# --------------------------------------------------------------------------- text helpers


def scrub(text: str) -> str:
    """One line of user text without Slack mentions/ids, whitespace collapsed, bounded."""
    text = _SLACK_USER.sub("@someone", text)
    text = _SLACK_SPECIAL.sub(lambda m: "@" + m.group(1), text)
    text = _SLACK_GROUP.sub(lambda m: (m.group(1) or "@group"), text)
    text = _SLACK_CHANNEL.sub(lambda m: "#" + (m.group(1) or "channel"), text)
    text = _SLACK_LINK.sub(lambda m: m.group(1), text)
    text = _SPACE.sub(" ", text).strip()
    if len(text) > MAX_EXAMPLE_CHARS:
        text = text[: MAX_EXAMPLE_CHARS - 1].rstrip() + "…"
    return text


def content_key(normalized: str | None, text: str | None) -> str:
    """The exact grouping key: the matcher's content terms (no glue words, stemmed), in order."""
    source = normalized or text or ""
    return " ".join(terms(source)) or " ".join(_WORD.findall(source.lower()))


_WITH_DIGIT = re.compile(r"\S*\d\S*")


def _numbers(key: str) -> frozenset[str]:
    """Words with digits (CVE ids, versions): near-identical questions must agree on them."""
    return frozenset(_WITH_DIGIT.findall(key))


def cluster_keys(weighted_keys: Iterable[str], *, cutoff: float = FUZZY_CUTOFF) -> dict[str, str]:
    """Map each key to its group leader; keys must come most important first.

    Greedy leader clustering with blocking: a key is compared only with leaders that share one of
    its `BLOCK_TOKENS` rarest words (by how many keys use the word) and whose length allows the
    cutoff; the first leader reaching `cutoff` wins, else the key leads a new group.
    """
    keys = list(dict.fromkeys(weighted_keys))
    df: Counter[str] = Counter()
    token_sets = {}
    for key in keys:
        words = frozenset(key.split())
        token_sets[key] = words
        df.update(words)
    # ratio >= cutoff needs 2*min/(a+b) >= cutoff, i.e. min/max >= cutoff / (200 - cutoff)
    min_length_ratio = cutoff / (200.0 - cutoff)
    leader_of: dict[str, str] = {}
    leaders: list[tuple[str, str, frozenset[str], int]] = []  # key, sorted key, numbers, length
    postings: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        block = sorted(token_sets[key], key=lambda w: (df[w], w))[:BLOCK_TOKENS]
        sorted_key = " ".join(sorted(key.split()))
        numbers = _numbers(key)
        length = len(key)
        match = None
        seen: set[int] = set()
        for word in block:
            for index in postings.get(word, ()):
                if index in seen:
                    continue
                seen.add(index)
                lead, lead_sorted, lead_numbers, lead_length = leaders[index]
                if min(length, lead_length) < min_length_ratio * max(length, lead_length):
                    continue
                if lead_numbers != numbers:
                    continue
                if (fuzz.ratio(key, lead, score_cutoff=cutoff)
                        or fuzz.ratio(sorted_key, lead_sorted, score_cutoff=cutoff)):
                    match = lead
                    break
            if match is not None:
                break
        if match is None:
            leader_of[key] = key
            index = len(leaders)
            leaders.append((key, sorted_key, numbers, length))
            for word in block:
                postings[word].append(index)
        else:
            leader_of[key] = match
    return leader_of


# --------------------------------------------------------------------------- building


class _Acc:
    """Running totals for one exact key (and later one merged group)."""

    __slots__ = ("count", "askers", "first", "last", "channels", "routes", "texts", "reasons")

    def __init__(self) -> None:
        self.count = 0
        self.askers: set[str] = set()
        # datetimes, or SQLite's sortable timestamp text (parsed once per group, not per row)
        self.first: dt.datetime | str | None = None
        self.last: dt.datetime | str | None = None
        self.channels: Counter[str] = Counter()
        self.routes: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()

    def merge(self, other: _Acc) -> None:
        self.count += other.count
        self.askers |= other.askers
        if other.first is not None and (self.first is None or other.first < self.first):
            self.first = other.first
        if other.last is not None and (self.last is None or other.last > self.last):
            self.last = other.last
        self.channels.update(other.channels)
        self.routes.update(other.routes)
        self.texts.update(other.texts)
        self.reasons.update(other.reasons)


def _as_utc(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _ranked_texts(texts: Counter[str]) -> list[str]:
    return [text for text, _n in sorted(texts.items(), key=lambda item: (-item[1], item[0]))]


def _examples(parts: list[_Acc]) -> tuple[str, ...]:
    """Up to three different texts: each phrasing's most common first, then the rest."""
    chosen: list[str] = []
    seen: set[str] = set()

    def take(text: str) -> None:
        cleaned = scrub(text)
        signature = " ".join(_WORD.findall(cleaned.lower()))  # ignore case and punctuation
        if cleaned and signature not in seen and len(chosen) < MAX_EXAMPLES:
            chosen.append(cleaned)
            seen.add(signature)

    ranked = [_ranked_texts(part.texts) for part in parts[: MAX_EXAMPLES * 4]]
    for texts in ranked:
        if len(chosen) == MAX_EXAMPLES:
            break
        if texts:
            take(texts[0])
    for texts in ranked:
        for text in texts[1: MAX_EXAMPLES * 2]:
            if len(chosen) == MAX_EXAMPLES:
                return tuple(chosen)
            take(text)
    return tuple(chosen)


def group_gaps(rows: Iterable[tuple], *, cutoff: float = FUZZY_CUTOFF) -> list[Gap]:
    """Group gap rows (asked_at, channel_id, user_hash, text, normalized, route_id, reason), ranked.

    `asked_at` is a datetime, or on SQLite the stored UTC text (same order, parsed per group)."""
    by_key: dict[str, _Acc] = {}
    keys: dict[tuple[str | None, str | None], str] = {}  # many rows share a phrasing
    for asked_at, channel_id, user_hash, text, normalized, route_id, reason in rows:
        key = keys.get((normalized, text))
        if key is None:
            key = keys[(normalized, text)] = content_key(normalized, text)
        if not key:
            continue
        acc = by_key.get(key)
        if acc is None:
            acc = by_key[key] = _Acc()
        acc.count += 1
        if user_hash:
            acc.askers.add(user_hash)
        if acc.first is None or asked_at < acc.first:
            acc.first = asked_at
        if acc.last is None or asked_at > acc.last:
            acc.last = asked_at
        if channel_id:
            acc.channels[channel_id] += 1
        if route_id:
            acc.routes[route_id] += 1
        if text:
            acc.texts[text] += 1
        acc.reasons[reason] += 1

    order = sorted(by_key, key=lambda k: (-len(by_key[k].askers), -by_key[k].count, k))
    leader_of = cluster_keys(order, cutoff=cutoff)
    members: dict[str, list[str]] = defaultdict(list)
    for key in order:  # members stay most-asked first
        members[leader_of[key]].append(key)

    gaps = []
    for leader, keys in members.items():
        parts = [by_key[k] for k in keys]
        total = _Acc()
        for part in parts:
            total.merge(part)
        examples = _examples(parts)
        if not examples or total.first is None or total.last is None:
            continue
        channels = tuple(c for c, _ in sorted(total.channels.items(), key=lambda item: (-item[1], item[0])))
        route = min(total.routes.items(), key=lambda item: (-item[1], item[0]))[0] if total.routes else None
        gaps.append(Gap(
            example=examples[0],
            examples=examples,
            count=total.count,
            askers=len(total.askers),
            first_seen=_as_utc(total.first),
            last_seen=_as_utc(total.last),
            channels=channels,
            route_id=route,
            reasons=dict(sorted(total.reasons.items(), key=lambda item: (-item[1], item[0]))),
        ))
    gaps.sort(key=lambda g: (-g.askers, -g.count, -g.last_seen.timestamp(), g.example))
    return gaps


async def _gap_rows(store: Store, *, since: dt.datetime, until: dt.datetime, low_confidence: float) -> list[tuple]:
    q = questions
    picked = select(suggestion_picks.c.question_id)
    unhelpful = select(feedback.c.question_id).where(feedback.c.helpful == false(), feedback.c.question_id.is_not(None))
    is_unhelpful = q.c.id.in_(unhelpful)
    # SQLite keeps timestamps as fixed-width UTC text that sorts like the instant; reading it raw
    # skips parsing 100k datetimes (min/max work on the text; each group's two are parsed later).
    asked_at = type_coerce(q.c.asked_at, String) if store.dialect == "sqlite" else q.c.asked_at
    statement = (
        select(asked_at, q.c.channel_id, q.c.user_hash, q.c.text, q.c.normalized, q.c.route_id, q.c.kind,
               q.c.confidence, is_unhelpful.label("unhelpful"), q.c.id.in_(picked).label("picked"))
        .where(
            q.c.asked_at >= since,
            q.c.asked_at <= until,
            or_(
                q.c.kind.in_(GAP_KINDS),
                q.c.kind == ReplyKind.SUGGESTIONS.value,
                and_(q.c.kind == ReplyKind.ANSWERED.value, or_(q.c.confidence < low_confidence, is_unhelpful)),
            ),
        )
    )
    async with store.engine.connect() as connection:
        result = await connection.execute(statement)
        raw = result.all()
    rows = []
    for asked_at, channel_id, user_hash, text, normalized, route_id, kind, confidence, unhelpful_, picked_ in raw:
        if kind in GAP_KINDS:
            reason = "unanswered"
        elif unhelpful_:
            reason = "not_helpful"
        elif kind == ReplyKind.SUGGESTIONS.value:
            if picked_:
                continue
            reason = "suggestions_unpicked"
        else:
            reason = "low_confidence"
        rows.append((asked_at, channel_id, user_hash, text, normalized, route_id, reason))
    return rows


async def _kinds(store: Store, *, since: dt.datetime, until: dt.datetime) -> dict[str, int]:
    statement = (
        select(questions.c.kind, func.count())
        .where(questions.c.asked_at >= since, questions.c.asked_at <= until)
        .group_by(questions.c.kind)
    )
    async with store.engine.connect() as connection:
        return {str(kind): int(n) for kind, n in (await connection.execute(statement)).all()}


async def _worst_rated(store: Store, *, since: dt.datetime, until: dt.datetime, limit: int) -> list[tuple[str, int, int]]:
    not_helpful = func.sum(case((feedback.c.helpful == false(), 1), else_=0)).label("not_helpful")
    helpful = func.sum(case((feedback.c.helpful == false(), 0), else_=1)).label("helpful")
    statement = (
        select(feedback.c.faq_id, not_helpful, helpful)
        .where(feedback.c.created_at >= since, feedback.c.created_at <= until, feedback.c.faq_id.is_not(None))
        .group_by(feedback.c.faq_id)
        .having(not_helpful > 0)
        .order_by(not_helpful.desc(), helpful, feedback.c.faq_id)
        .limit(limit)
    )
    async with store.engine.connect() as connection:
        rows = (await connection.execute(statement)).all()
    return [(str(faq_id), int(bad), int(good)) for faq_id, bad, good in rows]


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
    store: Store,
    *,
    knowledge: KnowledgeBase,
    days: int = 30,
    stale_days: int = 365,
    now: dt.datetime | None = None,
    low_confidence: float = 0.7,
    limit: int = 50,
    top: int = 10,
) -> Report:
    """Gather the report for the `days` days up to `now` (UTC)."""
    if now is None:
        now = utcnow()
    elif now.tzinfo is None:
        now = now.replace(tzinfo=dt.UTC)
    else:
        now = now.astimezone(dt.UTC)
    since = now - dt.timedelta(days=days)
    rows = await _gap_rows(store, since=since, until=now, low_confidence=low_confidence)
    gaps = group_gaps(rows)
    kinds = await _kinds(store, since=since, until=now)
    top_answered = await store.popular_entries(days=days, limit=top, now=now)
    worst = await _worst_rated(store, since=since, until=now, limit=top)
    stale = stale_entries(knowledge, stale_days=stale_days, today=now.date())
    return Report(
        days=days,
        generated_at=now,
        since=since,
        gaps=gaps[:limit],
        gap_groups=len(gaps),
        top_answered=top_answered,
        worst_rated=worst,
        stale=stale,
        stale_days=stale_days,
        private_count=kinds.get(ReplyKind.PRIVATE.value, 0),
        kinds=kinds,
        low_confidence=low_confidence,
        titles={entry.id: entry.question for entry in knowledge.entries},
    )


# --------------------------------------------------------------------------- rendering


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()


def _private_line(report: Report) -> str:
    n = report.private_count
    return f"{n} private report{'s' if n != 1 else ''} redirected to private disclosure"


def _reasons(gap: Gap) -> str:
    return ", ".join(f"{REASONS.get(r, r)} ×{n}" if len(gap.reasons) > 1 else REASONS.get(r, r)
                     for r, n in gap.reasons.items())


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON document (also what the other renderers show)."""
    return {
        "days": report.days,
        "generated_at": _iso(report.generated_at),
        "since": _iso(report.since),
        "total_questions": report.total_questions,
        "kinds": dict(sorted(report.kinds.items())),
        "private_redirected": report.private_count,
        "low_confidence_threshold": report.low_confidence,
        "gap_groups": report.gap_groups,
        "gaps": [
            {
                "example": gap.example,
                "examples": list(gap.examples),
                "count": gap.count,
                "askers": gap.askers,
                "first_seen": _iso(gap.first_seen),
                "last_seen": _iso(gap.last_seen),
                "channels": list(gap.channels),
                "route_id": gap.route_id,
                "reasons": gap.reasons,
            }
            for gap in report.gaps
        ],
        "top_answered": [{"faq_id": faq_id, "count": n} for faq_id, n in report.top_answered],
        "worst_rated": [{"faq_id": faq_id, "not_helpful": bad, "helpful": good}
                        for faq_id, bad, good in report.worst_rated],
        "stale": [{"id": s.id, "reviewed": s.reviewed.isoformat() if s.reviewed else None, "days_old": s.days_old}
                  for s in report.stale],
    }


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_escape(text: str) -> str:
    """User text safe inside GitHub Markdown: no HTML, no formatting, no @mentions or #refs."""
    text = html.escape(scrub(text), quote=False)  # & < > first; the entities' '&' and ';' are inert
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # A zero-width space after '@' / '#' stops GitHub from notifying people or linking issues.
    return text.replace("@", "@\u200b").replace("\\#", "\\#\u200b")


def _md_code(value: str) -> str:
    return "`" + value.replace("`", "'") + "`"


def _render_text(report: Report) -> str:
    lines = [
        f"SIG Security question report: last {report.days} days "
        f"({_day(report.since)} to {_day(report.generated_at)}, generated {_iso(report.generated_at)})",
        f"{report.total_questions} questions; {_private_line(report)}.",
        "",
        f"Gaps ({report.gap_groups} groups{f', top {len(report.gaps)} shown' if report.gap_groups > len(report.gaps) else ''}):",
    ]
    if not report.gaps:
        lines.append("  none")
    for rank, gap in enumerate(report.gaps, 1):
        where = f"route {gap.route_id}" if gap.route_id else "no route"
        lines.append(f"{rank:3}. \"{gap.example}\"")
        lines.append(f"     {gap.count} asked by {gap.askers} people; {where}; {_reasons(gap)}; "
                     f"{_day(gap.first_seen)} to {_day(gap.last_seen)}"
                     + (f"; channels {', '.join(gap.channels)}" if gap.channels else ""))
        for other in gap.examples[1:]:
            lines.append(f"     also: \"{other}\"")
    lines += ["", "Most-asked answered entries:"]
    lines += [f"  {n:6}  {faq_id}" for faq_id, n in report.top_answered] or ["  none"]
    lines += ["", "Entries rated not helpful (not helpful / helpful):"]
    lines += [f"  {bad:4} / {good:<4} {faq_id}" for faq_id, bad, good in report.worst_rated] or ["  none"]
    lines += ["", f"Stale entries (not reviewed in {report.stale_days} days):"]
    lines += [f"  {s.id}: " + (f"reviewed {s.reviewed.isoformat()} ({s.days_old} days ago)" if s.reviewed
                               else "never reviewed") for s in report.stale] or ["  none"]
    return "\n".join(lines) + "\n"


def _render_markdown(report: Report) -> str:
    out = [
        f"# FAQ gaps from Slack questions: {_day(report.since)} to {_day(report.generated_at)}",
        "",
        f"Generated by sigsec-bot at {_iso(report.generated_at)} from {report.total_questions} questions "
        f"asked in the last {report.days} days. {_private_line(report)} (not listed).",
        "",
        "## Questions the FAQ does not answer well",
        "",
    ]
    if not report.gaps:
        out.append("No gaps in this period.")
    for gap in report.gaps:
        route = f"; routed to {_md_code(gap.route_id)}" if gap.route_id else ""
        out.append(f"- [ ] **{gap.count} asked by {gap.askers} people**{route}; {_reasons(gap)}; "
                   f"first {_day(gap.first_seen)}, last {_day(gap.last_seen)}")
        for index, example in enumerate(gap.examples):
            if index:
                out.append("  >")
            out.append(f"  > {md_escape(example)}")
    if report.gap_groups > len(report.gaps):
        out += ["", f"_{report.gap_groups - len(report.gaps)} smaller groups not shown._"]

    out += ["", "## Most-asked answered entries", ""]
    if report.top_answered:
        out += ["| Entry | Answers |", "| --- | ---: |"]
        out += [f"| {_md_code(faq_id)} | {n} |" for faq_id, n in report.top_answered]
    else:
        out.append("None.")
    out += ["", "## Entries rated not helpful", ""]
    if report.worst_rated:
        out += ["| Entry | Not helpful | Helpful |", "| --- | ---: | ---: |"]
        out += [f"| {_md_code(faq_id)} | {bad} | {good} |" for faq_id, bad, good in report.worst_rated]
    else:
        out.append("None.")
    out += ["", f"## Entries not reviewed in {report.stale_days} days", ""]
    if report.stale:
        for s in report.stale:
            age = f"reviewed {s.reviewed.isoformat()} ({s.days_old} days ago)" if s.reviewed else "never reviewed"
            out.append(f"- [ ] {_md_code(s.id)}: {age}")
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


CSV_FIELDS = ("rank", "count", "askers", "first_seen", "last_seen", "route_id", "channels", "reasons",
              "example", "examples")


def _csv_cell(value: str) -> str:
    """Stop spreadsheets from evaluating user text as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _render_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for rank, gap in enumerate(report.gaps, 1):
        writer.writerow([
            rank, gap.count, gap.askers, _iso(gap.first_seen), _iso(gap.last_seen), gap.route_id or "",
            " ".join(gap.channels), ";".join(f"{r}={n}" for r, n in gap.reasons.items()),
            _csv_cell(gap.example), _csv_cell(" | ".join(gap.examples)),
        ])
    return buffer.getvalue()


def render_report(report: Report, fmt: str) -> str:
    """The report as text | markdown | csv (the gaps) | json."""
    if fmt == "json":
        return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _render_markdown(report)
    if fmt == "csv":
        return _render_csv(report)
    if fmt == "text":
        return _render_text(report)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
