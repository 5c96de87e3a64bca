"""Mentions, DMs and watched channels: parse, ask the core, render, reply (privately when it must).

- app_mention: answer in the mention's thread (or start one on the mention).
- DM (message.im): answer in the DM.
- watched channel (WATCH_CHANNELS, message.channels): thread reply only for a confident answer;
  a likely private vulnerability report gets the private guidance ephemerally; otherwise silent.
- follow-up (message.channels in a thread the bot answered in, bot/storage/threads.py): the asker's
  messages there are answered without a mention for FOLLOWUP_MINUTES after the bot's last answer, matched
  together with the thread's first question when weak alone; quiet once someone else replied in the
  thread (their message marks it), and for anything but an answer, suggestions or private guidance.
- SHADOW=true: channels are handled and logged, nothing is posted there (DMs are still answered).
- Never: bots, the bot itself, edits/deletions, thread replies that do not mention the bot outside
  remembered threads.
Each event is stored in the durable inbox (credentials redacted) before Slack gets its 2xx, keyed by
its event id so a Slack retry is not stored twice; the inbox worker answers it, exactly once, even across
crashes, restarts and Slack outages (bot/delivery/worker.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from bot.core.reply import LOG_LATER, AskContext, Reply, ReplyKind
from bot.delivery.gateway import Outgoing
from bot.logs import log_event
from bot.safety.secrets import redact_secrets
from bot.slack.deps import INBOX_DOWN, InboxUnavailable, Listeners
from bot.slack.identity import is_dm, is_dm_channel
from bot.slack.outgoing import reply_messages

log = logging.getLogger("sigsec.slack.messages")
HANDLED_SUBTYPES = {None, "file_share", "thread_broadcast"}
# Possessive, no "<" in a label: a run of unclosed "<@U1|" (raw text is not yet bounded here) scanned
# quadratically (40,000 characters: 1.6 s on the event loop).
MENTION = re.compile(r"<@[UW][A-Z0-9]++(?:\|[^<>]*+)?>")


def register(app: Any, deps: Listeners) -> None:
    deps.processors["mention"] = lambda item: mention_replies(deps, item.payload)
    deps.processors["message"] = lambda item: message_replies(deps, item.payload)
    deps.processors["followup"] = lambda item: followup_replies(deps, item.payload)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        if not wants_any(deps, event):
            return
        await deps.accept(event_key(body, event), "mention", stored_event(event))

    @app.event("message")
    async def on_message(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        if not wants_message(deps, event):
            if in_thread(event) and not mentions_bot(deps, event) and wants_any(deps, event):
                await thread_message(deps, body, event)
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


def wants_any(deps: Listeners, event: dict[str, Any]) -> bool:
    """A person's new message (not a bot's, not an edit or deletion)."""
    return event.get("subtype") in HANDLED_SUBTYPES and not deps.identity.is_own_or_bot(event)


def mentions_bot(deps: Listeners, event: dict[str, Any]) -> bool:
    return bool(deps.identity.user_id) and f"<@{deps.identity.user_id}" in (event.get("text") or "")


def in_thread(event: dict[str, Any]) -> bool:
    """A reply inside a thread (not the thread's parent message)."""
    thread_ts = event.get("thread_ts")
    return bool(thread_ts) and thread_ts != event.get("ts")


def wants_message(deps: Listeners, event: dict[str, Any]) -> bool:
    """Cheap filter before any work: which message events the bot answers as DMs or watched-channel posts.
    (Thread replies are left to `thread_message`, mentions to the app_mention event.)"""
    if not wants_any(deps, event):
        return False
    if is_dm(event):
        return True
    if event.get("channel") not in deps.settings.watch_channels or mentions_bot(deps, event):
        return False
    return not in_thread(event)


# ---------------------------------------------------------------------- follow-ups in answer threads


def threads_of(deps: Listeners) -> Any:
    """The thread memory, or None when follow-ups are off (FOLLOWUP_MINUTES=0 or no storage)."""
    storage = deps.service.storage
    return storage.threads if storage is not None and deps.settings.followup_minutes > 0 else None


async def thread_message(deps: Listeners, body: dict[str, Any], event: dict[str, Any]) -> None:
    """A person's reply in a channel thread without a mention: one primary-key read of the thread memory.

    In a thread the bot answered in within the window, the asker's message is stored in the inbox as a
    follow-up; anyone else's marks the thread, so the bot keeps out of the conversation from then on.
    """
    threads = threads_of(deps)
    channel, user, thread_ts, ts = event.get("channel"), event.get("user"), event.get("thread_ts"), event.get("ts")
    if threads is None or is_dm(event) or not (channel and thread_ts and ts):
        return
    try:
        memory = await threads.find(channel, thread_ts, within=dt.timedelta(minutes=deps.settings.followup_minutes))
        if memory is None:
            return
        if not threads.is_asker(memory, user):
            if not memory.quiet_for(ts) and await threads.mark_other_reply(channel, thread_ts, ts=ts, user_id=user):
                log_event(log, "thread_joined", channel=channel)
            return
    except Exception as exc:
        INBOX_DOWN.set(True)  # the server answers 503: Slack sends the event again
        raise InboxUnavailable(type(exc).__name__) from None
    if memory.quiet_for(ts):
        log_event(log, "followup_skipped", channel=channel, reason="others_replied")
        return
    await deps.accept(event_key(body, event), "followup", stored_event(event))


async def remember_thread(deps: Listeners, reply: Reply, *, channel: str, user: str, thread_ts: str | None) -> None:
    """After a public answer in a channel thread: remember it for the asker's follow-ups (under the inbox
    worker, with the event's outbox; otherwise at once, best effort)."""
    threads = threads_of(deps)
    if threads is None or not thread_ts or reply.private_only or is_dm_channel(channel):
        return
    later = LOG_LATER.get()
    if later is not None:  # the inbox worker writes it with the event's outbox (bot.core.reply.LogLater)
        later.thread_rows.append(threads.memory_row(channel, thread_ts, user_id=user, question=reply.question,
                                                    faq_id=reply.faq_id))
        return
    try:
        await threads.remember(channel, thread_ts, user_id=user, question=reply.question, faq_id=reply.faq_id)
    except Exception as exc:  # noqa: BLE001 - the answer matters more than the follow-ups
        log_event(log, "thread_remember_failed", level=logging.WARNING, error=type(exc).__name__)


async def followup_replies(deps: Listeners, event: dict[str, Any]) -> list[Outgoing]:
    """The asker's follow-up in an answer thread: an answer, suggestions or private guidance, else silence.

    The thread is read again (someone else may have replied since the event was accepted); a follow-up
    that would repeat the answer the thread already has ("thanks!") stays unanswered.
    """
    threads = threads_of(deps)
    channel, user, thread_ts = event["channel"], event["user"], event["thread_ts"]
    memory = await threads.find(channel, thread_ts) if threads is not None else None
    if memory is None or not threads.is_asker(memory, user) or memory.quiet_for(event.get("ts")):
        log_event(log, "followup_skipped", channel=channel, reason="thread_closed")
        return []
    reply = await deps.answer(event.get("text") or "", context=AskContext(
        user_id=user, channel_id=channel, source="followup", redacted_kinds=tuple(event.get("redacted") or ()),
        earlier_question=memory.question))
    if deps.settings.shadow:
        log_event(log, "shadow_reply", channel=channel, kind=reply.kind.value, faq_id=reply.faq_id)
        return []
    if reply.kind not in (ReplyKind.ANSWERED, ReplyKind.SUGGESTIONS, ReplyKind.PRIVATE):
        return []
    if reply.kind is ReplyKind.ANSWERED and reply.cve is None and reply.faq_id == memory.faq_id:
        log_event(log, "followup_skipped", channel=channel, reason="same_answer")
        return []
    if not reply.private_only:
        try:
            await threads.answered_again(channel, thread_ts, faq_id=reply.faq_id or memory.faq_id)
        except Exception as exc:  # noqa: BLE001 - the answer matters more than the window
            log_event(log, "thread_remember_failed", level=logging.WARNING, error=type(exc).__name__)
    return reply_messages(reply, channel=channel, user=user, knowledge=deps.service.knowledge, thread_ts=thread_ts)


async def mention_replies(deps: Listeners, event: dict[str, Any]) -> list[Outgoing]:
    """The replies to a mention: in its thread (or a new one on it)."""
    channel, user = event["channel"], event["user"]
    reply = await deps.answer(event.get("text") or "", context=AskContext(
        user_id=user, channel_id=channel, source="mention", redacted_kinds=tuple(event.get("redacted") or ())))
    if deps.settings.shadow and not is_dm(event):
        log_event(log, "shadow_reply", channel=channel, kind=reply.kind.value, faq_id=reply.faq_id)
        return []
    thread_ts = event.get("thread_ts") or event.get("ts")
    await remember_thread(deps, reply, channel=channel, user=user, thread_ts=thread_ts)
    return reply_messages(reply, channel=channel, user=user, knowledge=deps.service.knowledge, thread_ts=thread_ts)


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
    await remember_thread(deps, reply, channel=channel, user=user, thread_ts=event.get("ts"))
    return reply_messages(reply, channel=channel, user=user, knowledge=deps.service.knowledge,
                          thread_ts=event.get("ts"))
