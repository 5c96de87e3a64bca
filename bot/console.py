"""The offline console: chat with the same core in a terminal, no Slack needed."""

from __future__ import annotations

import asyncio
import re
import sys

from bot.config import Settings
from bot.reply import AskContext, Reply, ReplyKind
from bot.service import Service

SLACK_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
SLACK_BARE_LINK = re.compile(r"<(https?://[^>]+)>")
BANNER = (
    "sigsec-bot offline console. Ask a security question; 'quit' or Ctrl-D leaves.\n"
    "Set SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET to serve Slack instead."
)


def render_plain(reply: Reply) -> str:
    """Slack mrkdwn to terminal text: links as 'label (url)', plus what the buttons would offer."""
    text = SLACK_LINK.sub(r"\2 (\1)", reply.text)
    text = SLACK_BARE_LINK.sub(r"\1", text)
    lines = [text]
    lines.extend(f"[private] {note}" for note in reply.private_notes)
    detail = f"[{reply.kind.value}"
    if reply.faq_id:
        detail += f" {reply.faq_id}"
    if reply.kind in (ReplyKind.ANSWERED, ReplyKind.SUGGESTIONS):
        detail += f", confidence {reply.confidence:.2f}"
    if reply.route_id:
        detail += f", route {reply.route_id}"
    lines.append(detail + "]")
    return "\n".join(lines)


async def run_console(settings: Settings) -> int:
    """Chat until 'quit' or end of input; questions are logged like Slack's, so reports work offline."""
    from bot.store import Store

    try:
        store = await Store.open(settings.database_url, user_id_salt=settings.user_id_salt,
                                 keep_user_ids=settings.keep_user_ids)
    except Exception as exc:  # noqa: BLE001 - the console still works without its log
        print(f"(question log unavailable: {type(exc).__name__}; continuing without it)")
        store = None
    service = await Service.create(settings, store=store)
    print(BANNER)
    context = AskContext(user_id=None, channel_id="console", source="console")
    try:
        while True:
            try:
                question = await asyncio.to_thread(input, "\nyou> ")
            except EOFError:
                print()
                return 0
            if question.strip().lower() in {"quit", "exit", ":q"}:
                return 0
            reply = await service.answer(question, context=context)
            print("bot> " + render_plain(reply).replace("\n", "\n     "))
            sys.stdout.flush()
    finally:
        await service.close()
