"""Gap clustering: near-identical questions the FAQ did not serve, grouped fast.

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
   three rarest words, with a similar length, are scored;
3. with the sentence-embedding model, groups that mean the same are merged (`meaning`): nearest
   centroid above a threshold, a bounded number of clusters, so still linear.

Groups rank by distinct askers, then questions. Private reports only ever appear as a count.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from rapidfuzz import fuzz

from bot.core.text import terms
from bot.reports.meaning import merge_by_meaning

FUZZY_CUTOFF = 85.0
BLOCK_TOKENS = 3  # a key is indexed / looked up under its rarest words
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 200

_WORD = re.compile(r"[a-z0-9]+(?:[-_.:/][a-z0-9]+)*")

# Slack markup that could notify people or reveal ids if a report is pasted or posted. Possessive, and no
# "<" inside a label (real markup has none), so an unclosed "<@U1|" run cannot make a scan quadratic.
_SLACK_USER = re.compile(r"<@[UW][A-Z0-9]++(?:\|[^<>]*+)?>")
_SLACK_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^<>]*+)?>")
_SLACK_GROUP = re.compile(r"<!subteam\^[A-Z0-9]++(?:\|([^<>]*+))?>")
_SLACK_CHANNEL = re.compile(r"<#C[A-Z0-9]++(?:\|([^<>]*+))?>")
_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|<>\s]++)(?:\|([^<>]*+))?>")
_SPACE = re.compile(r"\s+")



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


# A word holding a digit, matched from the word's start only (the unanchored form rescanned a long
# digit-free word from every position: 4,000 letters 113 ms, 40,000 10.6 s).
_WITH_DIGIT = re.compile(r"(?<!\S)[^\s\d]*+\d\S*+")


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


def group_gaps(rows: Iterable[tuple], *, cutoff: float = FUZZY_CUTOFF, embedder: Any = None) -> list[Gap]:
    """Group gap rows (asked_at, channel_id, user_hash, text, normalized, route_id, reason), ranked.

    `asked_at` is a datetime, or on SQLite the stored UTC text (same order, parsed per group).
    `embedder` (the sentence-embedding model) also merges groups that mean the same; None: words only."""
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
    groups = list(members.values())
    if embedder is not None:  # one phrasing per word group: its most common text
        phrasings = [_ranked_texts(by_key[keys[0]].texts)[:1] or [keys[0]] for keys in groups]
        merged = merge_by_meaning([scrub(text[0]) for text in phrasings], embedder)
        groups = [[key for index in cluster for key in groups[index]] for cluster in merged]

    gaps = []
    for keys in groups:
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
