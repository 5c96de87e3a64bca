"""Output escaping: user text made inert in Slack mrkdwn, and cut to fit a block."""

from __future__ import annotations

import re

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape_mrkdwn(text: str) -> str:
    """Make user text inert in Slack mrkdwn: escape `& < >` and defuse bare @channel/@here/@everyone.

    After this, `<!channel>`, `<@U123>` and `<https://evil|click>` render as literal text, and a
    zero-width space after `@` stops any client from treating `@here` as a broadcast.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u200b\\1", escaped)


_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")


def truncate_for_block(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with an ellipsis, at a word if possible.

    Never splits an `&amp;`-style entity produced by `escape_mrkdwn`.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rfind(" ")
    if cut > (limit - 1) * 4 // 5:
        head = head[:cut]
    head = _PARTIAL_ENTITY.sub("", head).rstrip()
    return head + "\u2026"
