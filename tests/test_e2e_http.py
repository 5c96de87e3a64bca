"""End-to-end over HTTP: request verification, url_verification, health, rate-limit retries."""

from __future__ import annotations

import json
import time

from support.signed_client import mention_event, sign

from bot.slack import blocks as B


async def test_url_verification_echoes_challenge(slack_app) -> None:
    status, body = await slack_app.send(*slack_app.signer.url_verification("xyz-challenge"))
    assert status == 200
    assert json.loads(body)["challenge"] == "xyz-challenge"


async def test_invalid_signature_is_401_and_does_nothing(slack_app) -> None:
    body, headers = slack_app.signer.event(mention_event("what are the pod security standards?"))
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    status, _ = await slack_app.send(body, headers)
    assert status == 401
    body, headers = slack_app.signer.event(mention_event("what are the pod security standards?"))
    status, _ = await slack_app.send(body + " ", headers)  # body changed after signing
    assert status == 401
    await slack_app.mock.settle(0.2)
    assert slack_app.mock.posts() == []


async def test_stale_timestamp_is_401(slack_app) -> None:
    old = int(time.time()) - 10 * 60
    status, _ = await slack_app.send(*slack_app.signer.event(mention_event("rbac?"), timestamp=old))
    assert status == 401


async def test_missing_headers_is_401(slack_app) -> None:
    body, _ = slack_app.signer.event(mention_event("rbac?"))
    status, _ = await slack_app.send(body, {"Content-Type": "application/json"})
    assert status == 401


async def test_signature_helper_matches_slack_example() -> None:
    # Slack's documented example (docs: verifying requests from Slack).
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    body = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
            "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
            "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&"
            "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert sign(secret, "1531420618", body) == \
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


async def test_readyz_200_when_knowledge_and_database_are_up(slack_app) -> None:
    status, body = await slack_app.get("/readyz")
    assert status == 200
    data = json.loads(body)
    assert data["ok"] is True and data["database"] == {"writable": True} and data["knowledge_entries"] > 0
    assert "socket_mode" not in data  # HTTP mode: no connection to report


async def test_database_down_is_not_ready_but_still_alive(slack_app) -> None:
    async def down(*_args, **_kwargs) -> str:
        return "OperationalError"

    slack_app.bot.service.storage.probe_write = down
    status, body = await slack_app.get("/readyz")
    assert status == 503
    data = json.loads(body)
    assert data["database"] == {"writable": False, "error": "OperationalError"} and data["failed"] == ["database"]
    # Liveness is the process only: restarting it would not bring the database back.
    status, body = await slack_app.get("/healthz")
    assert status == 200 and json.loads(body) == {"ok": True, "closing": False}


async def test_rate_limited_post_is_retried_after_retry_after(slack_app) -> None:
    mock = slack_app.mock
    await slack_app.get("/healthz")
    # Warm up auth.test first so the 429 hits chat.postMessage.
    status, _ = await slack_app.event(mention_event("what are the pod security standards?"))
    assert status == 200
    await mock.wait_for("chat.postMessage", count=1)
    mock.reset()
    mock.rate_limit(1, retry_after=1)
    started = time.monotonic()
    status, _ = await slack_app.event(mention_event("how do I set up rbac with least privilege?"))
    assert status == 200
    calls = await mock.wait_for("chat.postMessage", count=2, timeout=6)
    assert time.monotonic() - started >= 0.9  # honoured Retry-After
    assert calls[0].body == calls[1].body  # same message re-sent, once accepted
    assert len(mock.find("chat.postMessage")) == 2


async def test_failed_web_api_call_is_logged_not_fatal(slack_app) -> None:
    mock = slack_app.mock
    mock.fail_next["chat.postMessage"] = "channel_not_found"
    status, _ = await slack_app.event(mention_event("what are the pod security standards?"))
    assert status == 200
    await mock.wait_for("chat.postMessage", count=1)
    status, _ = await slack_app.event(mention_event("how do I set up rbac with least privilege?"))
    await mock.wait_for("chat.postMessage", count=2)
    assert (await slack_app.get("/healthz"))[0] == 200


