"""End-to-end: buttons (feedback, suggestion picks, onboarding interests), App Home, welcome DMs."""

from __future__ import annotations

from support.signed_client import mention_event
from sqlalchemy import text

from bot.slack import blocks as B

MAINTAINER = "UMAINT"


async def feedback_rows(app) -> list[tuple]:
    async with app.bot.service.storage.engine.connect() as connection:
        return (await connection.execute(text("SELECT question_id, faq_id, helpful FROM feedback"))).all()


async def answered_buttons(app) -> list[dict]:
    await app.event(mention_event("what are the pod security standards?"))
    [call] = await app.mock.wait_for("chat.postMessage")
    app.mock.reset()
    return [b for b in call.blocks if b["type"] == "actions"][0]["elements"]


async def test_feedback_yes_is_stored_and_thanked(slack_app) -> None:
    yes, _ = await answered_buttons(slack_app)
    status, _ = await slack_app.action(yes["action_id"], yes["value"])
    assert status == 200
    [call] = await slack_app.mock.wait_for("response_url")
    assert "Thanks" in call.all_text and call.body["response_type"] == "ephemeral"
    rows = await feedback_rows(slack_app)
    assert len(rows) == 1 and rows[0][1] == "pod-security-standards" and rows[0][2] in (True, 1)
    assert rows[0][0] == B.decode_value(yes["value"])["q"] is not None


async def test_feedback_no_is_stored_and_offers_humans(slack_app) -> None:
    _, no = await answered_buttons(slack_app)
    await slack_app.action(no["action_id"], no["value"])
    [call] = await slack_app.mock.wait_for("response_url")
    assert "#sig-security" in call.all_text and "#sig-auth" in call.all_text
    rows = await feedback_rows(slack_app)
    assert len(rows) == 1 and rows[0][2] in (False, 0)


async def test_feedback_with_garbage_value_is_harmless(slack_app) -> None:
    status, _ = await slack_app.action(B.FEEDBACK_NO, "not json")
    assert status == 200
    await slack_app.mock.wait_for("response_url")


async def test_suggestion_pick_posts_the_chosen_answer_in_the_thread(slack_app) -> None:
    await slack_app.event(mention_event("secret encryption vault", ts="1700000010.000100"))
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    first = [b for b in call.blocks if b["type"] == "actions"][0]["elements"][0]
    slack_app.mock.reset()
    await slack_app.action(first["action_id"], first["value"], message_ts="1700000011.000100",
                           thread_ts="1700000010.000100")
    [answer] = await slack_app.mock.wait_for("chat.postMessage")
    assert answer.body["thread_ts"] == "1700000010.000100"
    entry_id = B.decode_value(first["value"])["e"]
    entry = slack_app.bot.service.knowledge.entry(entry_id)
    assert entry.question in answer.all_text and B.FEEDBACK_YES in answer.all_text


async def test_suggestion_pick_in_an_ephemeral_message_replaces_it(slack_app) -> None:
    value = B.encode_value(e="secrets-encryption", q=None)
    await slack_app.action(f"{B.SUGGESTION_PREFIX}0", value, ephemeral=True)
    [call] = await slack_app.mock.wait_for("response_url")
    assert call.body["replace_original"] is True and "encrypt" in call.all_text.lower()


async def test_suggestion_pick_of_a_removed_entry_says_so(slack_app) -> None:
    await slack_app.action(f"{B.SUGGESTION_PREFIX}1", B.encode_value(e="gone-entry"))
    [call] = await slack_app.mock.wait_for("response_url")
    assert "no longer available" in call.all_text


async def test_every_onboarding_interest_button_gives_next_steps(slack_app) -> None:
    for key in B.INTERESTS:
        await slack_app.action(f"{B.ONBOARD_PREFIX}{key}", key)
        [call] = await slack_app.mock.wait_for("response_url")
        assert "http" in call.all_text and call.body["response_type"] == "ephemeral"
        assert B.validate_blocks(call.blocks) == []
        slack_app.mock.reset()


async def test_app_home_is_published_for_everyone_and_maintainers_get_the_summary(slack_app) -> None:
    await slack_app.event(mention_event("what are the pod security standards?"))
    await slack_app.mock.wait_for("chat.postMessage")
    await slack_app.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home",
                           "event_ts": "1700000000.1"})
    [call] = await slack_app.mock.wait_for("views.publish")
    assert call.body["user_id"] == "U1"
    assert "Popular questions" in call.all_text and "What are the Pod Security Standards?" in call.all_text
    assert "Maintainer summary" not in call.all_text and B.HOME_ONBOARD in call.all_text
    await slack_app.event({"type": "app_home_opened", "user": MAINTAINER, "channel": "D2", "tab": "home",
                           "event_ts": "1700000000.2"})
    calls = await slack_app.mock.wait_for("views.publish", count=2)
    assert "Maintainer summary" in calls[1].all_text
    await slack_app.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "messages",
                           "event_ts": "1700000000.3"})
    await slack_app.mock.settle(0.3)
    assert len(slack_app.mock.find("views.publish")) == 2


async def test_home_get_started_button_sends_the_welcome_dm(slack_app) -> None:
    await slack_app.action(B.HOME_ONBOARD, "home", container_type="view", response_url=None)
    await slack_app.mock.wait_for("conversations.open")
    [call] = await slack_app.mock.wait_for("chat.postMessage")
    assert "biweekly" in call.all_text


async def test_joining_the_onboard_channel_welcomes_once_ever(slack_factory) -> None:
    app = await slack_factory(ONBOARD_CHANNEL="CJOIN")
    join = {"type": "member_joined_channel", "user": "UNEW", "channel": "CJOIN", "channel_type": "C",
            "event_ts": "1700000000.4"}
    await app.event(join)
    await app.mock.wait_for("conversations.open")
    [welcome] = await app.mock.wait_for("chat.postMessage")
    assert welcome.body["channel"] == "DNEW" and "onboard_tooling" in welcome.all_text
    await app.event(dict(join, event_ts="1700000100.4"))  # left and re-joined: new event id
    await app.event(dict(join, channel="COTHER"))
    await app.mock.settle(0.4)
    assert len(app.mock.find("chat.postMessage")) == 1
