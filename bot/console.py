"""The offline console: chat with the same core in a terminal, no Slack needed."""

from __future__ import annotations

import asyncio
import sys

from bot.core.config import Settings
from bot.core.reply import AskContext
from bot.core.render import plain_text

BANNER = (
    "sigsec-bot offline console. Ask a security question; 'quit' or Ctrl-D leaves.\n"
    "Set SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET to serve Slack instead."
)


async def run_console(settings: Settings) -> int:
    """Chat until 'quit' or end of input; questions are logged like Slack's, so reports work offline."""
    from bot.bootstrap import open_storage, shutdown_service
    from bot.core.service import Service

    try:
        storage = await open_storage(settings)
    except Exception as exc:  # noqa: BLE001 - the console still works without its log
        print(f"(question log unavailable: {type(exc).__name__}; continuing without it)")
        storage = None
    service = await Service.create(settings, storage=storage)
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
            print("bot> " + plain_text(reply).replace("\n", "\n     "))
            sys.stdout.flush()
    finally:
        await shutdown_service(service)
