"""End-to-end over Socket Mode: the real app (Bolt's AsyncSocketModeHandler on aiohttp) against the mock's
apps.connections.open + websocket (tests/support/mock_slack.py), with a tmp SQLite store.

Envelopes are pushed down the websocket the way Slack sends them; the client's acks and its Web API
calls are what the mock records.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path
from typing import Any, AsyncIterator
from urllib.parse import parse_qsl

import aiohttp
import pytest
from support.mock_slack import (
    APP_TOKEN,
    events_api_envelope,
    interactive_envelope,
    slash_command_envelope,
)
from support.signed_client import SlackSigner, mention_event

from bot.slack import blocks as B

BOT_TOKEN = "xoxb-test-0000-token"
ANSWERABLE = "what are the pod security standards?"
signer = SlackSigner("unused-in-socket-mode")  # only its payload builders; nothing is signed here


def socket_env(mock: Any, knowledge: tuple[Path, Path], tmp_path: Path, **extra: str) -> dict[str, str]:
    """Socket Mode settings: bot + app token, no signing secret (Socket Mode needs none)."""
    folder, routing = knowledge
    return {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_URL": mock.api_url,
            "PORT": "0", "KNOWLEDGE_DIR": str(folder), "ROUTING_FILE": str(routing), "MAINTAINERS": "UMAINT",
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'socket.db'}", **extra}


@pytest.fixture
async def socket_bot(mock_slack, slack_knowledge, tmp_path) -> AsyncIterator[Any]:
    """The app started the way `run()` starts it in Socket Mode (no /slack/events, then the socket)."""
    from bot.bootstrap import SlackBot, open_service
    from bot.core.config import load_settings

    settings = load_settings(socket_env(mock_slack, slack_knowledge, tmp_path))
    assert settings.slack_mode == "socket"
    bot = SlackBot.build(settings, await open_service(settings), pace_seconds=0.0)
    handler = None
    try:
        await bot.start(host="127.0.0.1", port=0, events=False)
        auth = await bot.client.auth_test()
        bot.deps.identity.user_id, bot.deps.identity.bot_id = auth.get("user_id"), auth.get("bot_id")
        await bot.start_socket_mode()
        handler = bot.server._socket
        await mock_slack.wait_connected()
        yield bot
    finally:
        await bot.stop()
        if handler is not None and not handler.client.closed:
            # Safety net: if stop() ever leaves the socket open, the SDK's reconnect loop would keep the
            # event loop from closing (a hang, not a failure); test_stop_closes_the_socket reports it.
            await handler.close_async()


def command_form(text: str, **kwargs: Any) -> dict[str, str]:
    """A slash command's fields as Socket Mode carries them (a JSON object, not a form body)."""
    body, _ = signer.command(text, **kwargs)
    return dict(parse_qsl(body))


def action_payload(action_id: str, value: str, **kwargs: Any) -> dict[str, Any]:
    body, _ = signer.block_action(action_id, value, **kwargs)
    return json.loads(dict(parse_qsl(body))["payload"])


# --------------------------------------------------------------------------- events, commands, actions


async def test_connection_uses_the_app_token_and_gets_hello(socket_bot, mock_slack) -> None:
    [opened] = mock_slack.find("apps.connections.open")
    assert opened.headers["Authorization"] == f"Bearer {APP_TOKEN}"  # the app token, never the bot token
    assert mock_slack.socket_connects == 1 and len(mock_slack.sockets) == 1


async def test_mention_is_acked_and_answered_in_its_thread(socket_bot, mock_slack) -> None:
    body = signer.event_envelope(mention_event(ANSWERABLE, channel="C7", ts="1700000101.000100"))
    envelope_id = await mock_slack.push(events_api_envelope(body))
    ack = await mock_slack.wait_for_ack(envelope_id)
    assert ack == {"envelope_id": envelope_id}  # a plain ack: events carry no response payload
    [call] = await mock_slack.wait_for("chat.postMessage")
    assert call.body["channel"] == "C7" and call.body["thread_ts"] == "1700000101.000100"
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    assert "Pod Security Standards" in call.all_text and B.validate_blocks(call.blocks) == []


