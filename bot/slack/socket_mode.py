"""The Socket Mode connection, kept up by us rather than by the SDK's reconnect loop.

What slack_sdk's aiohttp `SocketModeClient` does on its own when the websocket drops: its monitor
and receiver tasks call `connect_to_new_endpoint()`, whose `connect()` retries `ws_connect` on one
(possibly expired) URL every `ping_interval` seconds forever, logging a full traceback each time
(`logger.exception("Failed to connect ...; Retrying...")`), while a failed `apps.connections.open`
is logged and retried by the monitor on every tick. There is no backoff, nothing tells the rest of
the app that the connection is down, and the log fills with tracebacks.

So here the SDK client keeps only its reading, pinging and envelope dispatch, with its automatic
reconnection off, and `connect()` made a single attempt that raises. `SocketModeConnection`
supervises: it notices a closed socket at once and a silent one by its pongs (none for
`stale_after` seconds), says so in one log line, and reconnects (fresh `apps.connections.open`, then
the websocket) with capped exponential backoff and jitter, one log line per failed attempt and no
traceback. Slack's own `disconnect` envelopes (connection refresh) reconnect at once.
`healthy()` is what /readyz and `sigsec_socket_mode_connected` report.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any, Callable

import aiohttp
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient

from bot.logs import log_event
from bot.metrics import Metrics

log = logging.getLogger("sigsec.socket_mode")

PING_INTERVAL = 3.0  # seconds between the client's pings (each answered by a pong)
STALE_AFTER = 9.0  # no pong for this long: the connection is treated as down (readiness flips < 10 s)
BACKOFF_INITIAL = 1.0
BACKOFF_CAP = 30.0
CHECK_INTERVAL = 0.5
CONNECT_TIMEOUT = 15.0


class _SingleAttemptClient(SocketModeClient):
    """The SDK client without its own reconnection: `connect()` tries once and raises on failure."""

    def __init__(self, *args: Any, on_refresh: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, auto_reconnect_enabled=False, **kwargs)
        self._on_refresh = on_refresh
        self.connected_at: float | None = None  # time.time() of the current websocket's opening

    async def connect(self) -> None:
        old = self.current_session
        if old is not None and not old.closed:
            try:
                await old.close()
            except Exception:  # noqa: BLE001 - a broken socket may fail to close; it is abandoned anyway
                pass
        if self.aiohttp_client_session.closed:
            self.aiohttp_client_session = aiohttp.ClientSession()
        if self.wss_uri is None:
            self.wss_uri = await self.issue_new_wss_url()
        uri, self.wss_uri = self.wss_uri, None  # a URL is good for one connection
        session = await self.aiohttp_client_session.ws_connect(
            uri, autoping=False, heartbeat=self.ping_interval, proxy=self.proxy,
            ssl=self.web_client.ssl if self.web_client.ssl is not None else True)
        self.current_session = session
        self.stale = False
        self.last_ping_pong_time = None
        self.connected_at = time.time()
        await session.ping(f"sdk-ping-pong:{time.time()}".encode("utf-8"))
        for task in (self.current_session_monitor, self.message_receiver):
            if task is not None:
                task.cancel()
        self.current_session_monitor = asyncio.ensure_future(self.monitor_current_session())
        self.message_receiver = asyncio.ensure_future(self.receive_messages())

    async def connect_to_new_endpoint(self, force: bool = False) -> None:
        """Slack asked for a new connection (`disconnect` envelope): the supervisor does it."""
        self._on_refresh()


class _Handler(AsyncSocketModeHandler):
    """Bolt's aiohttp Socket Mode handler on our client (it only dispatches envelopes to Bolt)."""

    def __init__(self, app: AsyncApp, client: _SingleAttemptClient) -> None:  # noqa: D107 - no super().__init__
        self.app = app
        self.app_token = client.app_token
        self.client = client
        client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]


