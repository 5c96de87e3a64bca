"""Text normalisation shared by the matcher, the router and the reports.

One pipeline: lowercase and fold Unicode, drop pasted noise (code fences, log lines),
split into tokens, expand community shorthand, stem lightly. Both the knowledge and
incoming questions go through it, so they meet in the same vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

TOKEN = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")  # keeps versions such as 1.25 whole
URL = re.compile(r"https?://\S+")
SLACK_MARKUP = re.compile(r"<[@#!][^>]*>")
# Lines that look pasted from a terminal or a log rather than typed: timestamps, stack frames, levels.
LOG_LINE = re.compile(
    r"^\s*(?:\d{4}-\d\d-\d\d[t ]\d\d:\d\d|[iewf]\d{4} \d\d:\d\d|\[?(?:info|warn|warning|error|debug|fatal)\]?[: ]"
    r"|at [\w.$]+\(|goroutine \d+|\$ |> |#\s*kubectl|[\w.-]+\.go:\d+)",
    re.IGNORECASE,
)

# Words that carry no topic. Kept short on purpose: IDF already discounts common words,
# this list only removes the glue that would otherwise make chit-chat look like a match.
STOPWORDS = frozenset(
    """
    a about above after again all also am an and any anyone anything are as at be because been before being
    below between both but by can could did do does doing done don dont down during each else even ever every few
    for from further get gets getting go going gonna got had has have having he her here hers hey hi hello him his
    how i id if im in into is isnt it its itll itself ive just know let lets like lol me might more most much must my
    myself need needs no nor not now of off ok okay on once one only or other our ours ourselves out over own pls
    please q quick re really right same say says should so some someone something still such sure than thanks thank
    that thats the their theirs them themselves then there these they theyre thing things think this those through
    thx to too try trying u under until up us use used using very via want wanna was way we were weve what whats
    when where which while who whom why will with would yeah yes yet you your youre yours yourself folks guys all
    team hii heya yall ya actually basically anyway btw fyi tbh imo idk kinda sorta stuff smth
    isn doesn aren wasn didn won wouldn couldn shouldn haven hasn ll ve
    another back keep keeps kept new idea ideas nothing show shows showing ago week weeks day days today
    yesterday tomorrow last next time times lot lots bit little many way ways seem seems seemed look looks
    looking tell told ask asked asking wondering wonder help helps appreciate appreciated anybody everyone
    everybody someone somebody hear heard sent send already since though although maybe probably also
    correct wrong exactly etc via within without across among around best better good great nice cool
    """.split()
)


@dataclass(frozen=True)
class Shorthand:
    """Community abbreviations and their long forms, applied token by token."""

    expansions: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Shorthand":
        if not path.exists():
            return cls()
        with path.open(encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
        mapping = raw.get("shorthand", raw) if isinstance(raw, dict) else {}
        expansions: dict[str, tuple[str, ...]] = {}
        for short, long in mapping.items():
            words = tuple(TOKEN.findall(fold(str(long))))
            if words:
                expansions[fold(str(short))] = words
        return cls(expansions)

    def expand(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        for token in tokens:
            long = self.expansions.get(token)
            if long:
                out.extend(long)
            else:
                out.append(token)
        return out


def fold(text: str) -> str:
    """Lowercase with compatibility folding and accents removed."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def strip_noise(text: str) -> str:
    """Remove what people paste beside a question: fence markers, URLs, Slack markup, log lines."""
    text = text.replace("```", "\n")  # keep what was pasted in fences (YAML keys are signal), drop the fences
    text = URL.sub(" ", text)
    text = SLACK_MARKUP.sub(" ", text)
    kept = [line for line in text.splitlines() if not LOG_LINE.match(line)]
    return "\n".join(kept)


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """A light suffix stemmer: enough to meet 'policies'/'policy', 'rotating'/'rotate'."""
    if len(token) <= 4 or not token.isalpha():
        return token
    if token.endswith(("ss", "us", "is")):
        return token
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("e", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: len(token) - len(suffix)] + replacement
    return token


def tokens(text: str, shorthand: Shorthand | None = None) -> list[str]:
    """Raw word tokens (folded, shorthand expanded), before stopword removal and stemming."""
    words = TOKEN.findall(fold(text))
    return shorthand.expand(words) if shorthand else words


def terms(text: str, shorthand: Shorthand | None = None) -> list[str]:
    """Content terms: tokens without stopwords, stemmed. The unit of matching and routing."""
    return [stem(w) for w in tokens(text, shorthand) if w not in STOPWORDS and len(w) > 1]


def normalize(text: str, shorthand: Shorthand | None = None) -> str:
    """A canonical single-line form of a question, for fuzzy comparison and grouping in reports."""
    return " ".join(tokens(strip_noise(text), shorthand))
