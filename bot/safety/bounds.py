"""Bounding input: normalise, drop invisible and control characters, cap the length; is it a question at all?"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class BoundedText:
    """Cleaned, length-capped input; `original_length` counts the raw characters received."""

    text: str
    truncated: bool
    original_length: int


# Zero-width characters, bidi embeddings/overrides/isolates and the BOM: invisible, and used to
# hide text or reorder it on screen ("Trojan Source"). Also the word joiner family U+2060-2064.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# C0/C1 control characters except tab and newline (CR is turned into newline first).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_H_SPACE_RUN = re.compile(r"(?<=\S)[ \t]{2,}")  # inner runs only: leading indentation survives
_TRAILING_SPACE = re.compile(r"(?<![ \t])[ \t]++\n")  # starts only at a run's start: linear
_BLANK_LINES = re.compile(r"\n{3,}")
_LEADING_INDENT = re.compile(r"(?m)^[ \t]{17,}")


def bound_input(text: str, *, limit: int = 4000) -> BoundedText:
    """Normalise (NFKC), drop control and invisible characters, tidy whitespace, cap at `limit`.

    Leading indentation is kept (up to 16 columns) so pasted YAML stays readable; inner runs of
    spaces become one space, three or more newlines become one blank line. Text longer than
    `limit` is cut at the last word boundary in its final fifth (hard cut if there is none).
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    original_length = len(text)
    # Bound the work first: nothing past a few limits' worth can survive the cut anyway.
    raw_cap = max(limit * 4, limit + 1024)
    truncated = original_length > raw_cap
    work = text[:raw_cap] if truncated else text

    work = work.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    work = _INVISIBLE.sub("", work)
    work = unicodedata.normalize("NFKC", work)
    work = _INVISIBLE.sub("", work)  # NFKC never yields these, but be certain
    work = _CONTROL.sub("", work)
    work = _TRAILING_SPACE.sub("\n", work)
    work = _H_SPACE_RUN.sub(" ", work)
    work = _LEADING_INDENT.sub(" " * 16, work)
    work = _BLANK_LINES.sub("\n\n", work)
    work = work.strip()

    if len(work) > limit:
        truncated = True
        work = _cut_at_word(work, limit)
    return BoundedText(text=work, truncated=truncated, original_length=original_length)


def _cut_at_word(text: str, limit: int) -> str:
    """The longest prefix of at most `limit` chars ending at whitespace in its last fifth."""
    head = text[:limit]
    if not text[limit].isspace():
        floor = limit - max(1, limit // 5)
        cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if cut > floor:
            head = head[:cut]
    return head.rstrip()


_SHORTCODE = re.compile(r":[a-z0-9_+'-]{1,64}:", re.IGNORECASE)  # Slack emoji like :wave: :+1:
_MENTION = re.compile(r"<[@#!][^<>\s]{1,80}>")  # <@U123>, <#C123|general>, <!here>


def is_meaningful(text: str) -> bool:
    """False for empty, whitespace-, emoji-, punctuation- or mention-only text.

    Meaningful means at least one letter or digit once Slack emoji shortcodes (`:wave:`) and
    mention tokens (`<@U123>`) are removed.
    """
    stripped = _MENTION.sub(" ", _SHORTCODE.sub(" ", text))
    return any(unicodedata.category(ch)[0] in "LN" for ch in stripped)
