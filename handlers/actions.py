"""Buttons: "Was this helpful?" Yes/No (No also opens the reasons modal), "Did you mean ...?" picks,
onboarding interests, App Home "Get started".

With storage, each click (and the modal's submission) is stored in the durable inbox before Slack gets
its ack, keyed by the click's action_ts (the submission's trigger_id), holding only what its answer
needs; the inbox worker records it and answers, exactly once across crashes and restarts. The modal
itself is opened in the listener: Slack's trigger_id is good for 3 seconds only. Without storage a
click is worked in a task after the ack.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from bot.core import messages as M
from bot.core.reply import AskContext
from bot.delivery.gateway import Outgoing
from bot.logs import log_event
from bot.safety.secrets import redact_secrets
from bot.slack import blocks as B
from bot.slack.deps import Listeners
from bot.slack.outgoing import tell_privately
from handlers import onboarding

log = logging.getLogger("sigsec.slack.actions")
RETRIES_FOR_A_QUESTION = 3  # a click may outrun the log row of the reply it was on (written after the reply)


class QuestionNotLoggedYet(RuntimeError):
    """The clicked reply's question is not in the log yet: the inbox tries the click again shortly."""


def register(app: Any, deps: Listeners) -> None:
    deps.processors["feedback"] = lambda item: feedback_replies(deps, item)
    deps.processors["feedback_reason"] = lambda item: reason_replies(deps, item)
    deps.processors["pick"] = lambda item: pick_replies(deps, item)
    deps.processors["interest"] = lambda item: interest_replies(item)
    deps.processors["home_onboard"] = lambda item: onboarding.welcome_replies(deps, item.payload["user"], once=False)

    async def accept_or_work(kind: str, body: dict[str, Any], respond: Any, payload: dict[str, Any]) -> None:
        if deps.inbox is not None:
            await deps.accept(_action_key(body), kind, payload)
        else:
            deps.tasks.spawn(_work_now(deps, kind, payload, respond), name=kind)

    @app.action(B.FEEDBACK_YES)
    async def on_yes(ack: Any, body: dict[str, Any], respond: Any) -> None:
        await accept_or_work("feedback", body, respond, {**_clicked(body), **_question(body), "helpful": True})
        await ack()

    @app.action(B.FEEDBACK_NO)
    async def on_no(ack: Any, body: dict[str, Any], respond: Any) -> None:
        question = _question(body)
        await accept_or_work("feedback", body, respond, {**_clicked(body), **question, "helpful": False})
        if body.get("trigger_id") and question.get("q") is not None and deps.service.storage is not None:
            # Within Slack's 3 seconds of the click, so here and not through the inbox; not awaited, so a
            # slow views.open never delays the ack. The vote is recorded whether or not the modal opens.
            deps.tasks.spawn(deps.gateway.open_view(body["trigger_id"], B.feedback_reason_view(
                B.encode_value(**question))), name="feedback_reasons")
        await ack()

    @app.view(B.FEEDBACK_REASON_VIEW)
    async def on_reason(ack: Any, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        reason, comment = B.feedback_reason_values(view)
        if reason is None:
            await ack(response_action="errors", errors={B.REASON_BLOCK: M.SLACK_REASON_MISSING})
            return
        question = B.decode_value(view.get("private_metadata"))
        payload = {"user": (body.get("user") or {}).get("id"), "q": _ref(question.get("q")), "reason": reason,
                   "comment": stored_comment(comment)}
        if deps.inbox is not None:
            key = body.get("trigger_id") or f"{view.get('id')}:{view.get('hash')}"
            await deps.accept(f"view:{key}", "feedback_reason", payload)
        await ack()

    @app.action(re.compile(rf"^{B.SUGGESTION_PREFIX}\d$"))
    async def on_pick(ack: Any, body: dict[str, Any], respond: Any) -> None:
        value = B.decode_value(_action(body).get("value"))
        entry_id = value.get("e") if isinstance(value.get("e"), str) else ""
        await accept_or_work("pick", body, respond, {**_clicked(body), "e": entry_id[:128], "q": _ref(value.get("q"))})
        await ack()

    @app.action(re.compile(rf"^{B.ONBOARD_PREFIX}[a-z]+$"))
    async def on_interest(ack: Any, body: dict[str, Any], respond: Any) -> None:
        key = str(_action(body).get("action_id", ""))[len(B.ONBOARD_PREFIX):]
        await accept_or_work("interest", body, respond, {**_clicked(body), "interest": key[:32]})
        await ack()

    @app.action(B.HOME_ONBOARD)
    async def on_home_onboard(ack: Any, body: dict[str, Any]) -> None:
        user = (body.get("user") or {}).get("id")
        if user and deps.inbox is not None:
            await deps.accept(_action_key(body), "home_onboard", {"user": user})
        elif user:
            deps.tasks.spawn(onboarding.send_welcome(deps, user), name="home_onboard")
        await ack()


def stored_comment(comment: str | None) -> str | None:
    """A reason's comment as stored: credentials redacted first (on the text as typed, lines intact), then
    flattened to one line and cut to the modal's limit."""
    if not comment:
        return None
    flat = " ".join(redact_secrets(comment[: B.COMMENT_LIMIT * 8]).text.split())[: B.COMMENT_LIMIT]
    return flat or None


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def _action_key(body: dict[str, Any]) -> str:
    """Slack's action_ts for the click (with who clicked what), else its trigger_id."""
    action = _action(body)
    user = (body.get("user") or {}).get("id")
    stamp = action.get("action_ts") or body.get("trigger_id") or dt.datetime.now(dt.UTC).timestamp()
    return f"action:{stamp}:{user}:{str(action.get('action_id'))[:40]}"


def _ref(raw: Any) -> int | str | None:
    """A question reference from a button: the row id (int) or the reference it is logged under (str)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    return raw[:300] if isinstance(raw, str) and raw else None


def _question(body: dict[str, Any]) -> dict[str, Any]:
    value = B.decode_value(_action(body).get("value"))
    faq_id = value.get("f") if isinstance(value.get("f"), str) else None
    return {"q": _ref(value.get("q")), "f": faq_id[:128] if faq_id else None}


def _where(body: dict[str, Any]) -> tuple[str | None, str | None, bool]:
    """(channel, thread_ts to answer in, is the clicked message ephemeral?)."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") or message.get("ts") or container.get("message_ts")
    return channel, thread_ts, bool(container.get("is_ephemeral")) or not message