async def test_redelivered_event_is_acked_again_but_answered_once(socket_bot, mock_slack) -> None:
    body = signer.event_envelope(mention_event(ANSWERABLE, ts="1700000102.000100"), event_id="EvSOCKETDUP")
    first = await mock_slack.push(events_api_envelope(body))
    await mock_slack.wait_for_ack(first)
    await mock_slack.wait_for("chat.postMessage")
    # Slack redelivers an unacked (or slow) event in a new envelope, same event_id.
    again = await mock_slack.push(events_api_envelope(body, retry_attempt=1, retry_reason="timeout"))
    await mock_slack.wait_for_ack(again)
    await mock_slack.settle(0.3)
    assert len(mock_slack.find("chat.postMessage")) == 1


async def test_slash_command_is_acked_and_answered_privately(socket_bot, mock_slack) -> None:
    form = command_form("help", response_url=mock_slack.response_url("socket-cmd"))
    envelope_id = await mock_slack.push(slash_command_envelope(form))
    ack = await mock_slack.wait_for_ack(envelope_id)
    assert ack["envelope_id"] == envelope_id and not ack.get("payload")  # empty ack, answer comes after
    [call] = await mock_slack.wait_for("response_url")
    assert call.path.endswith("/socket-cmd") and call.body["response_type"] == "ephemeral"
    assert "SIG Security bot" in call.all_text


async def test_button_click_is_acked_and_handled(socket_bot, mock_slack) -> None:
    payload = action_payload(B.FEEDBACK_NO, "not json", response_url=mock_slack.response_url("socket-act"))
    envelope_id = await mock_slack.push(interactive_envelope(payload))
    await mock_slack.wait_for_ack(envelope_id)
    [call] = await mock_slack.wait_for("response_url")
    assert call.path.endswith("/socket-act")


async def test_only_healthz_is_served_over_http(socket_bot) -> None:
    base = f"http://127.0.0.1:{socket_bot.port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(base + "/healthz") as response:
            assert response.status == 200 and (await response.json())["ok"] is True
        body, headers = signer.event(mention_event(ANSWERABLE))
        async with session.post(base + "/slack/events", data=body, headers=headers) as response:
            assert response.status == 404


async def test_stop_closes_the_socket(socket_bot, mock_slack) -> None:
    await socket_bot.stop()
    deadline = time.monotonic() + 3
    while mock_slack.sockets and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    assert mock_slack.sockets == []
    await mock_slack.settle(0.2)
    assert mock_slack.socket_connects == 1  # closed for good, no reconnect


# --------------------------------------------------------------------------- run()


def plain_lines(text: str) -> list[str]:
    """stderr without the JSON log lines: what a person reads."""
    return [line for line in text.strip().splitlines() if line and not line.startswith("{")]


async def test_run_exits_with_one_line_when_the_app_token_is_refused(mock_slack, slack_knowledge, tmp_path,
                                                                   capsys) -> None:
    from bot.bootstrap import run
    from bot.core.config import load_settings

    env = socket_env(mock_slack, slack_knowledge, tmp_path, SLACK_APP_TOKEN="xapp-1-A0001-9999-revoked")
    code = await asyncio.wait_for(run(load_settings(env)), timeout=4)  # the SDK alone would retry forever
    err = capsys.readouterr().err
    assert code == 1
    assert plain_lines(err) == ["sigsec-bot: cannot start: Slack rejected SLACK_APP_TOKEN (invalid_auth)"]
    assert "Traceback" not in err and "9999-revoked" not in err
    assert mock_slack.socket_connects == 0 and len(mock_slack.find("apps.connections.open")) == 1


async def test_run_serves_socket_mode_until_sigterm(mock_slack, slack_knowledge, tmp_path, capsys) -> None:
    from bot.bootstrap import run
    from bot.core.config import load_settings

    before = signal.getsignal(signal.SIGTERM)
    task = asyncio.create_task(run(load_settings(socket_env(mock_slack, slack_knowledge, tmp_path))))
    try:
        await mock_slack.wait_connected()
        body = signer.event_envelope(mention_event(ANSWERABLE, channel="C8", ts="1700000103.000100"))
        await mock_slack.wait_for_ack(await mock_slack.push(events_api_envelope(body)))
        [call] = await mock_slack.wait_for("chat.postMessage")
        assert call.body["thread_ts"] == "1700000103.000100"
        deadline = time.monotonic() + 3  # SIGTERM only once run() handles it (else it would kill pytest)
        while signal.getsignal(signal.SIGTERM) == before:
            assert time.monotonic() < deadline and not task.done(), "run() never installed its SIGTERM handler"
            await asyncio.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(task, timeout=4) == 0
    finally:
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    assert mock_slack.sockets == []
    assert plain_lines(capsys.readouterr().err) == []
