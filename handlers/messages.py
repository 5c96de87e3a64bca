"""Mentions, DMs and watched channels: parse, ask the core, render, reply (privately when it must).

- app_mention: answer in the mention's thread (or start one on the mention).
- DM (message.im): answer in the DM.
- watched channel (WATCH_CHANNELS, message.channels): thread reply only for a confident answer;
  a likely private vulnerability report gets the private guidance ephemerally; otherwise silent.
- SHADOW=true: channels are handled and logged, nothing is posted there (DMs are still answered).
- Never: bots, the bot itself, edits/deletions, thread replies that do not mention the bot.
Each event is claimed first (`deps.claims.once`) so a retried event never gets a second reply.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.core.reply import AskContext, ReplyKind
from bot.logs import log_event
from bot.slack.deps import Listeners
from bot.slack.identity import is_dm
from bot.slack.outgoing import reply_messages

log = logging.getLogger("sigsec.slack.messages")
HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast"}
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def register(app: Any, deps: Listeners) -> None:
    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        deps.tasks.spawn(deps.claims.once(body.get("event_id"), lambda: handle_mention(deps, event)),
                         name=f"mention:{body.get('event_id')}")

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        if not wants_message(deps, event):
            return
        deps.tasks.spawn(deps.claims.once(body.get("event_id"), lambda: handle_message(deps, event)),
                         name=f"message:{body.get('event_id')}")


def strip_mentions(text: str) -> str:
    return " ".join(MENTION.sub(" ", text or "").split())


def wants_message(deps: Listeners, event: dict[str, Any]) -> bool:
    """Cheap filter before any work: which message events the bot acts on at all."""
    if event.get("subtype") not in HANDLED_SUBTYPES or deps.identity.is_own_or_bot(event):
        return False
    if is_dm(event):
        return True
    if event.get("channel") not in deps.settings.watch_channels:
        return False
    text = event.get("text") or ""
    if deps.identity.user_id and f"<@{deps.identity.user_id}" in text:
        return False  # the app_mention event answers it
    thread_ts = event.get("thread_ts")
    return not (thread_ts and thread_ts != event.get("ts"))  # inside a thread only when mentioned


async def handle_mention(deps: Listeners, event: dict[str, Any]) -> None:
    if event.get("subtype") not in HANDLED_SUBTYPES or deps.identity.is_own_or_bot(event):
        return
    channel, user = event["channel"], event["user"]
    reply = await deps.service.answer(strip_mentions(event.get("text", "")),
                                      context=AskContext(user_id=user, channel_id=channel, source="mention"))
    if deps.settings.shadow and not is_dm(event):
        log_event(log, "shadow_reply", channel=channel, kind=reply.kind.value, faq_id=reply.faq_id)
        return
    await deps.gateway.deliver_all(reply_messages(reply, channel=channel, user=user, knowledge=deps.service.knowledge,
                                                  thread_ts=event.get("thread_ts") or event.get("ts")))


async def handle_message(deps: Listeners, event: dict[str, Any]) -> None:
    channel, user = event["channel"], event["user"]
    text = strip_mentions(event.get("text", ""))
    if is_dm(event):
        reply = await deps.service.answer(text, context=AskContext(user_id=user, channel_id=channel, source="dm"))
        await deps.gateway.deliver_all(reply_messages(reply, channel=channel, user=user,
                                                      knowledge=deps.service.knowledge,
                                                      thread_ts=event.get("thread_ts")))
        return
    reply = await deps.service.answer(text, context=AskContext(user_id=user, channel_id=channel, source="channel"))
    if deps.settings.shadow:
        log_event(log, "shadow_reply", channel=channel, kind=reply.kind.value, faq_id=reply.faq_id)
        return
    if reply.kind in (ReplyKind.ANSWERED, ReplyKind.PRIVATE):
        await deps.gateway.deliver_all(reply_messages(reply, channel=channel, user=user,
                                                      knowledge=deps.service.knowledge, thread_ts=event.get("ts")))