def _clicked(body: dict[str, Any]) -> dict[str, Any]:
    """What a click's answer needs: who, where, and the response_url (no message content)."""
    channel, thread_ts, ephemeral = _where(body)
    return {"user": (body.get("user") or {}).get("id"), "channel": channel, "thread_ts": thread_ts,
            "ephemeral": ephemeral, "response_url": body.get("response_url")}


async def _work_now(deps: Listeners, kind: str, payload: dict[str, Any], respond: Any) -> None:
    """Without storage: work a click after its ack (response_url posts through Bolt's respond())."""
    from bot.storage.inbox import InboxItem

    item = InboxItem(0, kind, kind, payload, RETRIES_FOR_A_QUESTION, dt.datetime.now(dt.UTC), None, 0)
    processor = deps.processors[kind]
    for message in await processor(item):
        if message.response_url:
            await deps.gateway.respond(respond, response_type="ephemeral", replace_original=message.replace_original,
                                       text=message.text, blocks=message.blocks)
        else:
            await deps.gateway.deliver(message)


async def feedback_replies(deps: Listeners, item: Any) -> list[Outgoing]:
    """Record one vote (a second click changes it) and thank the voter; "No" also points to humans."""
    payload, helpful = item.payload, bool(item.payload.get("helpful"))
    service = deps.service
    try:
        recorded = await service.record_feedback(question_id=payload.get("q"), user_id=payload.get("user"),
                                                 helpful=helpful)
    except Exception as exc:  # noqa: BLE001 - tell the voter; the inbox keeps the click for the report
        log_event(log, "feedback_failed", error=type(exc).__name__)
        recorded = False
    if not recorded and service.storage is not None:
        if isinstance(payload.get("q"), str) and item.attempts < RETRIES_FOR_A_QUESTION:
            raise QuestionNotLoggedYet("question not logged yet")
        return tell_privately(payload, item.received_at, B.text_blocks(M.SLACK_FEEDBACK_FAILED))
    log_event(log, "feedback", faq_id=payload.get("f"), helpful=helpful)
    deps.metrics.verdict(helpful)
    if helpful:
        return tell_privately(payload, item.received_at, B.text_blocks(M.SLACK_YES_FEEDBACK_THANKS))
    faq_id = payload.get("f")
    entry = service.knowledge.entry(faq_id) if faq_id else None
    route = service.knowledge.route(entry.owner) if entry and entry.owner else None
    owner = M.SLACK_NO_FEEDBACK_OWNER.format(channel=B.esc(route.channel), name=B.esc(route.name)) if route else ""
    return tell_privately(payload, item.received_at,
                 B.text_blocks(M.SLACK_NO_FEEDBACK_THANKS.format(channel=M.HUMAN_CHANNEL, owner=owner)))


async def reason_replies(deps: Listeners, item: Any) -> list[Outgoing]:
    """Store why an answer was not helpful, with the vote (the modal closed on submit: nothing to send)."""
    payload = item.payload
    recorded = await deps.service.record_feedback(question_id=payload.get("q"), user_id=payload.get("user"),
                                                  helpful=False, reason=payload.get("reason"),
                                                  comment=payload.get("comment"))
    if not recorded and isinstance(payload.get("q"), str) and item.attempts < RETRIES_FOR_A_QUESTION:
        raise QuestionNotLoggedYet("question not logged yet")
    log_event(log, "feedback_reason", reason=payload.get("reason"), recorded=recorded,
              comment=bool(payload.get("comment")))
    return []


async def pick_replies(deps: Listeners, item: Any) -> list[Outgoing]:
    """The chosen "did you mean" answer, where the suggestions were."""
    payload = item.payload
    user, channel, thread_ts = payload.get("user"), payload.get("channel"), payload.get("thread_ts")
    reply = await deps.service.answer_entry(payload.get("e") or "", question_id=payload.get("q"),
                                            context=AskContext(user_id=user, channel_id=channel, source="button"))
    if reply is None or reply.entry is None:
        return tell_privately(payload, item.received_at,
                     B.text_blocks(M.SLACK_SUGGESTION_GONE.format(channel=M.HUMAN_CHANNEL)))
    blocks = B.answer_blocks(reply.entry, question_id=payload.get("q"), route=reply.route)
    if payload.get("ephemeral") or not channel:
        return tell_privately(payload, item.received_at, blocks, replace=True)
    return [Outgoing(channel, B.fallback_text(reply), B.as_dicts(blocks), thread_ts)]


async def interest_replies(item: Any) -> list[Outgoing]:
    key = str(item.payload.get("interest") or "")
    log_event(log, "onboard_interest", interest=key if key in B.INTERESTS else "other")
    return tell_privately(item.payload, item.received_at, B.interest_blocks(key))
