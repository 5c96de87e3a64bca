"""End-to-end: mentions, DMs, watched channels, shadow mode, retries, private replies, secrets."""

from __future__ import annotations

import asyncio

from support.signed_client import mention_event, message_event
from support.waiting import inbox_worked

from bot.slack import blocks as B

ANSWERABLE = "what are the pod security standards?"
UNSURE = "secret encryption vault"
UNKNOWN = "what is the weather in paris"
PRIVATE = ("I found an unpatched vulnerability in the kubelet that lets any pod read host files, "
           "here is my PoC, how do I disclose it privately?")
SECRET = "xoxb-1234567890-abcdefghijklmnop"


async def test_mention_is_answered_in_a_new_thread_with_block_kit(slack_app) -> None:
    event = mention_event(ANSWERABLE, channel="C1", ts="1700000001.000100")
    status, _ = await slack_app.event(event)
    assert status == 200
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    assert call.body["channel"] == "C1" and call.body["thread_ts"] == "1700000001.000100"
    assert B.validate_blocks(call.blocks) == []
    assert "Pod Security Standards" in call.all_text and "#sig-auth" in call.all_text
    assert B.FEEDBACK_YES in call.all_text
    assert call.headers["Authorization"].startswith("Bearer xoxb-")


async def test_mention_inside_a_thread_replies_in_that_thread(slack_app) -> None:
    event = mention_event(ANSWERABLE, ts="1700000002.000200", thread_ts="1700000000.000001")
    await slack_app.event(event)
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    assert call.body["thread_ts"] == "1700000000.000001"


async def test_dm_is_answered_in_the_dm(slack_app) -> None:
    await slack_app.event(message_event(ANSWERABLE, channel="D123", channel_type="im"))
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    assert call.body["channel"] == "D123" and "thread_ts" not in call.body
    assert "Pod Security Standards" in call.all_text


async def test_unsure_mention_offers_did_you_mean_buttons(slack_app) -> None:
    await slack_app.event(mention_event(UNSURE))
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    buttons = [b for b in call.blocks if b["type"] == "actions"][0]["elements"]
    assert 1 <= len(buttons) <= 3 and all(b["action_id"].startswith(B.SUGGESTION_PREFIX) for b in buttons)


async def test_unknown_mention_is_honest_and_names_humans(slack_app) -> None:
    await slack_app.event(mention_event(UNKNOWN))
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    assert "recorded" in call.all_text and "#sig-security" in call.all_text


async def test_watched_channel_answers_confidently_in_thread_and_is_silent_when_unsure(slack_factory) -> None:
    app = await slack_factory(WATCH_CHANNELS="CWATCH")
    await app.event(message_event(UNKNOWN, channel="CWATCH"))
    await app.event(message_event(UNSURE, channel="CWATCH"))
    await app.event(message_event(ANSWERABLE, channel="CNOTWATCHED"))
    await app.event(message_event(ANSWERABLE, channel="CWATCH", ts="1700000003.000300"))
    [call] = await app.mock.wait_for("chat.postMessage")
    assert call.body["channel"] == "CWATCH" and call.body["thread_ts"] == "1700000003.000300"
    await inbox_worked(app)
    assert len(app.mock.posts()) == 1


async def test_watched_channel_thread_replies_need_a_mention(slack_factory) -> None:
    app = await slack_factory(WATCH_CHANNELS="CWATCH")
    await app.event(message_event(ANSWERABLE, channel="CWATCH", ts="1700000004.000400",
                                  thread_ts="1700000000.000001"))
    # A message that mentions the bot is left to the app_mention event (no double reply).
    await app.event(message_event(f"<@UBOT> {ANSWERABLE}", channel="CWATCH"))
    await inbox_worked(app)
    assert app.mock.posts() == []


async def test_shadow_mode_handles_but_posts_nothing_in_channels(slack_factory) -> None:
    app = await slack_factory(WATCH_CHANNELS="CWATCH", SHADOW="true")
    await app.event(mention_event(ANSWERABLE, channel="C1"))
    await app.event(message_event(ANSWERABLE, channel="CWATCH"))
    await app.event(mention_event(PRIVATE, channel="C1"))
    await inbox_worked(app)
    assert app.mock.posts() == []
    popular = await app.bot.service.storage.questions.popular_entries(days=1)
    assert popular and popular[0][1] == 2  # both questions were handled and logged


async def test_retried_event_gets_exactly_one_reply(slack_app) -> None:
    event = mention_event(ANSWERABLE)
    first = await slack_app.event(event, event_id="EvRETRY1")
    retry1 = await slack_app.event(event, event_id="EvRETRY1", retry_num=1)
    retry2 = await slack_app.event(event, event_id="EvRETRY1", retry_num=2)
    assert first[0] == retry1[0] == retry2[0] == 200
    await slack_app.mock.wait_for("chat.postMessage")
    await inbox_worked(slack_app)
    assert len(slack_app.mock.find("chat.postMessage")) == 1


