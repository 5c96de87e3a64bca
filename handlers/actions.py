"""Buttons: "Was this helpful?" Yes/No, "Did you mean ...?" picks, onboarding interests, App Home "Get started"."""

from __future__ import annotations

import logging
import re
from typing import Any

from bot.core import messages as M
from bot.core.reply import AskContext
from bot.delivery.gateway import Outgoing
from bot.logs import log_event
from bot.slack import blocks as B
from bot.slack.deps import Listeners
from bot.slack.outgoing import private_message
from handlers import onboarding

log = logging.getLogger("sigsec.slack.actions")


def register(app: Any, deps: Listeners) -> None:
    @app.action(B.FEEDBACK_YES)
    async def on_yes(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        deps.tasks.spawn(feedback(deps, body, respond, helpful=True), name="feedback_yes")

    @app.action(B.FEEDBACK_NO)
    async def on_no(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        deps.tasks.spawn(feedback(deps, body, respond, helpful=False), name="feedback_no")

    @app.action(re.compile(rf"^{B.SUGGESTION_PREFIX}\d$"))
    async def on_pick(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        deps.tasks.spawn(pick(deps, body, respond), name="suggestion_pick")

    @app.action(re.compile(rf"^{B.ONBOARD_PREFIX}[a-z]+$"))
    async def on_interest(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        deps.tasks.spawn(interest(deps, body, respond), name="onboard_interest")

    @app.action(B.HOME_ONBOARD)
    async def on_home_onboard(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        user = (body.get("user") or {}).get("id")
        if user:
            deps.tasks.spawn(onboarding.send_welcome(deps, user), name="home_onboard")


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    """(channel, thread_ts to answer in, is the clicked message ephemeral?)."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") or message.get("ts") or container.get("message_ts")
    return channel, thread_ts, bool(container.get("is_ephemeral")) or not message


async def _tell(deps: Listeners, body: dict[str, Any], respond: Any, blocks: list[Any], *,
                replace: bool = False) -> None:
    """Answer the clicker privately: via response_url when there is one, else ephemeral in the channel."""
    text = (B.as_dicts(blocks)[0].get("text") or {}).get("text", "")[:300] or M.SLACK_YES_FEEDBACK_THANKS
    user = (body.get("user") or {}).get("id")
    channel, _, _ = _where(body)
    if body.get("response_url"):
        await deps.gateway.respond(respond, response_type="ephemeral", replace_original=replace, text=text,
                                   blocks=B.as_dicts(blocks))
    elif channel and user:
        await deps.gateway.deliver(private_message(channel, user, text=text, blocks=blocks, thread_ts=None))


async def feedback(deps: Listeners, body: dict[str, Any], respond: Any, *, helpful: bool) -> None:
    value = B.decode_value(_action(body).get("value"))
    question_id = value.get("q") if isinstance(value.get("q"), int) else None
    faq_id = value.get("f") if isinstance(value.get("f"), str) else None
    user = (body.get("user") or {}).get("id")
    service = deps.service
    try:
        recorded = await service.record_feedback(question_id=question_id, user_id=user, helpful=helpful)
    except Exception as exc:  # noqa: BLE001
        log_event(log, "feedback_failed", error=type(exc).__name__)
        recorded = False
    if not recorded and service.storage is not None:
        await _tell(deps, body, respond, B.text_blocks(M.SLACK_FEEDBACK_FAILED))
        return
    log_event(log, "feedback", faq_id=faq_id, helpful=helpful)
    deps.metrics.verdict(helpful)
    if helpful:
        await _tell(deps, body, respond, B.text_blocks(M.SLACK_YES_FEEDBACK_THANKS))
        return
    entry = service.knowledge.entry(faq_id) if faq_id else None
    route = service.knowledge.route(entry.owner) if entry and entry.owner else None
    owner = M.SLACK_NO_FEEDBACK_OWNER.format(channel=B.esc(route.channel), name=B.esc(route.name)) if route else ""
    await _tell(deps, body, respond,
                B.text_blocks(M.SLACK_NO_FEEDBACK_THANKS.format(channel=M.HUMAN_CHANNEL, owner=owner)))


async def pick(deps: Listeners, body: dict[str, Any], respond: Any) -> None:
    """Post the chosen "did you mean" answer where the suggestions were."""
    value = B.decode_value(_action(body).get("value"))
    entry_id = value.get("e") if isinstance(value.get("e"), str) else ""
    question_id = value.get("q") if isinstance(value.get("q"), int) else None
    user = (body.get("user") or {}).get("id")
    channel, thread_ts, ephemeral = _where(body)
    reply = await deps.service.answer_entry(entry_id, question_id=question_id,
                                       context=AskContext(user_id=user, channel_id=channel, source="button"))
    if reply is None or reply.entry is None:
        await _tell(deps, body, respond,
                    B.text_blocks(M.SLACK_SUGGESTION_GONE.format(channel=M.HUMAN_CHANNEL)))
        return
    blocks = B.answer_blocks(reply.entry, question_id=question_id, route=reply.route)
    if ephemeral or not channel:
        await _tell(deps, body, respond, blocks, replace=True)
    else:
        await deps.gateway.deliver(Outgoing(channel, B.fallback_text(reply), B.as_dicts(blocks), thread_ts))


async def interest(deps: Listeners, body: dict[str, Any], respond: Any) -> None:
    key = str(_action(body).get("action_id", ""))[len(B.ONBOARD_PREFIX):]
    log_event(log, "onboard_interest", interest=key if key in B.INTERESTS else "other")
    await _tell(deps, body, respond, B.interest_blocks(key))
