"""End-to-end over signed HTTP: the message shortcut "Ask sigsec about this message" answers privately, and
its "Post in thread" button shares a knowledge-base answer in the message's thread; private reports never."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from urllib.parse import urlencode

from sqlalchemy import select

from support.waiting import inbox_worked

from bot.slack import blocks as B
from bot.storage.schema import questions
from handlers.shortcuts import ASK_SHORTCUT

ANSWERABLE = "<@UBOT> what are the pod security standards?"
PRIVATE = ("I found an unpatched vulnerability in the kubelet that lets any pod read host files, "
           "here is my PoC, how do I disclose it privately?")
SECRET = "xoxb-1234567890-abcdefghijklmnop"
_ids = itertools.count(1)


async def use_shortcut(app, text: str, *, ts: str = "1700000200.000100", thread_ts: str | None = None,
                       user: str = "UCURIOUS", channel: str = "C1") -> int:
    """Sign and send a message_action payload as Slack does when someone picks the shortcut on a message."""
    message = {"type": "message", "user": "UAUTHOR", "text": text, "ts": ts}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload = {"type": "message_action", "token": "legacy-unused", "action_ts": str(time.time()),
               "team": {"id": app.signer.team_id, "domain": "test"},
               "user": {"id": user, "username": "someone", "team_id": app.signer.team_id},
               "channel": {"id": channel, "name": "general"}, "is_enterprise_install": False,
               "callback_id": ASK_SHORTCUT, "trigger_id": f"{next(_ids)}.shortcut", "message_ts": ts,
               "message": message, "response_url": app.mock.response_url("shortcut")}
    body = urlencode({"payload": json.dumps(payload)})
    status, _ = await app.send(body, app.signer.headers(body, content_type="application/x-www-form-urlencoded"))
    return status


def buttons(call) -> list[dict]:
    return [e for b in call.blocks if b["type"] == "actions" for e in b["elements"]]


async def test_the_answer_is_private_and_post_in_thread_shares_it_in_the_thread(slack_app) -> None:
    assert await use_shortcut(slack_app, ANSWERABLE, ts="1700000201.000100", thread_ts="1700000200.000100") == 200
    [private] = await slack_app.mock.wait_for("response_url")
    assert private.body["response_type"] == "ephemeral" and "Pod Security Admission" in private.all_text
    assert B.validate_blocks(private.blocks) == []
    [post] = [b for b in buttons(private) if b["action_id"] == B.POST_IN_THREAD]
    await inbox_worked(slack_app)
    assert slack_app.mock.find("chat.postMessage") == []  # nothing public yet
    slack_app.mock.reset()
    await slack_app.action(B.POST_IN_THREAD, post["value"], ephemeral=True, channel_id="C1", user_id="UCURIOUS")
    [public] = await slack_app.mock.wait_for("chat.postMessage")
    assert public.body["channel"] == "C1" and public.body["thread_ts"] == "1700000200.000100"
    assert "Pod Security Admission" in public.all_text and "<@UCURIOUS>" in public.all_text
    assert B.validate_blocks(public.blocks) == []
    [yes] = [b for b in buttons(public) if b["action_id"] == B.FEEDBACK_YES]
    assert B.decode_value(yes["value"]).get("q") is not None  # votes land on the shortcut's logged question
    [done] = await slack_app.mock.wait_for("response_url")
    assert done.body["replace_original"] is True and "Posted" in done.all_text


async def test_a_message_outside_a_thread_is_answered_in_a_new_thread_on_it(slack_app) -> None:
    await use_shortcut(slack_app, ANSWERABLE, ts="1700000300.000100")
    [private] = await slack_app.mock.wait_for("response_url")
    [post] = [b for b in buttons(private) if b["action_id"] == B.POST_IN_THREAD]
    await slack_app.action(B.POST_IN_THREAD, post["value"], ephemeral=True, channel_id="C1")
    [public] = await slack_app.mock.wait_for("chat.postMessage")
    assert public.body["thread_ts"] == "1700000300.000100"


async def test_a_private_report_gets_private_guidance_and_no_post_button(slack_app) -> None:
    await use_shortcut(slack_app, PRIVATE)
    [private] = await slack_app.mock.wait_for("response_url")
    assert private.body["response_type"] == "ephemeral" and "security@kubernetes.io" in private.all_text
    assert B.POST_IN_THREAD not in private.all_text and "kubelet" not in private.all_text
    await inbox_worked(slack_app)
    assert slack_app.mock.find("chat.postMessage") == [] and slack_app.mock.find("chat.postEphemeral") == []


async def test_no_post_button_without_an_answer(slack_app) -> None:
    await use_shortcut(slack_app, "what is the weather in paris")
    [private] = await slack_app.mock.wait_for("response_url")
    assert private.body["response_type"] == "ephemeral" and B.POST_IN_THREAD not in private.all_text


async def test_credentials_in_the_chosen_message_are_redacted(slack_app) -> None:
    await use_shortcut(slack_app, f"my token {SECRET} leaked, how do I set up rbac with least privilege?")
    [private] = await slack_app.mock.wait_for("response_url")
    assert "Grant Roles per namespace" in private.all_text and "rotate" in private.all_text
    [post] = [b for b in buttons(private) if b["action_id"] == B.POST_IN_THREAD]
    await slack_app.action(B.POST_IN_THREAD, post["value"], ephemeral=True, channel_id="C1")
    await slack_app.mock.wait_for("chat.postMessage")
    for call in slack_app.mock.calls:
        assert SECRET not in str(call.body)
    logged: list[str] = []
    for _ in range(50):  # the question row is written after the private reply went out
        async with slack_app.bot.service.storage.engine.connect() as connection:
            logged = [str(row) for row in (await connection.execute(select(questions))).all()]
        if logged:
            break
        await asyncio.sleep(0.1)
    assert logged and "shortcut" in logged[0] and not any(SECRET in row for row in logged)


async def test_a_tampered_post_button_posts_nothing(slack_app) -> None:
    for value in ("not json", B.encode_value(e="pod-security-standards", t="../C2"),
                  B.encode_value(e="gone-entry", t="1700000200.000100")):
        await slack_app.action(B.POST_IN_THREAD, value, ephemeral=True, channel_id="C1")
    await slack_app.mock.wait_for("response_url")  # the removed entry is explained privately
    await inbox_worked(slack_app)
    assert slack_app.mock.find("chat.postMessage") == []


def test_post_in_thread_is_never_offered_under_a_message_the_private_report_check_doubts() -> None:
    from bot.core import messages as M
    from bot.core.knowledge import FaqEntry
    from bot.core.reply import Reply, ReplyKind
    from handlers.shortcuts import shareable

    entry = FaqEntry(id="rbac-good-practices", question="RBAC?", answer="Least privilege.")
    answer = Reply(ReplyKind.ANSWERED, question="q", entry=entry)
    assert shareable(answer)
    assert not shareable(Reply(ReplyKind.ANSWERED, question="q", entry=entry, private_notes=(M.PRIVATE_HINT,)))
    assert not shareable(Reply(ReplyKind.PRIVATE, question="q", entry=entry, private_only=True))


async def test_a_double_click_on_post_in_thread_posts_once(slack_app) -> None:
    assert await use_shortcut(slack_app, ANSWERABLE, ts="1700000301.000100", thread_ts="1700000300.000100") == 200
    [private] = await slack_app.mock.wait_for("response_url")
    [post] = [b for b in buttons(private) if b["action_id"] == B.POST_IN_THREAD]
    slack_app.mock.reset()
    for _ in range(2):
        await slack_app.action(B.POST_IN_THREAD, post["value"], ephemeral=True, channel_id="C1", user_id="UCURIOUS")
    await slack_app.mock.wait_for("chat.postMessage")
    await slack_app.mock.wait_for("response_url")  # the confirmation comes after the post
    await inbox_worked(slack_app)
    assert len(slack_app.mock.find("chat.postMessage")) == 1
