"""Reply -> plain text, for the console and the CLI (Block Kit lives in `bot.slack.blocks`).

No mrkdwn in the output: `*bold*` and `_italic_` lose their marks, `<url|label>` becomes
`label (url)`, mentions and channel links become `@name` / `#name`, `&lt;` becomes `<`.
"""

from __future__ import annotations

import re

from bot.core import messages as M
from bot.core.reply import Reply, ReplyKind

MAX_SUGGESTIONS = 3
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<((?:https?|mailto):[^>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")
_CHANNEL = re.compile(r"<#[A-Z0-9]+(?:\|([^>]*))?>")
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(?:subteam\^[A-Z0-9]+\|)?([^>|]+)(?:\|[^>]*)?>")
_EMOJI = {":lock:": "", ":warning:": "", ":mega:": "", ":white_check_mark:": "", ":x:": ""}
# The core's promise that a question was recorded; dropped when the log did not take it.
_RECORDED = re.compile(r"\s*I've recorded the question[^.]*\.")
NOT_RECORDED = "(This question was not recorded: the question log is unavailable.)"


def _emphasis_and_links(text: str) -> str:
    """Knowledge text as written (any `<`, `&` stay), without bold/italic marks, links as `label (url)`."""
    text = _LINK.sub(lambda m: m.group(2) if m.group(1) in (m.group(2), "mailto:" + m.group(2))
                     else f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE_LINK.sub(r"\1", text)
    return _ITALIC.sub(r"\1", _BOLD.sub(r"\1", text))


def plain(mrkdwn: str) -> str:
    """Slack mrkdwn of our own sentences as terminal text: no markup characters, links as `label (url)`."""
    text = _emphasis_and_links(mrkdwn)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(1) or "channel"), text)
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + m.group(1), text)
    for emoji, replacement in _EMOJI.items():
        text = text.replace(emoji + " ", replacement).replace(emoji, replacement)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_text(reply: Reply, *, recorded: bool = True) -> str:
    """What the console prints for a reply, ending with a bracketed line of what the bot decided.

    `recorded=False` (the question log did not take the question) drops the promise to have recorded it.
    """
    lines: list[str] = []
    if reply.cve is not None:
        from bot.cve.render import as_text

        lines += [plain(as_text(reply.cve)), ""]
    if reply.kind is ReplyKind.ANSWERED and reply.entry:
        lines += [reply.entry.question, "", _emphasis_and_links(reply.entry.answer.strip())]
        if reply.entry.links:
            lines.append(M.LINKS_HEADING)
            lines += [f"  - {url}" for url in reply.entry.links]
    elif reply.kind is ReplyKind.ANSWERED:
        pass  # answered by CVE facts alone
    elif reply.kind is ReplyKind.SUGGESTIONS and reply.suggestions:
        lines.append(M.SUGGESTIONS_INTRO)
        lines += [f"  {i}. {e.question}  [{e.id}]" for i, e in enumerate(reply.suggestions[:MAX_SUGGESTIONS], 1)]
    elif reply.kind is ReplyKind.ROUTED and reply.route:
        lines.append(plain(M.ROUTED.format(name=reply.route.name, channel=reply.route.channel, link=reply.route.link)))
    else:
        lines.append(plain(reply.message or M.UNKNOWN.format(channel=M.HUMAN_CHANNEL)))
        if reply.kind is ReplyKind.PRIVATE and reply.suggestions:
            lines.append(M.PRIVATE_FALLBACK)
            lines += [f"  - {e.question}  [{e.id}]" for e in reply.suggestions[:MAX_SUGGESTIONS]]
    if reply.route and reply.kind in (ReplyKind.ANSWERED, ReplyKind.SUGGESTIONS):
        lines.append(plain(M.ROUTE_POINTER.format(name=reply.route.name, channel=reply.route.channel,
                                                  link=reply.route.link)))
    if not recorded and any(_RECORDED.search(line) for line in lines):
        lines = [_RECORDED.sub("", line) for line in lines] + [NOT_RECORDED]
    lines += [f"[private] {plain(note)}" for note in reply.private_notes]
    detail = f"[{reply.kind.value}"
    if reply.faq_id:
        detail += f" {reply.faq_id}"
    if reply.kind in (ReplyKind.ANSWERED, ReplyKind.SUGGESTIONS):
        detail += f", confidence {reply.confidence:.2f}"
    if reply.route_id:
        detail += f", route {reply.route_id}"
    lines.append(detail + "]")
    return "\n".join(lines)
