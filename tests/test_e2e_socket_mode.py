"""End-to-end over Socket Mode: the real app (Bolt's AsyncSocketModeHandler on aiohttp) against the mock's
apps.connections.open + websocket (tests/support/mock_slack.py), with a tmp SQLite store.

Envelopes are pushed down the websocket the way Slack sends them; the client's acks and its Web API
calls are what the mock records.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
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


@contextlib.asynccontextmanager
async def started_socket_bot(mock: Any, knowledge: tuple[Path, Path], tmp_path: Path,
                             **options: Any) -> AsyncIterator[Any]:
    """The app started the way `run()` starts it in Socket Mode (no /slack/events, then the socket).

    `options` go to the SocketModeConnection (ping interval, staleness, backoff).
    """
    from bot.bootstrap import SlackBot, open_service
    from bot.core.config import load_settings

    settings = load_settings(socket_env(mock, knowledge, tmp_path))
    assert settings.slack_mode == "socket"
    bot = SlackBot.build(settings, await open_service(settings), pace_seconds=0.0)
    connection = None
    try:
        await bot.start(host="127.0.0.1", port=0, events=False)
        auth = await bot.client.auth_test()
        bot.deps.identity.user_id, bot.deps.identity.bot_id = auth.get("user_id"), auth.get("bot_id")
        await bot.start_socket_mode(**options)
        connection = bot.server.socket_mode
        await mock.wait_connected()
        yield bot
    finally:
        await bot.stop()
        if connection is not None and not connection.client.closed:
            # Safety net: if stop() ever leaves the socket open, its tasks would keep the event loop
            # from closing (a hang, not a failure); test_stop_closes_the_socket reports it.
            await connection.close()


@pytest.fixture
async def socket_bot(mock_slack, slack_knowledge, tmp_path) -> AsyncIterator[Any]:
    """The app in Socket Mode with the production connection settings."""
    async with started_socket_bot(mock_slack, slack_knowledge, tmp_path) as bot:
        yield bot


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


async def test_only_probes_and_metrics_are_served_over_http(socket_bot) -> None:
    base = f"http://127.0.0.1:{socket_bot.port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(base + "/healthz") as response:
            assert response.status == 200 and (await response.json())["ok"] is True
        async with session.get(base + "/readyz") as response:
            assert response.status == 200 and (await response.json())["socket_mode"]["connected"] is True
        async with session.get(base + "/metrics") as response:
            assert response.status == 200 and "sigsec_socket_mode_connected 1.0" in await response.text()
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


# --------------------------------------------------------------------------- outages, readiness, metrics
# Readiness (/readyz) must turn false within 10 s of the connection going away, stay false while it is
# down, and come back once the supervisor (bot/slack/socket_mode.py) reconnected, with capped
# backoff and one log line per attempt, never a traceback.

FAST = {"backoff_initial": 0.2, "backoff_cap": 0.8}  # the production values are 1 s and 30 s


async def probe(bot: Any, path: str = "/readyz") -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{bot.port}{path}") as response:
            body = await response.text()
            return response.status, json.loads(body) if path != "/metrics" else body


async def until(check: Any, *, timeout: float, what: str) -> float:
    """Poll the async `check()` every 0.1 s until it is true; seconds it took (AssertionError at the deadline)."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


async def not_ready(bot: Any) -> bool:
    return (await probe(bot))[0] == 503


async def ready(bot: Any) -> bool:
    return (await probe(bot))[0] == 200


def metric(bot: Any, name: str) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = bot.metrics.exposition().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    raise AssertionError(f"{name} not exposed")


def no_tracebacks(records: list[logging.LogRecord]) -> None:
    traced = [f"{r.name}: {r.getMessage()}" for r in records if r.exc_info or "Traceback" in r.getMessage()]
    assert traced == []


async def test_readyz_reports_the_connection(socket_bot) -> None:
    status, body = await probe(socket_bot)
    assert status == 200 and body["ok"] is True
    assert body["socket_mode"]["connected"] is True and body["socket_mode"]["pong_age_seconds"] < 9
    assert metric(socket_bot, "sigsec_socket_mode_connected") == 1