class SocketModeConnection:
    """One supervised Socket Mode connection: `start()` (raises if the first attempt fails), `close()`."""

    def __init__(self, bolt: AsyncApp, app_token: str, *, metrics: Metrics | None = None,
                 ping_interval: float = PING_INTERVAL, stale_after: float = STALE_AFTER,
                 backoff_initial: float = BACKOFF_INITIAL, backoff_cap: float = BACKOFF_CAP) -> None:
        self.bolt = bolt
        self.app_token = app_token
        self.metrics = metrics
        self.ping_interval = ping_interval
        self.stale_after = stale_after
        self.backoff_initial = backoff_initial
        self.backoff_cap = backoff_cap
        self.client: _SingleAttemptClient | None = None
        self.handler: _Handler | None = None
        self.closing = False
        self.reconnects = 0
        self._refresh = asyncio.Event()
        self._supervisor: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ state

    def pong_age(self) -> float | None:
        """Seconds since the newest ping that was answered (since connecting, before the first pong)."""
        client = self.client
        if client is None or client.connected_at is None:
            return None
        last = client.last_ping_pong_time or client.connected_at
        return max(0.0, time.time() - max(last, client.connected_at))

    def trouble(self) -> str | None:
        """Why the connection is not usable right now, or None when it is up with recent pongs."""
        client = self.client
        if self.closing or client is None:
            return "closed"
        session = client.current_session
        if session is None or session.closed:
            return "socket_closed"
        age = self.pong_age()
        if age is not None and age > self.stale_after:
            return "no_pong"
        return None

    def healthy(self) -> bool:
        return self.trouble() is None

    def status(self) -> dict[str, Any]:
        """For /readyz: connected, the pong age, and reconnections so far."""
        age = self.pong_age()
        return {"connected": self.healthy(), "pong_age_seconds": None if age is None else round(age, 1),
                "reconnects": self.reconnects}

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect once; SlackApiError (token refused) or a connection error propagates, nothing retries."""
        self.client = _SingleAttemptClient(self.app_token, logger=self.bolt.logger, web_client=self.bolt.client,
                                           ping_interval=self.ping_interval, on_refresh=self._refresh.set)
        self.handler = _Handler(self.bolt, self.client)
        try:
            await self._connect_once()
        except BaseException:
            await self.client.close()
            raise
        self._supervisor = asyncio.create_task(self._supervise(), name="socket-mode-supervisor")

    async def _connect_once(self) -> None:
        """A fresh URL from apps.connections.open, then the websocket; raises on failure."""
        assert self.client is not None
        try:
            opened = await self.bolt.client.apps_connections_open(app_token=self.app_token)
        except Exception:
            if self.metrics is not None:
                self.metrics.slack_api_error("apps.connections.open")
            raise
        self.client.wss_uri = opened["url"]
        await asyncio.wait_for(self.client.connect(), CONNECT_TIMEOUT)

    async def _supervise(self) -> None:
        while not self.closing:
            reason = await self._wait_for_trouble()
            if self.closing:
                return
            if reason == "refresh":
                log_event(log, "socket_mode_refresh")
            else:
                log_event(log, "socket_mode_disconnected", level=logging.WARNING, reason=reason)
            down_since = time.monotonic()
            await self._reconnect(reason, down_since)

    async def _wait_for_trouble(self) -> str:
        while not self.closing:
            if reason := self.trouble():
                return reason
            try:
                await asyncio.wait_for(self._refresh.wait(), CHECK_INTERVAL)
            except asyncio.TimeoutError:
                continue
            self._refresh.clear()
            return "refresh"
        return "closed"

    async def _reconnect(self, reason: str, down_since: float) -> None:
        delay = self.backoff_initial
        attempt = 0
        while not self.closing:
            attempt += 1
            try:
                await self._connect_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - one line per attempt, never a traceback
                error = exc.response.get("error", "unknown") if isinstance(exc, SlackApiError) else type(exc).__name__
                wait = min(self.backoff_cap, delay) * random.uniform(0.8, 1.2)
                log_event(log, "socket_mode_reconnect_failed", level=logging.WARNING, attempt=attempt, error=error,
                          retry_in_seconds=round(wait, 1))
                delay = min(self.backoff_cap, delay * 2)
                await self._sleep(wait)
                continue
            self.reconnects += 1
            self._refresh.clear()
            if self.metrics is not None:
                self.metrics.socket_mode_reconnects.inc()
            log_event(log, "socket_mode_reconnected", reason=reason, attempts=attempt,
                      down_seconds=round(time.monotonic() - down_since, 1))
            return

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up at once when closing."""
        deadline = time.monotonic() + seconds
        while not self.closing and (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(left, CHECK_INTERVAL))

    async def close(self) -> None:
        """Stop supervising and close the websocket (idempotent)."""
        self.closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            await asyncio.gather(self._supervisor, return_exceptions=True)
            self._supervisor = None
        if self.client is not None and not self.client.closed:
            await self.client.close()


__all__ = ["SocketModeConnection", "PING_INTERVAL", "STALE_AFTER", "BACKOFF_CAP"]
