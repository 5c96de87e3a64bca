"""Mentions, DMs and watched channels: parse, ask the core, render, reply (privately when it must).

- app_mention: answer in the mention's thread (or start one on the mention).
- DM (message.im): answer in the DM.
- watched channel (WATCH_CHANNELS, message.channels): thread reply only for a confident answer;
  a likely private vulnerability report gets the private guidance ephemerally; otherwise silent.
- SHADOW=true: channels are handled and logged, nothing is posted there (DMs are still answered).
- Never: bots, the bot itself, edits/deletions, thread replies that do not mention the bot.
Each event is claimed in the store first so a retried event (same event_id) never gets a second reply.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any, Awaitable, Callable

from bot import blocks as B
from bot.logs import log_event
from bot.reply import AskContext, Reply, ReplyKind
from bot.service import Service
from handlers.runtime import Runtime

log = logging.getLogger("sigsec.slack.messages")
HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast"}
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def register(app: Any, service: Service, runtime: Runtime) -> None:
    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        runtime.remember_identity(context)
        runtime.spawn(once(service, runtime, body, lambda: handle_mention(service, runtime, event)),
                      name=f"mention:{body.get('event_id')}")

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        runtime.remember_identity(context)
        if not wants_message(service, runtime, event):
            return
        runtime.spawn(once(service, runtime, body, lambda: handle_message(service, runtime, event)),
                      name=f"message:{body.get('event_id')}")


# --------------------------------------------------------------------------- delivery guarantee


async def once(service: Service, runtime: Runtime, body: dict[str, Any],
               work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` only if this process wins the claim on the event id (retries, restarts, replicas)."""
    event_id = body.get("event_id")
    if not isinstance(event_id, str) or not event_id:
        await work()
        return
    if not runtime.seen.add(event_id):
        log_event(log, "event_duplicate", event_id=event_id, where="memory")
        return
    store = service.store
    claimed = True
    if store is not None:
        try:
            claimed = await store.claim_event(event_id)
        except Exception as exc:  # noqa: BLE001 - database down: answer anyway, dedup in memory only
            log_event(log, "event_claim_failed", event_id=event_id, error=type(exc).__name__)
            store = None
    if not claimed:
        log_event(log, "event_duplicate", event_id=event_id, where="store")
        return
    try:
        await work()
    except asyncio.CancelledError:
        raise  # shut down mid-way: leave the claim 'processing' so a retry can take it over when stale
    finally:
        if store is not None:
            try:
                await store.finish_event(event_id)
            except Exception as exc:  # noqa: BLE001
                log_event(log, "event_finish_failed", event_id=event_id, error=type(exc).__name__)


# --------------------------------------------------------------------------- events


def is_dm(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D")


def strip_mentions(text: str) -> str:
    return " ".join(MENTION.sub(" ", text or "").split())


def wants_message(service: Service, runtime: Runtime, event: dict[str, Any]) -> bool:
    """Cheap filter before any work: which message events the bot acts on at all."""
    if event.get("subtype") not in HANDLED_SUBTYPES or runtime.is_own_or_bot(event):
        return False
    if is_dm(event):
        return True
    if event.get("channel") not in service.settings.watch_channels:
        return False
    text = event.get("text") or ""
    if runtime.bot_user_id and f"<@{runtime.bot_user_id}" in text:
        return False  # the app_mention event answers it
    thread_ts = event.get("thread_ts")
    return not (thread_ts and thread_ts != event.get("ts"))  # inside a thread only when mentioned


async def handle_mention(service: Service, runtime: Runtime, event: dict[str, Any]) -> None:
    if event.get("subtype") not in HANDLED_SUBTYPES or runtime.is_own_or_bot(event):
        return
    channel, user = event["channel"], event["user"]
    reply = await service.answer(strip_mentions(event.get("text", "")),
                                 context=AskContext(user_id=user, channel_id=channel, source="mention"))
    if service.settings.shadow and not is_dm(event):
        log_event(log, "shadow_reply", channel=channel, kind=reply.kind.value, faq_id=reply.faq_id)
        return
    await deliver(service, runtime, reply, channel=channel, user=user,
                  thread_ts=event.get("thread_ts") or event.get("ts"))


async def handle_message(service: Service, runtime: Runtime, event: dict[str, Any]) -> None:
    channel, user = event["channel"], event["user"]
    text = strip_mentions(event.get("text", ""))
    if is_dm(event):
        reply = await service.answer(text, context=AskContext(user_id=user, channel_id=channel, source="dm"))
        await deliver(service, runtime, reply, channel=channel, user=user, thread_ts=event.get("thread_ts"))
        return
    reply = await service.answer(text, context=AskContext(user_id=user, channel_id=channel, source="channel"))
    if service.settings.shadow:
        log_event(log, "shadow_reply", channel=channel, kind=reply.kind.value, faq_id=reply.faq_id)
        return
    if reply.kind in (ReplyKind.ANSWERED, ReplyKind.PRIVATE):
        await deliver(service, runtime, reply, channel=channel, user=user, thread_ts=event.get("ts"))


async def deliver(service: Service, runtime: Runtime, reply: Reply, *, channel: str, user: str,
                  thread_ts: str | None) -> None:
    """Post a reply: public in the thread, or privately (ephemeral in channels, plain in DMs)."""
    dm = channel.startswith("D")
    blocks = B.reply_blocks(reply, knowledge=service.knowledge)
    text = B.fallback_text(reply)
    if reply.private_only:
        blocks = blocks + (B.notes_blocks(reply.private_notes) if reply.private_notes else [])
        await private(runtime, channel, user, dm=dm, text=text, blocks=blocks, thread_ts=thread_ts)
        return
    await runtime.post(channel, text=text, blocks=B.as_dicts(blocks), thread_ts=thread_ts)
    if reply.private_notes:
        await private(runtime, channel, user, dm=dm, text=B.esc(reply.private_notes[0]),
                      blocks=B.notes_blocks(reply.private_notes), thread_ts=thread_ts)


async def private(runtime: Runtime, channel: str, user: str, *, dm: bool, text: str, blocks: list[Any],
                  thread_ts: str | None) -> None:
    if dm:
        await runtime.post(channel, text=text, blocks=B.as_dicts(blocks), thread_ts=thread_ts)
    else:
        await runtime.post_ephemeral(channel, user, text=text, blocks=B.as_dicts(blocks), thread_ts=thread_ts)