async def test_dropped_connection_flips_readiness_and_reconnects_with_backoff(mock_slack, slack_knowledge, tmp_path,
                                                                             caplog) -> None:
    caplog.set_level(logging.INFO)
    async with started_socket_bot(mock_slack, slack_knowledge, tmp_path, **FAST) as bot:
        assert await ready(bot)
        mock_slack.refuse_sockets = True  # Slack's edge is down: every reconnection attempt fails
        await mock_slack.drop_sockets()
        assert await until(lambda: not_ready(bot), timeout=10, what="readiness false after the drop") < 10
        status, body = await probe(bot)
        assert body["failed"] == ["socket_mode"] and body["socket_mode"]["connected"] is False
        assert metric(bot, "sigsec_socket_mode_connected") == 0
        # Still alive: a restart would not bring Slack back.
        assert (await probe(bot, "/healthz"))[0] == 200

        await until(lambda: asyncio.sleep(0, len(mock_slack.refused_at) >= 5), timeout=10, what="5 refused attempts")
        assert await not_ready(bot)  # false for as long as it is down
        gaps = [b - a for a, b in zip(mock_slack.refused_at, mock_slack.refused_at[1:])]
        assert gaps[0] < gaps[2]  # backing off: 0.2, 0.4, 0.8 (+-20 %) ...
        assert all(gap < 0.8 * 1.2 + 0.5 for gap in gaps)  # ... and capped

        mock_slack.refuse_sockets = False
        await until(lambda: ready(bot), timeout=10, what="readiness back after reconnecting")
        assert metric(bot, "sigsec_socket_mode_connected") == 1
        assert metric(bot, "sigsec_socket_mode_reconnects_total") == 1
        # Events flow over the new connection.
        body = signer.event_envelope(mention_event(ANSWERABLE, channel="C9", ts="1700000104.000100"))
        await mock_slack.wait_for_ack(await mock_slack.push(events_api_envelope(body)))
        await mock_slack.wait_for("chat.postMessage", channel="C9")

    no_tracebacks(caplog.records)
    events = [getattr(r, "event", None) for r in caplog.records]
    assert events.count("socket_mode_disconnected") == 1 and events.count("socket_mode_reconnected") == 1
    # One line per failed attempt, nothing more from anyone at warning level.
    failed = events.count("socket_mode_reconnect_failed")
    assert failed == len(mock_slack.refused_at)
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(loud) <= failed + 2, [r.getMessage() for r in loud]


async def test_silent_connection_flips_readiness_within_10_s(mock_slack, slack_knowledge, tmp_path, caplog) -> None:
    """Pongs stop (a half-open link: no close frame ever arrives). Production ping/staleness settings."""
    caplog.set_level(logging.INFO)
    async with started_socket_bot(mock_slack, slack_knowledge, tmp_path, **FAST) as bot:
        assert await ready(bot)
        mock_slack.answer_pings = False
        mock_slack.refuse_sockets = True
        took = await until(lambda: not_ready(bot), timeout=10, what="readiness false after pongs stopped")
        assert took < 10, took
        mock_slack.answer_pings = True
        mock_slack.refuse_sockets = False
        await until(lambda: ready(bot), timeout=10, what="readiness back")
    no_tracebacks(caplog.records)


async def test_slack_refresh_request_reconnects_at_once(socket_bot, mock_slack) -> None:
    """Slack sends `disconnect` (refresh_requested) before retiring a connection: a new one is opened."""
    await mock_slack.sockets[-1].send_json({"type": "disconnect", "reason": "refresh_requested",
                                            "debug_info": {"host": "applink-mock"}})
    await mock_slack.wait_connected(connects=2, timeout=5)
    await until(lambda: ready(socket_bot), timeout=5, what="ready on the new connection")
    assert len(mock_slack.find("apps.connections.open")) == 2  # a fresh URL for the new connection
    body = signer.event_envelope(mention_event(ANSWERABLE, channel="C10", ts="1700000105.000100"))
    await mock_slack.wait_for_ack(await mock_slack.push(events_api_envelope(body)))
    await mock_slack.wait_for("chat.postMessage", channel="C10")


async def test_not_ready_before_the_connection_is_opened(mock_slack, slack_knowledge, tmp_path) -> None:
    """run() serves HTTP (probes) before it connects: readiness must wait for the connection."""
    from bot.bootstrap import SlackBot, open_service
    from bot.core.config import load_settings

    settings = load_settings(socket_env(mock_slack, slack_knowledge, tmp_path))
    bot = SlackBot.build(settings, await open_service(settings), pace_seconds=0.0)
    try:
        await bot.start(host="127.0.0.1", port=0, events=False)
        status, body = await probe(bot)
        assert status == 503 and body["failed"] == ["socket_mode"]
        await bot.start_socket_mode()
        assert (await probe(bot))[0] == 200
    finally:
        await bot.stop()
