"""End-to-end: every /sigsec subcommand, acked at once, answered privately through response_url."""

from __future__ import annotations

import time

from support.waiting import inbox_worked

from bot.slack import blocks as B

MAINTAINER = "UMAINT"  # conftest: SLACK_MAINTAINER


async def run(app, text: str, *, user: str = "U1"):
    started = time.monotonic()
    status, body = await app.command(text, user_id=user)
    assert status == 200 and time.monotonic() - started < 3.0  # the ack
    [call] = await app.mock.wait_for("response_url", timeout=5)
    assert call.body["response_type"] == "ephemeral"
    assert B.validate_blocks(call.blocks) == []
    app.mock.reset()
    return call


async def test_ask_answers_privately(slack_app) -> None:
    call = await run(slack_app, "ask what are the pod security standards?")
    assert "Pod Security Standards" in call.all_text and B.FEEDBACK_YES in call.all_text
    assert slack_app.mock.find("chat.postMessage") == []


async def test_ask_without_question_explains(slack_app) -> None:
    call = await run(slack_app, "ask")
    assert "/sigsec ask" in call.all_text


async def test_onboard_shows_the_welcome(slack_app) -> None:
    call = await run(slack_app, "onboard")
    assert "biweekly" in call.all_text and "onboard_docs" in call.all_text


async def test_help_and_empty_and_unknown_subcommands_show_help(slack_app) -> None:
    for text in ("help", "", "frobnicate"):
        call = await run(slack_app, text)
        assert "/sigsec ask" in call.all_text
        assert "/sigsec report" not in call.all_text  # not a maintainer
    call = await run(slack_app, "frobnicate <!channel>")
    assert "frobnicate" in call.all_text and "<!channel>" not in call.all_text


async def test_maintainer_help_lists_maintainer_commands(slack_app) -> None:
    call = await run(slack_app, "help", user=MAINTAINER)
    assert "/sigsec report" in call.all_text and "/sigsec reload" in call.all_text


async def test_report_for_maintainers_only(slack_app) -> None:
    await run(slack_app, "ask what is the weather in paris")
    call = await run(slack_app, "report 7", user=MAINTAINER)
    assert "Question report (last 7 days)" in call.all_text
    refused = await run(slack_app, "report", user="U1")
    assert "for SIG Security bot maintainers" in refused.all_text
    bad = await run(slack_app, "report lots", user=MAINTAINER)
    assert "whole number" in bad.all_text


async def test_reload_good_and_broken(slack_app) -> None:
    refused = await run(slack_app, "reload", user="U1")
    assert "maintainers" in refused.all_text
    ok = await run(slack_app, "reload", user=MAINTAINER)
    assert "Knowledge reloaded" in ok.all_text
    faq = slack_app.knowledge_dir / "faq.yaml"
    good = faq.read_text()
    faq.write_text(good + "  - id: Broken Entry\n    question: [unclosed\n")
    broken = await run(slack_app, "reload", user=MAINTAINER)
    assert "Reload failed" in broken.all_text and "faq.yaml" in broken.all_text
    # the old knowledge still answers
    call = await run(slack_app, "ask what are the pod security standards?")
    assert "Pod Security Standards" in call.all_text


async def test_cve_subcommand_answers_from_the_advisor_and_explains_bad_input(slack_factory) -> None:
    from pathlib import Path

    fixture = Path(__file__).parent / "data" / "cve-fixture.json"
    app = await slack_factory(CVE_DATA=str(fixture))
    text = (await run(app, "cve CVE-2099-0001 1.29.3 kubelet")).all_text
    assert "CVE-2099-0001" in text and "1.29.7" in text  # the fixed version for that minor
    assert "CVE-YYYY-NNNN" in (await run(app, "cve CVE-20-1")).all_text  # says what an id looks like
    assert "Usage" in (await run(app, "cve")).all_text
    plain = await slack_factory()  # no CVE_DATA: says so
    assert "not set up" in (await run(plain, "cve CVE-2099-0001")).all_text


async def test_an_expired_response_url_falls_back_to_an_ephemeral_message(slack_app) -> None:
    slack_app.mock.expired_urls.add("cmd")  # Slack answers 404 expired_url
    status, _ = await slack_app.command("ask what are the pod security standards?", user_id="ULATE", channel_id="C7")
    assert status == 200
    [ephemeral] = await slack_app.mock.wait_for("chat.postEphemeral")
    assert ephemeral.body["user"] == "ULATE" and ephemeral.body["channel"] == "C7"
    assert "Pod Security Standards" in ephemeral.all_text
    assert len(slack_app.mock.find("response_url")) == 1  # tried once, then the fallback


async def test_a_command_is_stored_redacted_before_the_ack(slack_app) -> None:
    import random

    from support.fake_credentials import make_credential
    from sqlalchemy import text

    credential = make_credential("github_token", random.Random(5))
    await slack_app.command(f"ask is this leaked {credential.snippet} how do I rotate it?")
    await slack_app.mock.wait_for("response_url")
    async with slack_app.bot.service.storage.engine.connect() as connection:
        [(kind, payload)] = (await connection.execute(text("SELECT kind, payload FROM inbox"))).all()
    assert kind == "command" and credential.secrets[0] not in payload and "response_url" in payload


async def test_without_storage_commands_and_clicks_are_answered_directly(mock_slack, slack_knowledge) -> None:
    import aiohttp
    from conftest import SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SlackHarness
    from support.signed_client import SlackSigner

    from bot.bootstrap import SlackBot, open_service
    from bot.core.config import load_settings

    folder, routing = slack_knowledge
    settings = load_settings({"SLACK_BOT_TOKEN": SLACK_BOT_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
                              "SLACK_API_URL": mock_slack.api_url, "PORT": "0", "KNOWLEDGE_DIR": str(folder),
                              "ROUTING_FILE": str(routing)})
    bot = SlackBot.build(settings, await open_service(settings, with_storage=False), pace_seconds=0)
    await bot.start(host="127.0.0.1", port=0)
    async with aiohttp.ClientSession() as session:
        app = SlackHarness(bot, mock_slack, SlackSigner(SLACK_SIGNING_SECRET), session, folder, routing)
        try:
            assert bot.deps.inbox is None
            call = await run(app, "ask what are the pod security standards?")
            assert "Pod Security Standards" in call.all_text
            await app.action(f"{B.ONBOARD_PREFIX}docs", "docs")
            [click] = await app.mock.wait_for("response_url")
            assert "http" in click.all_text
            await app.action(B.FEEDBACK_NO, B.encode_value(q=None, f="pod-security-standards"))
            await app.mock.wait_for("response_url", count=2)
            assert app.mock.find("views.open") == []  # no storage to keep a reason in
        finally:
            await bot.stop()


async def test_a_command_the_inbox_cannot_store_gets_no_2xx(slack_app) -> None:
    async def refuse(*args, **kwargs):
        raise OSError("disk full")

    slack_app.bot.deps.inbox.enqueue = refuse
    status, _ = await slack_app.command("ask what are the pod security standards?")
    assert status == 503  # not accepted: Slack tells the user it failed, nothing is promised
    await inbox_worked(slack_app)
    assert slack_app.mock.find("response_url") == []
