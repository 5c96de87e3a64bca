"""Mentions, DMs and watched channels: parse, ask the core, render, reply (privately when it must).

- app_mention: answer in the mention's thread (or start one on the mention).
- DM (message.im): answer in the DM.
- watched channel (WATCH_CHANNELS, message.channels): thread reply only for a confident answer;
  a likely private vulnerability report gets the private guidance ephemerally; otherwise silent.
- SHADOW=true: channels are handled and logged, nothing is posted there (DMs are still answered).
- Never: bots, the bot itself, edits/deletions, thread replies that do not mention the bot.
Each event is stored in the durable inbox (credentials redacted) before Slack gets its 2xx, keyed by
its event id so a Slack retry is not stored twice; the inbox worker answers it, exactly once, even across
crashes, restarts and Slack outages (bot/delivery/worker.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.core.reply import AskContext, ReplyKind
from bot.delivery.gateway import Outgoing
from bot.logs import log_event
from bot.safety.secrets import redact_secrets
from bot.slack.deps import Listeners
from bot.slack.identity import is_dm
from bot.slack.outgoing import reply_messages

log = logging.getLogger("sigsec.slack.messages")
HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast"}
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def register(app: Any, deps: Listeners) -> None:
    deps.processors["mention"] = lambda item: mention_replies(deps, item.payload)
    deps.processors["message"] = lambda item: message_replies(deps, item.payload)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        if event.get("subtype") not in HANDLED_SUBTYPES or deps.identity.is_own_or_bot(event):
            return
        await deps.accept(event_key(body, event), "mention", stored_event(event))

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        if not wants_message(deps, event):
            return
        await deps.accept(event_key(body, event), "message", stored_event(event))


def event_key(body: dict[str, Any], event: dict[str, Any]) -> str:
    """Slack's event id (the same on its retries), else the message's own coordinates."""
    event_id = body.get("event_id")
    return str(event_id) if event_id else f"{event.get('channel')}:{event.get('ts')}"


def stored_event(event: dict[str, Any]) -> dict[str, Any]:
    """What the inbox keeps of an event: where it was, who asked, and the text with credentials redacted."""
    redaction = redact_secrets(strip_mentions(event.get("text", "")))
    return {"channel": event.get("channel"), "user": event.get("user"), "ts": event.get("ts"),
            "thread_ts": event.get("thread_ts"), "channel_type": event.get("channel_type"),
            "text": redaction.text, "redacted": list(redaction.kinds)}


def strip_mentions(text: str) -> str:
    """The text without mention tokens. Line breaks and indentation stay: a pasted kubeconfig, Secret
    manifest or key block must keep its shape for credential redaction (and code-fence removal)."""
    return MENTION.sub("", text or "").strip()


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


async def mention_replies(deps: Listeners, event: dict[str, Any]) -> list[Outgoing]:
    """The replies to a mention: in its thread (or a new one on it)."""
    channel, user = event["channel"], event["user"]
    reply = await deps.answer(event.get("text") or "", context=AskContext(
        user_id=user, channel_id=channel, source="mention", redacted_kinds=tuple(event.get("redacted") or ())))
    if deps.settings.shadow and not is_dm(event):
        log_event(log, "shadow_reply", channel=channel, kind=reply.kind.value, faq_id=reply.faq_id)
        return []
    return reply_messages(reply, channel=channel, user=user, knowledge=deps.service.knowledge,
                          thread_ts=event.get("thread_ts") or event.get("ts"))


async def message_replies(deps: Listeners, event: dict[str, Any]) -> list[Outgoing]:
    """The replies to a DM (always) or a watched-channel message (a confident answer or private guidance only)."""
    channel, user = event["channel"], event["user"]
    redacted = tuple(event.get("redacted") or ())
    if is_dm(event):
        reply = await deps.answer(event.get("text") or "", context=AskContext(
            user_id=user, channel_id=channel, source="dm", redacted_kinds=redacted))
        return reply_messages(reply, channel=channel, user=user, knowledge=deps.service.knowledge,
                              thread_ts=event.get("thread_ts"))
    reply = await deps.answer(event.get("text") or "", context=AskContext(
        user_id=user, channel_id=channel, source="channel", redacted_kinds=redacted))
    if deps.settings.shadow:
        log_event(log, "shadow_reply", channel=channel, kind=reply.kind.value, faq_id=reply.faq_id)
        return []
    if reply.kind not in (ReplyKind.ANSWERED, ReplyKind.PRIVATE):
        return []
    return reply_messages(reply, channel=channel, user=user, knowledge=deps.service.knowledge,
                          thread_ts=event.get("ts"))