async def test_pacing_spaces_replies_to_one_channel(slack_factory) -> None:
    app = await slack_factory(pace_seconds=0.5)
    for question in ("what are the pod security standards?", "how do I set up rbac with least privilege?",
                     "how do I encrypt secrets?"):
        await app.event(mention_event(question, channel="CPACE"))
    await app.event(mention_event("what are the pod security standards?", channel="COTHER"))
    calls = await app.mock.wait_for("chat.postMessage", count=4, timeout=5)
    paced = [c.at for c in calls if c.body["channel"] == "CPACE"]
    assert all(b - a >= 0.45 for a, b in zip(paced, paced[1:]))
    other = [c.at for c in calls if c.body["channel"] == "COTHER"][0]
    assert other - paced[0] < 0.45  # other channels are not held up


async def test_shutdown_waits_for_in_flight_work(slack_factory) -> None:
    app = await slack_factory()
    app.mock.rate_limit(1, retry_after=1)  # the reply will take ~1 s
    status, _ = await app.event(mention_event("what are the pod security standards?"))
    assert status == 200
    await app.bot.stop()  # must wait for the reply, not drop it
    assert [c for c in app.mock.find("chat.postMessage")][-1].body["channel"] == "C1"
    assert B.FEEDBACK_YES in app.mock.find("chat.postMessage")[-1].all_text


def plain_lines(text: str) -> list[str]:
    """stderr without the JSON log lines: what a person reads."""
    return [line for line in text.strip().splitlines() if line and not line.startswith("{")]


async def test_startup_errors_are_one_clear_line(mock_slack, slack_knowledge, tmp_path, capsys) -> None:
    from bot.bootstrap import run
    from bot.core.config import load_settings

    folder, routing = slack_knowledge
    env = {"SLACK_BOT_TOKEN": "xoxb-test-0000-token", "SLACK_SIGNING_SECRET": "s", "PORT": "0",
           "SLACK_API_URL": mock_slack.api_url, "KNOWLEDGE_DIR": str(folder), "ROUTING_FILE": str(routing),
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"}
    mock_slack.fail_next["auth.test"] = "invalid_auth"
    assert await run(load_settings(env)) == 1
    err = plain_lines(capsys.readouterr().err)
    assert err == ["sigsec-bot: cannot start: Slack rejected SLACK_BOT_TOKEN (invalid_auth)"]

    (folder / "faq.yaml").write_text("entries: [oops\n")
    assert await run(load_settings(env)) == 1
    err = plain_lines(capsys.readouterr().err)
    assert len(err) == 1 and "knowledge has 1 problem(s)" in err[0] and "Traceback" not in err[0]

    bad_db = dict(env, DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x' / 'run.db'}")
    assert await run(load_settings(bad_db)) == 1
    err = plain_lines(capsys.readouterr().err)
    assert len(err) == 1 and "database" in err[0]


async def test_no_spurious_client_token_warning_at_start(monkeypatch, caplog) -> None:
    """Bolt reads SLACK_BOT_TOKEN from the environment even when given a client, then warns that this
    token is unused; ours carries the same token, so the warning is noise and is dropped (only it)."""
    import logging

    from slack_sdk.web.async_client import AsyncWebClient

    from bot.core.config import load_settings
    from bot.slack.app import BOLT_LOGGER, make_bolt_app

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test-0000-token")
    caplog.set_level(logging.INFO)
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-test-0000-token", "SLACK_SIGNING_SECRET": "s"})
    make_bolt_app(settings, AsyncWebClient(token=settings.bot_token), lambda app: None)
    assert [r.getMessage() for r in caplog.records if "unused" in r.getMessage()] == []
    logging.getLogger(BOLT_LOGGER).warning("another warning")
    assert "another warning" in caplog.text


async def test_server_binds_the_host_setting(mock_slack, slack_knowledge, tmp_path) -> None:
    import aiohttp

    from bot.bootstrap import SlackBot, open_service
    from bot.core.config import load_settings

    folder, routing = slack_knowledge
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-test-0000-token", "SLACK_SIGNING_SECRET": "s", "PORT": "0",
                              "HOST": "127.0.0.2", "SLACK_API_URL": mock_slack.api_url, "KNOWLEDGE_DIR": str(folder),
                              "ROUTING_FILE": str(routing),
                              "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'host.db'}"})
    bot = SlackBot.build(settings, await open_service(settings), pace_seconds=0.0)
    try:
        port = await bot.start()  # HOST and PORT from the settings
        assert bot.server._site._server.sockets[0].getsockname()[0] == "127.0.0.2"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.2:{port}/healthz") as response:
                assert response.status == 200
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    raise AssertionError(f"also reachable on 127.0.0.1 ({response.status})")
            except aiohttp.ClientConnectionError:
                pass  # refused: bound to 127.0.0.2 only
    finally:
        await bot.stop()
