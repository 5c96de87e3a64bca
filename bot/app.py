"""The Slack app: Bolt (the only slack_bolt import under bot/), our own aiohttp server, and `run()`.

    POST /slack/events  events, slash commands and interactivity (HTTP mode), signature-verified by Bolt
    GET  /healthz       200 once knowledge is loaded and the database answers, else 503

Listeners ack at once and hand slow work to `Runtime.spawn` (tracked, so SIGTERM/SIGINT can stop
accepting, wait for in-flight work and close the store). Bolt runs with process_before_response=True
so that a listener only returns after it scheduled its work: nothing runs in an untracked task.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
import os
import signal
import sys
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot import blocks as B
from bot import messages as M
from bot.config import DEFAULT_USER_ID_SALT, Settings, mask
from bot.knowledge import KnowledgeError
from bot.logs import configure_logging, log_event, register_secret
from bot.service import Service
from handlers import register_all
from handlers.runtime import Runtime

log = logging.getLogger("sigsec.app")
MAX_BODY_BYTES = 1024 * 1024  # Slack payloads are a few KiB; anything near this is not Slack
SLACK_API_DEFAULT = "https://slack.com/api/"
DIGEST_WEEKDAY, DIGEST_HOUR_UTC = 0, 16  # Mondays 16:00 UTC (morning in the Americas, evening in Europe)
DIGEST_CLAIM_STALE_S = 3600  # a replica that claimed the digest and failed is taken over after this
DIGEST_ATTEMPTS = 6


def make_client(settings: Settings) -> AsyncWebClient:
    """Web API client on SLACK_API_URL with the SDK's async retry handlers (429 Retry-After, 5xx, resets)."""
    return AsyncWebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url or SLACK_API_DEFAULT,
        timeout=15,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def make_bolt_app(settings: Settings, service: Service, runtime: Runtime) -> AsyncApp:
    app = AsyncApp(
        client=runtime.client,
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=True,
        process_before_response=True,
        logger=logging.getLogger("sigsec.bolt"),
    )

    @app.error
    async def on_error(error: Exception) -> None:
        log_event(log, "listener_error", error=type(error).__name__, detail=str(error)[:300])

    register_all(app, service, runtime)
    return app


