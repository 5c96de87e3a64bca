"""The message shortcut "Ask sigsec about this message" (callback id `ask_sigsec`, manifest.yaml) and its
"Post in thread" button.

- The chosen message's text (mentions stripped, credentials redacted before it is stored or asked) is
  answered only to the person who used the shortcut: through the payload's response_url (an ephemeral
  message in that conversation), or chat.postEphemeral once the URL expired.
- A knowledge-base answer comes with a "Post in thread" button, which posts the entry's answer publicly
  in the chosen message's thread and replaces the private message with a short confirmation. A private
  reply (a likely undisclosed vulnerability report, the rate limit) never gets the button, nor does
  anything that is not an answer from the knowledge base.
Like every event, both go through the durable inbox before their ack (keyed by the shortcut's
trigger_id, the click's action_ts), holding only what their answer needs.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.core import messages as M
from bot.core.reply import AskContext, Reply, ReplyKind
from bot.delivery.gateway import Outgoing
from bot.logs import log_event
from bot.safety.secrets import redact_secrets
from bot.slack import blocks as B
from bot.slack.deps import Listeners
from bot.slack.outgoing import tell_privately as privately  # response_url while valid, else ephemeral
from handlers.messages import strip_mentions

log = logging.getLogger("sigsec.slack.shortcuts")
ASK_SHORTCUT = "ask_sigsec"  # the message shortcut's callback_id in manifest.yaml
SLACK_TS = re.compile(r"^\d{1,12}\.\d{1,9}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
POSTED = "Posted in the thread."
SHARED_BY = "Shared by <@{user}> with *Ask sigsec about this message*."


def register(app: Any, deps: Listeners) -> None:
    deps.processors["shortcut"] = lambda item: shortcut_replies(deps, item)
    deps.processors["shortcut_post"] = lambda item: post_replies(deps, item)

    @app.shortcut(ASK_SHORTCUT)
    async def on_ask(ack: Any, body: dict[str, Any]) -> None:
        message = body.get("message") or {}
        redaction = redact_secrets(strip_mentions(message.get("text") or ""))
        payload = {**_where(body), "text": redaction.text[: deps.settings.max_input_chars * 4 + 16],
                   "redacted": list(redaction.kinds),
                   "thread_ts": message.get("thread_ts") or message.get("ts") or body.get("message_ts")}
        await deps.accept(f"shortcut:{body.get('trigger_id') or body.get('action_ts')}", "shortcut", payload)
        await ack()

    @app.action(B.POST_IN_THREAD)
    async def on_post(ack: Any, body: dict[str, Any]) -> None:
        actions = body.get("actions") or [{}]
        action = actions[0] if isinstance(actions[0], dict) else {}
        value = B.decode_value(action.get("value"))
        payload = {**_where(body), "e": value.get("e"), "t": value.get("t"), "q": value.get("q")}
        # One post per person, thread and answer: a double click is a duplicate, not a second post.
        key = f"shortcut-post:{payload['user']}:{payload['channel']}:{payload['t']}:{payload['e']}"
        await deps.accept(key[:255], "shortcut_post", payload)
        await ack()


def _where(body: dict[str, Any]) -> dict[str, Any]:
    """Who acted, in which conversation, and where to answer them privately."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return {"user": (body.get("user") or {}).get("id"), "channel": channel, "response_url": body.get("response_url")}


def shareable(reply: Reply) -> bool:
    """Only a knowledge-base answer that everyone may see can be posted: never under a message the
    private-report check doubts (the private-only reply, or the borderline verdict's private hint)."""
    return (reply.kind is ReplyKind.ANSWERED and not reply.private_only and reply.faq_id is not None
            and M.PRIVATE_HINT not in reply.private_notes)


async def shortcut_replies(deps: Listeners, item: Any) -> list[Outgoing]:
    """The chosen message answered privately, with "Post in thread" under a shareable answer."""
    payload = item.payload
    reply = await deps.answer(payload.get("text") or "", context=AskContext(
        user_id=payload.get("user"), channel_id=payload.get("channel"), source="shortcut",
        redacted_kinds=tuple(payload.get("redacted") or ())))
    blocks = B.reply_blocks(reply, knowledge=deps.service.knowledge)
    if reply.private_notes:
        blocks += B.notes_blocks(reply.private_notes)
    if shareable(reply) and payload.get("thread_ts"):
        blocks += B.post_in_thread_blocks(B.encode_value(e=reply.faq_id, t=payload["thread_ts"], q=reply.log_ref))
    log_event(log, "shortcut_answer", channel=payload.get("channel"), kind=reply.kind.value, faq_id=reply.faq_id)
    return privately(payload, item.received_at, blocks)


async def post_replies(deps: Listeners, item: Any) -> list[Outgoing]:
    """The entry's answer in the thread the button names, in the conversation it was clicked in; then the
    private message becomes a confirmation."""
    payload = item.payload
    user, channel, entry_id, thread_ts = payload.get("user"), payload.get("channel"), payload.get("e"), payload.get("t")
    question = payload.get("q")
    question = question if isinstance(question, int) and not isinstance(question, bool) else (
        question[:300] if isinstance(question, str) else None)
    if not (channel and isinstance(thread_ts, str) and SLACK_TS.match(thread_ts) and isinstance(entry_id, str)):
        log_event(log, "shortcut_post_refused", reason="bad_value")
        return []
    reply = await deps.service.answer_entry(entry_id[:128], context=AskContext(
        user_id=user, channel_id=channel, source="shortcut"))
    if reply is None or reply.entry is None:
        gone = M.SLACK_SUGGESTION_GONE.format(channel=M.HUMAN_CHANNEL)
        return privately(payload, item.received_at, B.text_blocks(gone), replace=True)
    blocks = B.answer_blocks(reply.entry, question_id=question, route=reply.route)
    if user and USER_ID.match(user):
        blocks.append(B.context(SHARED_BY.format(user=user)))
    posted = Outgoing(channel, B.fallback_text(reply), B.as_dicts(blocks), thread_ts)
    return [posted, *privately(payload, item.received_at, B.text_blocks(POSTED), replace=True)]