async def test_retry_reaching_another_replica_or_a_restart_is_not_answered_again(slack_factory, tmp_path) -> None:
    shared = f"sqlite+aiosqlite:///{tmp_path / 'shared.db'}"
    first = await slack_factory(database_url=shared)
    await first.event(mention_event(ANSWERABLE), event_id="EvREPLICA")
    await first.mock.wait_for("chat.postMessage")
    await first.bot.stop()  # "restart": a new process with the same database
    second = await slack_factory(database_url=shared)
    status, _ = await second.event(mention_event(ANSWERABLE), event_id="EvREPLICA", retry_num=1)
    assert status == 200
    await inbox_worked(second)
    assert len(second.mock.find("chat.postMessage")) == 1
    # ... while a retry of an event that was never processed is answered.
    await second.event(mention_event(ANSWERABLE), event_id="EvNEVERSEEN", retry_num=1)
    await second.mock.wait_for("chat.postMessage", count=2)


async def test_own_and_other_bot_messages_are_ignored(slack_factory) -> None:
    app = await slack_factory(WATCH_CHANNELS="CWATCH")
    await app.event(message_event(ANSWERABLE, channel="D1", channel_type="im", user="UBOT", bot_id="BBOT"))
    await app.event(message_event(ANSWERABLE, channel="D1", channel_type="im", bot_id="BOTHER"))
    await app.event(message_event(ANSWERABLE, channel="CWATCH", subtype="bot_message", bot_id="BOTHER"))
    await app.event(mention_event(ANSWERABLE, user="UOTHERBOT", bot_id="BOTHER"))
    await inbox_worked(app)
    assert app.mock.posts() == []


async def test_edits_and_deletions_are_ignored(slack_factory) -> None:
    app = await slack_factory(WATCH_CHANNELS="CWATCH")
    edited = {"type": "message", "subtype": "message_changed", "channel": "CWATCH", "ts": "1700000005.000500",
              "message": {"type": "message", "user": "U1", "text": ANSWERABLE, "ts": "1700000001.000001"},
              "previous_message": {"type": "message", "user": "U1", "text": "x", "ts": "1700000001.000001"}}
    deleted = {"type": "message", "subtype": "message_deleted", "channel": "D1", "channel_type": "im",
               "ts": "1700000006.000600", "deleted_ts": "1700000001.000001"}
    await app.event(edited)
    await app.event(deleted)
    await inbox_worked(app)
    assert app.mock.posts() == []


async def test_private_report_in_a_channel_goes_ephemeral_only(slack_app) -> None:
    await slack_app.event(mention_event(PRIVATE, channel="C1", user="UREPORTER"))
    [call] = await slack_app.mock.wait_for("chat.postEphemeral")
    assert call.body["user"] == "UREPORTER" and call.body["channel"] == "C1"
    assert "security@kubernetes.io" in call.all_text
    await inbox_worked(slack_app)
    assert slack_app.mock.find("chat.postMessage") == []
    assert "kubelet" not in call.all_text  # the report itself is never repeated


async def test_private_report_in_a_dm_is_a_normal_dm_reply(slack_app) -> None:
    await slack_app.event(message_event(PRIVATE, channel="D9", channel_type="im"))
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    assert call.body["channel"] == "D9" and "security@kubernetes.io" in call.all_text
    assert slack_app.mock.find("chat.postEphemeral") == []


async def test_private_report_in_watched_channel_gets_private_guidance_only(slack_factory) -> None:
    app = await slack_factory(WATCH_CHANNELS="CWATCH")
    await app.event(message_event(PRIVATE, channel="CWATCH", user="UREPORTER"))
    [call] = await app.mock.wait_for("chat.postEphemeral")
    assert call.body["user"] == "UREPORTER"
    await inbox_worked(app)
    assert app.mock.find("chat.postMessage") == []


async def test_secret_is_redacted_and_warned_privately(slack_app) -> None:
    question = f"my token {SECRET} leaked, how do I set up rbac with least privilege?"
    await slack_app.event(mention_event(question, channel="C1", user="ULEAKER"))
    [public] = await slack_app.mock.wait_for("chat.postMessage")
    [warning] = await slack_app.mock.wait_for("chat.postEphemeral")
    assert "RBAC" in public.all_text or "rbac" in public.all_text.lower()
    assert warning.body["user"] == "ULEAKER" and "rotate" in warning.all_text
    for call in slack_app.mock.calls:
        assert SECRET not in str(call.body)
    for _ in range(100):  # the question is logged just after the reply went out
        stored = await slack_app.bot.service.storage.questions.popular_entries(days=1)
        if stored:
            break
        await asyncio.sleep(0.05)
    assert stored  # the question was still answered and logged


def test_mention_stripping_is_linear_on_unclosed_markup() -> None:
    """Raw event text is not bounded yet where mentions are stripped; 40,000 characters of unclosed
    "<@U1|" once took 1.6 s on the event loop."""
    import time

    from handlers.messages import strip_mentions

    assert strip_mentions("<@U0BOT> how do I rotate <@U12|alice>'s token?").strip() == "how do I rotate 's token?"
    start = time.perf_counter()
    strip_mentions(("<@U1|" * 8_000)[:40_000])
    assert time.perf_counter() - start < 0.5
