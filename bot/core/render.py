"""Reply -> plain text, for the console and the CLI (Block Kit lives in `bot.slack.blocks`).

No mrkdwn in the output: `*bold*` loses its stars, `<url|label>` becomes `label (url)`.
"""

from __future__ import annotations

import re

from bot.core import messages as M
from bot.core.reply import Reply, ReplyKind

MAX_SUGGESTIONS = 3
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<((?:https?|mailto):[^>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def plain(mrkdwn: str) -> str:
    """Slack mrkdwn of our own sentences as terminal text."""
    text = _LINK.sub(r"\2 (\1)", mrkdwn)
    text = _BARE_LINK.sub(r"\1", text)
    return _BOLD.sub(r"\1", text)


def plain_text(reply: Reply) -> str:
    """What the console prints for a reply, ending with a bracketed line of what the bot decided."""
    lines: list[str] = []
    if reply.cve is not None:
        from bot.cve.render import as_text

        lines += [plain(as_text(reply.cve)), ""]
    if reply.kind is ReplyKind.ANSWERED and reply.entry:
        lines += [reply.entry.question, "", reply.entry.answer.strip()]
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
    lines += [f"[private] {note}" for note in reply.private_notes]
    detail = f"[{reply.kind.value}"
    if reply.faq_id:
        detail += f" {reply.faq_id}"
    if reply.kind in (ReplyKind.ANSWERED, ReplyKind.SUGGESTIONS):
        detail += f", confidence {reply.confidence:.2f}"
    if reply.route_id:
        detail += f", route {reply.route_id}"
    lines.append(detail + "]")
    return "\n".join(lines)
