"""End-to-end: buttons (feedback, suggestion picks, onboarding interests), App Home, welcome DMs."""

from __future__ import annotations

import asyncio
import json
import time

from support.signed_client import mention_event
from support.waiting import inbox_worked
from sqlalchemy import text

from bot.slack import blocks as B

MAINTAINER = "UMAINT"


async def feedback_rows(app) -> list[tuple]:
    async with app.bot.service.storage.engine.connect() as connection:
        return (await connection.execute(text("SELECT question_id, faq_id, helpful FROM feedback"))).all()


async def questions_logged(app, count: int) -> None:
    """The question log is written just after the reply goes out: wait for it (bounded)."""
    for _ in range(100):
        async with app.bot.service.storage.engine.connect() as connection:
            if (await connection.execute(text("SELECT count(*) FROM questions"))).scalar() >= count:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} question(s) not logged")


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
    # The button names the question by the reference its log row was written under after the reply.
    ref = B.decode_value(yes["value"])["q"]
    async with slack_app.bot.service.storage.engine.connect() as connection:
        [(question_id,)] = (await connection.execute(text("SELECT id FROM questions WHERE ref = :r"), {"r": ref})).all()
    assert isinstance(ref, str) and rows[0][0] == question_id


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
    await questions_logged(slack_app, 1)
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
    await inbox_worked(slack_app)
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
    await inbox_worked(app)
    assert len(app.mock.find("chat.postMessage")) == 1


def view_submission(app, view: dict, *, user: str = "U1", reason: str | None, comment: str | None) -> tuple:
    """A signed view_submission of the feedback modal as Slack sends it."""
    import json
    from urllib.parse import urlencode

    values = {B.REASON_BLOCK: {B.REASON_ACTION: {"type": "radio_buttons", "selected_option":
                                                 {"value": reason} if reason else None}},
              B.COMMENT_BLOCK: {B.COMMENT_ACTION: {"type": "plain_text_input", "value": comment}}}
    payload = {"type": "view_submission", "team": {"id": "T0001", "domain": "test"},
               "user": {"id": user, "username": "someone", "team_id": "T0001"}, "api_app_id": "A0001",
               "token": "legacy-unused", "trigger_id": f"{time.time()}.submit",
               "view": {**view, "id": "VMODAL", "hash": "h1", "state": {"values": values}}}
    body = urlencode({"payload": json.dumps(payload)})
    return body, app.signer.headers(body, content_type="application/x-www-form-urlencoded")


async def reason_rows(app) -> list[tuple]:
    async with app.bot.service.storage.engine.connect() as connection:
        return (await connection.execute(text("SELECT helpful, reason, comment FROM feedback"))).all()


async def test_not_helpful_opens_the_reasons_modal_and_the_reason_reaches_the_report(slack_app) -> None:
    import random

    from support.fake_credentials import make_credential

    _, no = await answered_buttons(slack_app)
    await slack_app.action(no["action_id"], no["value"])
    [opened] = await slack_app.mock.wait_for("views.open")
    view = json.loads(opened.body["view"]) if isinstance(opened.body["view"], str) else opened.body["view"]
    assert view["callback_id"] == B.FEEDBACK_REASON_VIEW and opened.body["trigger_id"]
    await slack_app.mock.wait_for("response_url")  # the vote is thanked as before
    assert [r[0] in (False, 0) for r in await reason_rows(slack_app)] == [True]

    status, body = await slack_app.send(*view_submission(slack_app, view, reason=None, comment=None))
    assert status == 200 and "errors" in body  # a reason is required

    credential = make_credential("github_token", random.Random(13))
    token = credential.secrets[0]
    status, _ = await slack_app.send(*view_submission(
        slack_app, view, reason="outdated", comment=f"see *this* <!channel> {credential.snippet} " + "x" * 900))
    assert status == 200
    for _ in range(100):
        rows = await reason_rows(slack_app)
        if rows and rows[0][1]:
            break
        await asyncio.sleep(0.05)
    [(helpful, reason, comment)] = rows  # still one vote for this person
    assert helpful in (False, 0) and reason == "outdated"
    assert token not in comment and len(comment) <= B.COMMENT_LIMIT

    report = await slack_app.bot.service.report(days=1)
    assert "outdated" in report.lower() and token not in report


async def test_click_stored_before_the_ack_is_answered_after_a_restart(slack_factory, tmp_path) -> None:
    """A click whose work was lost with its process (the inbox row is left pending) is answered by the next."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'restart.db'}"
    first = await slack_factory(database_url=database)
    _, no = await answered_buttons(first)
    await first.bot.deps.worker.stop(grace=0)  # this process works nothing more
    await first.action(no["action_id"], no["value"])
    await first.command("ask what are the pod security standards?")
    await first.mock.settle(0.3)  # nothing works the inbox here: its rows stay pending for the next process
    assert first.mock.find("response_url") == []
    await first.bot.stop()
    second = await slack_factory(database_url=database)
    calls = await second.mock.wait_for("response_url", count=2)
    assert sorted(c.path.rsplit("/", 1)[-1] for c in calls) == ["act", "cmd"]
    await inbox_worked(second)
    assert len(second.mock.find("response_url")) == 2
    assert len(await feedback_rows(second)) == 1


async def test_a_vote_on_a_question_not_logged_yet_is_retried_then_reported(slack_app) -> None:
    """A click can outrun the log row of its reply (written after the reply): the inbox tries it again, and
    says so when the question never appears."""
    await slack_app.action(B.FEEDBACK_YES, B.encode_value(q="EvNever#0", f="pod-security-standards"))
    [call] = await slack_app.mock.wait_for("response_url", timeout=15)
    assert "couldn't record" in call.all_text
    for _ in range(100):  # marked done just after the answer went out
        async with slack_app.bot.service.storage.engine.connect() as connection:
            [(attempts, state)] = (await connection.execute(text("SELECT attempts, state FROM inbox"))).all()
        if state == "done":
            break
        await asyncio.sleep(0.05)
    assert attempts == 3 and state == "done" and await feedback_rows(slack_app) == []


def test_a_reason_comment_is_redacted_with_its_lines_before_it_is_flattened() -> None:
    from handlers.actions import stored_comment

    manifest = ("wrong answer, here is my secret:\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n"
                "data:\n  username: YWRtaW4=\n  password: MWYyZDFlMmU2N2Rm\n")
    stored = stored_comment(manifest)
    assert stored is not None and "\n" not in stored and len(stored) <= B.COMMENT_LIMIT
    assert "YWRtaW4=" not in stored and "MWYyZDFlMmU2N2Rm" not in stored
    assert stored.startswith("wrong answer, here is my secret:")
    assert stored_comment("   ") is None and stored_comment(None) is None
