"""Reply -> the messages to send: public in the thread, or privately (ephemeral in channels, plain in DMs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core.knowledge import KnowledgeBase
from bot.core.reply import Reply
from bot.delivery.gateway import RESPONSE_URL_SECONDS, Outgoing
from bot.slack import blocks as B
from bot.slack.identity import is_dm_channel


def private_message(channel: str, user: str, *, text: str, blocks: list, thread_ts: str | None) -> Outgoing:
    """Only `user` sees it: ephemeral in a channel, an ordinary message in their DM."""
    return Outgoing(channel, text, B.as_dicts(blocks), thread_ts,
                    ephemeral_to=None if is_dm_channel(channel) else user)


def tell_privately(payload: dict[str, Any], received: dt.datetime, blocks: list, *, text: str | None = None,
                   replace: bool = False) -> list[Outgoing]:
    """Answer the person in `payload` (user, channel, response_url) privately: through the response_url
    while Slack keeps it valid (the gateway falls back to an ephemeral message after), else ephemerally.
    The notification text defaults to the first block's."""
    if text is None:
        text = (B.as_dicts(blocks)[0].get("text") or {}).get("text", "")[:300] if blocks else ""
    text = text or "sigsec-bot"
    user, channel = payload.get("user"), payload.get("channel")
    if payload.get("response_url"):
        return [Outgoing(channel or "", text, B.as_dicts(blocks), ephemeral_to=user,
                         response_url=payload["response_url"], replace_original=replace,
                         url_expires=received.timestamp() + RESPONSE_URL_SECONDS)]
    if channel and user:
        return [private_message(channel, user, text=text, blocks=blocks, thread_ts=None)]
    return []


def reply_messages(reply: Reply, *, channel: str, user: str, thread_ts: str | None,
                   knowledge: KnowledgeBase | None = None) -> list[Outgoing]:
    """The reply itself, then the asker's private notes (secret found, input cut) when there are any."""
    blocks = B.reply_blocks(reply, knowledge=knowledge)
    text = B.fallback_text(reply)
    if reply.private_only:
        blocks = blocks + (B.notes_blocks(reply.private_notes) if reply.private_notes else [])
        return [private_message(channel, user, text=text, blocks=blocks, thread_ts=thread_ts)]
    messages = [Outgoing(channel, text, B.as_dicts(blocks), thread_ts)]
    if reply.private_notes:
        messages.append(private_message(channel, user, text=B.esc(reply.private_notes[0]),
                                        blocks=B.notes_blocks(reply.private_notes), thread_ts=thread_ts))
    return messages