class SlackBot:
    """One running bot: Bolt app, Web API client, runtime (tasks, pacing) and the aiohttp server."""

    def __init__(self, settings: Settings, service: Service, *, pace_seconds: float = 1.0,
                 client: AsyncWebClient | None = None) -> None:
        self.settings = settings
        self.service = service
        self.client = client or make_client(settings)
        self.runtime = Runtime(settings, self.client, pace_seconds=pace_seconds)
        self.bolt = make_bolt_app(settings, service, self.runtime)
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._session: aiohttp.ClientSession | None = None
        self._background: list[asyncio.Task[Any]] = []
        self._socket: Any = None  # AsyncSocketModeHandler while connected in Socket Mode
        self._stopped = False

    # ------------------------------------------------------------------ HTTP

    def web_app(self, *, events: bool = True) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        if events:
            app.router.add_post("/slack/events", self.slack_events)
        app.router.add_get("/healthz", self.healthz)
        return app

    async def slack_events(self, request: web.Request) -> web.Response:
        """Events, commands and interactivity; malformed input is a 4xx, never a crash."""
        if self.runtime.closing:
            return web.json_response({"error": "shutting down"}, status=503)
        if not (request.headers.get("X-Slack-Signature") and request.headers.get("X-Slack-Request-Timestamp")):
            return web.json_response({"error": "missing signature headers"}, status=401)
        try:
            bolt_request = await to_bolt_request(request)
        except web.HTTPException:
            raise  # 413 for bodies over client_max_size
        except Exception as exc:  # noqa: BLE001 - undecodable or unparsable body
            log_event(log, "bad_request", reason=type(exc).__name__)
            return web.json_response({"error": "malformed body"}, status=400)
        try:
            response = await self.bolt.async_dispatch(bolt_request)
        except Exception as exc:  # noqa: BLE001 - Bolt chokes on some signed-but-odd payloads
            log_event(log, "bad_request", reason="dispatch_error", error=type(exc).__name__)
            return web.json_response({"error": "unprocessable request"}, status=400)
        if response.status >= 500:
            # Listeners only schedule work, so a 5xx here means a payload Bolt could not route.
            log_event(log, "bad_request", reason="dispatch_failed", status=response.status)
            return web.json_response({"error": "unprocessable request"}, status=400)
        return await to_aiohttp_response(response)

    async def healthz(self, request: web.Request) -> web.Response:
        knowledge = len(self.service.knowledge.entries)
        store = self.service.store
        database = bool(store is not None and await store.ping())
        ok = knowledge > 0 and database and not self.runtime.closing
        return web.json_response({"ok": ok, "knowledge_entries": knowledge, "database": database},
                                 status=200 if ok else 503)

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, host: str = "0.0.0.0", port: int | None = None, events: bool = True,
                    background: bool = True, reuse_port: bool = False) -> int:
        """Serve HTTP (events only in HTTP mode; /healthz always); returns the bound port.

        `reuse_port` lets several replicas share one port (SO_REUSEPORT; the kernel spreads connections).
        """
        self._session = aiohttp.ClientSession()  # one pool for all Web API calls
        self.client.session = self._session
        self._runner = web.AppRunner(self.web_app(events=events), access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, self.settings.port if port is None else port,
                                 reuse_port=reuse_port or None)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if background:
            self._start_background()
        # Knowledge indexes, Bolt and the SDKs are long-lived: keep them out of every later garbage
        # collection, whose full passes would otherwise stall replies for tens of milliseconds.
        gc.collect()
        gc.freeze()
        return self.port

    def _start_background(self) -> None:
        store = self.service.store
        if store is not None:
            from bot.store import retention_loop

            self._background.append(asyncio.create_task(retention_loop(store, self.settings.retention_days),
                                                        name="retention"))
        if self.settings.report_channel and store is not None:
            self._background.append(asyncio.create_task(self.digest_loop(), name="digest"))

    async def start_socket_mode(self) -> None:
        """Connect to Slack over Socket Mode with SLACK_APP_TOKEN (after `start(events=False)`).

        Raises SlackApiError when Slack refuses the app token: the SDK's own connect() would log a
        traceback and retry forever, so the first apps.connections.open is ours.
        """
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        opened = await self.client.apps_connections_open(app_token=self.settings.app_token or "")
        handler = AsyncSocketModeHandler(self.bolt, self.settings.app_token)
        handler.client.wss_uri = opened["url"]
        self._socket = handler
        await handler.connect_async()

    async def stop(self, *, timeout: float = 10.0, close_service: bool = True) -> None:
        """Stop accepting, finish in-flight work, stop background tasks, close the store (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.runtime.closing = True
        if self._socket is not None:
            await self._socket.close_async()  # stop taking Socket Mode events first
            self._socket = None
        if self._site is not None:
            await self._site.stop()  # no new connections
        cancelled = await self.runtime.drain(timeout)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
        if close_service:
            await self.service.close()
        log_event(log, "stopped", cancelled_tasks=cancelled)

    # ------------------------------------------------------------------ weekly digest

    async def digest_loop(self) -> None:
        while True:
            await asyncio.sleep(seconds_until(DIGEST_WEEKDAY, DIGEST_HOUR_UTC))
            for attempt in range(DIGEST_ATTEMPTS):  # a failed post is retried once its claim goes stale
                try:
                    if await self.post_digest() is not None:
                        break
                except Exception as exc:  # noqa: BLE001 - retried below
                    log_event(log, "digest_failed", error=type(exc).__name__, attempt=attempt + 1)
                await asyncio.sleep(DIGEST_CLAIM_STALE_S + 60)

    async def post_digest(self, *, now: dt.datetime | None = None) -> bool | None:
        """Post last week's report to REPORT_CHANNEL once per ISO week, whichever replica gets there first.

        True when posted, False when there is nothing to do (no channel, or posted already or being
        posted elsewhere), None when posting failed: the claim is then left to go stale, so this
        replica or another can try again within the week.
        """
        from bot.reports import build_report, render_report

        store, channel = self.service.store, self.settings.report_channel
        if store is None or not channel:
            return False
        year, week, _ = (now or dt.datetime.now(dt.timezone.utc)).isocalendar()
        key = f"digest-{year}-W{week:02d}"
        if not await store.claim_event(key, stale_after=DIGEST_CLAIM_STALE_S):
            return False
        report = await build_report(store, knowledge=self.service.knowledge, days=7,
                                    stale_days=self.settings.stale_days)
        blocks = B.report_blocks(render_report(report, "text"), title=M.SLACK_DIGEST_TITLE)
        if await self.runtime.post(channel, text=M.SLACK_DIGEST_TITLE, blocks=B.as_dicts(blocks)) is None:
            return None
        await store.finish_event(key)
        return True


def seconds_until(weekday: int, hour: int, *, now: dt.datetime | None = None) -> float:
    """Seconds from `now` (UTC) to the next `weekday` (0 = Monday) at `hour`:00 UTC."""
    now = now or dt.datetime.now(dt.timezone.utc)
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0) + dt.timedelta(days=(weekday - now.weekday()) % 7)
    if target <= now:
        target += dt.timedelta(days=7)
    return (target - now).total_seconds()


# --------------------------------------------------------------------------- run


def _fail(message: str) -> int:
    print(f"sigsec-bot: cannot start: {message}", file=sys.stderr)
    return 1


async def run(settings: Settings) -> int:
    """Serve Slack until SIGTERM/SIGINT: Socket Mode with an app token, HTTP on PORT otherwise."""
    from bot.store import Store

    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    for secret in (settings.bot_token, settings.app_token, settings.signing_secret, settings.database_url):
        if secret:
            register_secret(secret)  # a database URL registers its password
    if settings.user_id_salt == DEFAULT_USER_ID_SALT:
        log_event(log, "weak_user_id_salt", level=logging.WARNING,
                  advice="set USER_ID_SALT to a long random secret: hashed user ids are only as private as it")
    else:
        register_secret(settings.user_id_salt)
    try:
        store = await Store.open(settings.database_url, user_id_salt=settings.user_id_salt,
                                 keep_user_ids=settings.keep_user_ids)
    except Exception as exc:  # noqa: BLE001 - one line, no traceback
        return _fail(f"database {mask(settings.database_url)} is not usable ({type(exc).__name__}: "
                     f"{_first_line(exc)})")
    try:
        service = await Service.create(settings, store=store)
    except KnowledgeError as exc:
        await store.close()
        first = exc.problems[0] if exc.problems else "unknown problem"
        return _fail(f"knowledge has {len(exc.problems)} problem(s), first: {first} "
                     "(run `sigsec-bot validate` for all)")
    bot = SlackBot(settings, service)
    try:
        await bot.start(port=settings.port, events=settings.slack_mode == "http")
        try:
            auth = await bot.client.auth_test()
        except SlackApiError as exc:
            return _fail(f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error', 'unknown error')})")
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            return _fail(f"cannot reach the Slack API at {bot.client.base_url} ({type(exc).__name__})")
        bot.runtime.bot_user_id, bot.runtime.bot_id = auth.get("user_id"), auth.get("bot_id")
        if settings.slack_mode == "socket":
            try:
                await bot.start_socket_mode()
            except SlackApiError as exc:
                return _fail(f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error', 'unknown error')})")
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                return _fail(f"cannot open a Socket Mode connection via {bot.client.base_url} "
                             f"({type(exc).__name__})")
        log_event(log, "started", mode=settings.slack_mode, port=bot.port, knowledge_entries=len(
            service.knowledge.entries), database=store.dialect)
        await _wait_for_signal()
    except OSError as exc:
        return _fail(f"cannot listen on port {settings.port} ({exc.strerror or exc})")
    finally:
        await bot.stop()  # closes the Socket Mode connection first
    return 0


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else ""


__all__ = ["SlackBot", "make_bolt_app", "make_client", "run", "seconds_until"]
