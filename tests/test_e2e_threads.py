"""End-to-end over signed HTTP: the asker's follow-ups in the bot's answer threads need no mention, for a while,
and only until someone else joins the conversation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from support.signed_client import mention_event, message_event
from support.waiting import inbox_worked

from bot.core.reply import ReplyKind
from bot.slack import blocks as B
from bot.storage import utcnow
from bot.storage.schema import conversation_threads, inbox

ANSWERABLE = "what are the pod security standards?"
RBAC = "how do I set up rbac with least privilege?"
THREAD = "1700000100.000100"
SECRET = "xoxb-1234567890-abcdefghijklmnop"


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now


def followup(text: str, *, ts: str, user: str = "UASKER", channel: str = "C1", thread_ts: str = THREAD) -> dict:
    return message_event(text, user=user, channel=channel, ts=ts, thread_ts=thread_ts)


async def answered_thread(app, question: str = ANSWERABLE, *, user: str = "UASKER") -> None:
    """A mention answered in a new thread on it (THREAD); the mock's calls are then cleared."""
    await app.event(mention_event(question, channel="C1", user=user, ts=THREAD))
    [call] = await app.mock.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == THREAD
    app.mock.reset()


async def test_the_askers_follow_up_is_answered_in_the_thread_without_a_mention(slack_app) -> None:
    await answered_thread(slack_app)
    status, _ = await slack_app.event(followup(RBAC, ts="1700000101.000100"))
    assert status == 200
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    assert call.body["channel"] == "C1" and call.body["thread_ts"] == THREAD
    assert "Grant Roles per namespace" in call.all_text and B.validate_blocks(call.blocks) == []
    # The same follow-up outside any answered thread is not the bot's business.
    await slack_app.event(followup(RBAC, ts="1700000102.000100", thread_ts="1700000090.000100"))
    await slack_app.event(followup(RBAC, ts="1700000103.000100", channel="C2"))
    await inbox_worked(slack_app)
    assert len(slack_app.mock.posts()) == 1


async def test_a_weak_follow_up_keeps_the_threads_topic_and_chit_chat_is_not_answered(slack_app) -> None:
    assert slack_app.bot.service.decide("at rest?").kind is not ReplyKind.ANSWERED  # weak alone
    await answered_thread(slack_app, "secret encryption vault")  # did-you-mean suggestions
    await slack_app.event(followup("at rest?", ts="1700000101.000100"))
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    assert "EncryptionConfiguration" in call.all_text and call.body["thread_ts"] == THREAD
    slack_app.mock.reset()
    await slack_app.event(followup("thanks, that worked!", ts="1700000102.000100"))
    await slack_app.event(followup("at rest in etcd?", ts="1700000103.000100"))  # the answer it already has
    await inbox_worked(slack_app)
    assert slack_app.mock.posts() == []


async def test_follow_ups_stop_once_someone_else_replied_in_the_thread(slack_app) -> None:
    await answered_thread(slack_app)
    await slack_app.event(followup("I think you need the restricted profile", ts="1700000101.000100", user="UHUMAN"))
    await slack_app.event(followup(RBAC, ts="1700000102.000100"))
    await inbox_worked(slack_app)
    assert slack_app.mock.posts() == []
    # Mentioning the bot still works, and starts the conversation with the bot again.
    await slack_app.event(mention_event(RBAC, channel="C1", user="UASKER", ts="1700000103.000100", thread_ts=THREAD))
    await slack_app.mock.wait_for("chat.postMessage")
    await slack_app.event(followup("how do I encrypt secrets at rest in etcd?", ts="1700000104.000100"))
    calls = await slack_app.mock.wait_for("chat.postMessage", count=2)
    assert "EncryptionConfiguration" in calls[1].all_text


async def test_a_follow_up_from_someone_else_is_ignored(slack_app) -> None:
    await answered_thread(slack_app)
    await slack_app.event(followup(RBAC, ts="1700000101.000100", user="UOTHER"))
    await inbox_worked(slack_app)
    assert slack_app.mock.posts() == []


async def test_follow_ups_end_with_the_window(slack_app) -> None:
    clock = Clock()
    slack_app.bot.service.storage.threads.clock = clock
    await answered_thread(slack_app)
    clock.now += dt.timedelta(minutes=29)
    await slack_app.event(followup(RBAC, ts="1700000101.000100"))
    await slack_app.mock.wait_for("chat.postMessage")  # inside the window; the answer starts it again
    slack_app.mock.reset()
    clock.now += dt.timedelta(minutes=31)
    await slack_app.event(followup("how do I encrypt secrets at rest in etcd?", ts="1700000102.000100"))
    await inbox_worked(slack_app)
    assert slack_app.mock.posts() == []


async def test_follow_ups_can_be_turned_off(slack_factory) -> None:
    app = await slack_factory(FOLLOWUP_MINUTES="0")
    await answered_thread(app)
    await app.event(followup(RBAC, ts="1700000101.000100"))
    await inbox_worked(app)
    assert app.mock.posts() == []


async def test_watched_channel_answer_threads_take_follow_ups_too(slack_factory) -> None:
    app = await slack_factory(WATCH_CHANNELS="CWATCH")
    await app.event(message_event(ANSWERABLE, channel="CWATCH", user="UASKER", ts=THREAD))
    await app.mock.wait_for("chat.postMessage")
    await app.event(followup(RBAC, channel="CWATCH", ts="1700000101.000100"))
    calls = await app.mock.wait_for("chat.postMessage", count=2)
    assert calls[1].body["thread_ts"] == THREAD and "Grant Roles per namespace" in calls[1].all_text


async def test_a_follow_up_with_a_credential_is_stored_redacted_and_warned_privately(slack_app) -> None:
    await answered_thread(slack_app)
    await slack_app.event(followup(f"my token {SECRET} leaked, {RBAC}", ts="1700000101.000100"))
    [public] = await slack_app.mock.wait_for("chat.postMessage")
    [warning] = await slack_app.mock.wait_for("chat.postEphemeral")
    assert public.body["thread_ts"] == THREAD and warning.body["user"] == "UASKER" and "rotate" in warning.all_text
    for call in slack_app.mock.calls:
        assert SECRET not in str(call.body)
    async with slack_app.bot.service.storage.engine.connect() as connection:
        events = [str(row) for row in (await connection.execute(select(inbox))).all()]
        [memory] = [str(row) for row in (await connection.execute(select(conversation_threads))).all()]
    assert len(events) == 2 and not any(SECRET in row for row in events)
    assert SECRET not in memory and "UASKER" not in memory  # the asker is kept hashed
