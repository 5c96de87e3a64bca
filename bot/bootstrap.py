"""The composition root: the one place that builds, starts and stops everything, in order.

    settings -> storage (migrated) -> service (knowledge + brain: every model)
             -> delivery (gateway, claims, tasks) -> Bolt + listeners -> server -> periodic jobs

`sigsec-bot run`, the console, the CLI commands and the tests all start the bot through here, so the
tests exercise the real start-up path. Stopping runs the same steps backwards: stop accepting, drain
in-flight work, stop jobs, close the server, the service and the storage.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import DEFAULT_USER_ID_SALT, Settings, mask
from bot.core.knowledge import KnowledgeError
from bot.core.service import Service
from bot.delivery.claims import ClaimRunner
from bot.delivery.gateway import SlackGateway, make_client
from bot.delivery.jobs import CveFeedRefresh, Digest, retention_loop
from bot.delivery.tasks import TaskSupervisor
from bot.delivery.worker import InboxWorker
from bot.logs import configure_logging, log_event, register_secret
from bot.metrics import Metrics
from bot.slack.app import make_bolt_app
from bot.slack.deps import Listeners
from bot.slack.identity import BotIdentity
from bot.slack.server import SlackServer
from bot.storage import Storage

log = logging.getLogger("sigsec.bootstrap")


async def open_storage(settings: Settings, *, connect_args: dict[str, Any] | None = None) -> Storage:
    """The configured database, migrated to the latest schema."""
    return await Storage.open(settings.database_url, user_id_salt=settings.user_id_salt,
                              keep_user_ids=settings.keep_user_ids, connect_args=connect_args)


async def open_service(settings: Settings, *, with_storage: bool = True) -> Service:
    """Storage (optional) and the service over it; close with `shutdown_service`."""
    storage = await open_storage(settings) if with_storage else None
    try:
        return await Service.create(settings, storage=storage)
    except BaseException:
        if storage is not None:
            await storage.close()
        raise


async def shutdown_service(service: Service) -> None:
    """Stop the service, then close its storage."""
    await service.close()
    if service.storage is not None:
        await service.storage.close()


@dataclass
class SlackBot:
    """Everything that runs for Slack, wired; `start` and `stop` in order."""

    settings: Settings
    service: Service
    client: AsyncWebClient
    deps: Listeners
    server: SlackServer
    jobs: list[asyncio.Task[Any]] = field(default_factory=list)
    port: int | None = None
    _session: aiohttp.ClientSession | None = None
    _stopped: bool = False

    @classmethod
    def build(cls, settings: Settings, service: Service, *, client: AsyncWebClient | None = None,
              pace_seconds: float = 1.0, metrics: Metrics | None = None) -> "SlackBot":
        """Wire everything; `metrics` (a fresh registry by default) is shared by all that records."""
        from handlers import register_all

        client = client or make_client(settings)
        metrics = metrics if metrics is not None else Metrics()
        tasks = TaskSupervisor()
        gateway = SlackGateway(client, pace_seconds=pace_seconds, metrics=metrics)
        deps = Listeners(settings=settings, service=service, gateway=gateway, tasks=tasks,
                         claims=ClaimRunner(service.storage), identity=BotIdentity(), metrics=metrics)
        if service.storage is not None:
            deps.inbox = service.storage.inbox
            deps.worker = InboxWorker(service.storage.inbox, lambda item: deps.processors[item.kind](item),
                                      gateway.deliver, capacity=settings.inbox_capacity,
                                      lease_seconds=settings.inbox_lease_seconds,
                                      retry_for=settings.delivery_retry_minutes * 60.0,
                                      late_after=settings.late_reply_minutes * 60.0,
                                      on_delivered=lambda item: metrics.replied_since(item.received_at))
        bolt = make_bolt_app(settings, client, lambda app: register_all(app, deps))
        server = SlackServer(bolt, service, tasks, metrics=metrics)
        server.socket_mode_expected = settings.slack_mode == "socket"
        metrics.observe_live(inbox=deps.worker.backlog if deps.worker is not None else tasks.backlog,
                             knowledge_entries=lambda: len(service.knowledge.entries),
                             socket_mode_connected=lambda: server.socket_mode is not None
                             and server.socket_mode.healthy(),
                             refresh=deps.worker.refresh_backlog if deps.worker is not None else None)
        return cls(settings, service, client, deps, server)

    @property
    def metrics(self) -> Metrics:
        return self.deps.metrics

    async def start(self, *, host: str | None = None, port: int | None = None, events: bool = True,
                    background: bool = True, reuse_port: bool = False, metrics_port: int | None = None) -> int:
        """Serve HTTP (events only in HTTP mode; probes and metrics always) and start the periodic jobs.

        `host`, `port` and `metrics_port` default to HOST, PORT and METRICS_PORT.
        """
        self._session = aiohttp.ClientSession()  # one pool for all Web API calls
        self.client.session = self._session
        self.port = await self.server.start(host=self.settings.host if host is None else host,
                                            port=self.settings.port if port is None else port,
                                            metrics_port=self.settings.metrics_port if metrics_port is None
                                            else metrics_port, events=events, reuse_port=reuse_port)
        if self.deps.worker is not None:
            self.deps.worker.start()  # resumes whatever a crashed or stopped process left in the inbox
        if background:
            self._start_jobs()
        return self.port

    def _start_jobs(self) -> None:
        storage = self.service.storage
        if storage is None:
            return
        self.jobs.append(asyncio.create_task(retention_loop(storage, self.settings.retention_days), name="retention"))
        if self.settings.report_channel:
            self.jobs.append(asyncio.create_task(self.digest().loop(), name="digest"))
        if self.settings.cve_feed_url and self.service.cve is not None:
            refresh = CveFeedRefresh(self.service, self.deps.gateway, self.deps.claims, self._session,
                                     url=self.settings.cve_feed_url, channel=self.settings.announce_channel)
            self.jobs.append(asyncio.create_task(refresh.loop(), name="cve-feed"))

    def digest(self) -> Digest:
        return Digest(self.service, self.deps.gateway, self.deps.claims, self.settings.report_channel)

    async def start_socket_mode(self, **options: Any) -> None:
        """Connect and keep connected (options: see bot.slack.socket_mode.SocketModeConnection)."""
        await self.server.start_socket_mode(self.settings.app_token or "", **options)

    async def stop(self, *, timeout: float = 10.0, close_service: bool = True) -> None:
        """Stop accepting, finish in-flight work, stop jobs, close everything (idempotent)."""
        if self._stopped:
            return
        self._stopped = True
        self.deps.tasks.closing = True
        await self.server.stop_accepting()
        handed_back = await self.deps.worker.stop(timeout) if self.deps.worker is not None else 0
        cancelled = await self.deps.tasks.drain(timeout) + handed_back
        for task in self.jobs:
            task.cancel()
        await asyncio.gather(*self.jobs, return_exceptions=True)
        self.jobs.clear()
        await self.server.close()
        if self._session is not None:
            await self._session.close()
        if close_service:
            await shutdown_service(self.service)
        log_event(log, "stopped", cancelled_tasks=cancelled)


# --------------------------------------------------------------------------- run


def _fail(message: str) -> int:
    print(f"sigsec-bot: cannot start: {message}", file=sys.stderr)
    return 1


def _register_secrets(settings: Settings) -> None:
    for secret in (settings.bot_token, settings.app_token, settings.signing_secret, settings.database_url):
        if secret:
            register_secret(secret)  # a database URL registers its password
    if settings.user_id_salt == DEFAULT_USER_ID_SALT:
        log_event(log, "weak_user_id_salt", level=logging.WARNING,
                  advice="set USER_ID_SALT to a long random secret: hashed user ids are only as private as it")
    else:
        register_secret(settings.user_id_salt)


async def run(settings: Settings, *, log_level: str = "INFO") -> int:
    """Serve Slack until SIGTERM/SIGINT: Socket Mode with an app token, HTTP on PORT otherwise."""
    configure_logging(log_level)
    _register_secrets(settings)
    try:
        storage = await open_storage(settings)
    except Exception as exc:  # noqa: BLE001 - one line, no traceback
        return _fail(f"database {mask(settings.database_url)} is not usable ({type(exc).__name__}: "
                     f"{_first_line(exc)})")
    try:
        service = await Service.create(settings, storage=storage)
    except KnowledgeError as exc:
        await storage.close()
        first = exc.problems[0] if exc.problems else "unknown problem"
        return _fail(f"knowledge has {len(exc.problems)} problem(s), first: {first} "
                     "(run `sigsec-bot validate` for all)")
    bot = SlackBot.build(settings, service)
    try:
        await bot.start(events=settings.slack_mode == "http")
        try:
            auth = await bot.client.auth_test()
        except SlackApiError as exc:
            return _fail(f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error', 'unknown error')})")
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            return _fail(f"cannot reach the Slack API at {bot.client.base_url} ({type(exc).__name__})")
        bot.deps.identity.user_id, bot.deps.identity.bot_id = auth.get("user_id"), auth.get("bot_id")
        if settings.slack_mode == "socket":
            try:
                await bot.start_socket_mode()
            except SlackApiError as exc:
                return _fail(f"Slack rejected SLACK_APP_TOKEN ({exc.response.get('error', 'unknown error')})")
            except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
                return _fail(f"cannot open a Socket Mode connection via {bot.client.base_url} "
                             f"({type(exc).__name__})")
        log_event(log, "started", mode=settings.slack_mode, host=settings.host, port=bot.port,
                  metrics_port=bot.server.metrics_port or bot.port, knowledge_entries=len(service.knowledge.entries),
                  database=storage.dialect)
        await _wait_for_signal()
    except OSError as exc:
        ports = f"{settings.port}" + (f" or {settings.metrics_port}" if settings.metrics_port else "")
        return _fail(f"cannot listen on {settings.host} port {ports} ({exc.strerror or exc})")
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
