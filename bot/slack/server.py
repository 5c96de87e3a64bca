"""Our aiohttp server around Bolt, and the Socket Mode connection.

    POST /slack/events  events, slash commands and interactivity (HTTP mode), signature-verified by Bolt
    GET  /healthz       liveness: 200 while the process serves and is not shutting down, else 503
    GET  /readyz        readiness: 200 when knowledge is loaded, the database takes a committed write
                        and (Socket Mode) the connection is up with recent pongs; else 503
    GET  /metrics       Prometheus text format, here unless METRICS_PORT gives it its own port

Readiness changes are logged once each (`ready` / `not_ready` with the reasons), not per probe.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.core.service import Service
from bot.delivery.tasks import TaskSupervisor
from bot.slack.deps import INBOX_DOWN
from bot.logs import log_event
from bot.metrics import Metrics
from bot.slack.socket_mode import SocketModeConnection

log = logging.getLogger("sigsec.server")
MAX_BODY_BYTES = 1024 * 1024  # Slack payloads are a few KiB; anything near this is not Slack


class SlackServer:
    """The HTTP server (events only in HTTP mode; probes and metrics always) and, in Socket Mode, the websocket."""

    def __init__(self, bolt: AsyncApp, service: Service, tasks: TaskSupervisor, *,
                 metrics: Metrics | None = None) -> None:
        self.bolt = bolt
        self.service = service
        self.tasks = tasks
        self.metrics = metrics if metrics is not None else Metrics()
        self.port: int | None = None
        self.metrics_port: int | None = None  # set when /metrics has its own port
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._metrics_runner: web.AppRunner | None = None
        self._metrics_site: web.TCPSite | None = None
        self._socket: SocketModeConnection | None = None  # while in Socket Mode
        self.socket_mode_expected = False  # Socket Mode settings: not ready until the connection is up
        self._ready: bool | None = None  # the last readiness reported, to log changes only

    @property
    def socket_mode(self) -> SocketModeConnection | None:
        return self._socket

    def web_app(self, *, events: bool = True, metrics: bool = True) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        if events:
            app.router.add_post("/slack/events", self.slack_events)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        if metrics:
            app.router.add_get("/metrics", self.metrics_endpoint)
        return app

    async def slack_events(self, request: web.Request) -> web.Response:
        """Events, commands and interactivity; malformed input is a 4xx, never a crash."""
        if self.tasks.closing:
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
        INBOX_DOWN.set(False)
        try:
            response = await self.bolt.async_dispatch(bolt_request)
        except Exception as exc:  # noqa: BLE001 - Bolt chokes on some signed-but-odd payloads
            log_event(log, "bad_request", reason="dispatch_error", error=type(exc).__name__)
            return web.json_response({"error": "unprocessable request"}, status=400)
        if INBOX_DOWN.get():
            # The event could not be stored: no 2xx, so Slack sends it again (it retries three times).
            log_event(log, "event_not_accepted", level=logging.WARNING, reason="inbox_unavailable")
            return web.json_response({"error": "try again"}, status=503)
        if response.status >= 500:
            # Listeners only schedule work, so a 5xx here means a payload Bolt could not route.
            log_event(log, "bad_request", reason="dispatch_failed", status=response.status)
            return web.json_response({"error": "unprocessable request"}, status=400)
        return await to_aiohttp_response(response)

    async def healthz(self, request: web.Request) -> web.Response:
        """Liveness: the process answers and is not shutting down. Nothing outside it (a Slack or
        database outage is not fixed by a restart: that is readiness)."""
        ok = not self.tasks.closing
        return web.json_response({"ok": ok, "closing": self.tasks.closing}, status=200 if ok else 503)

    async def readiness(self) -> dict[str, Any]:
        """Every readiness check and its verdict; `ok` only when all pass."""
        knowledge = len(self.service.knowledge.entries)
        storage = self.service.storage
        if storage is None:
            write_error: str | None = "no_database"
        else:
            write_error = await storage.probe_write()
        checks: dict[str, Any] = {
            "knowledge_entries": knowledge,
            "database": {"writable": write_error is None, **({"error": write_error} if write_error else {})},
            "closing": self.tasks.closing,
        }
        failed = [name for name, bad in (("knowledge", knowledge == 0), ("database", write_error is not None),
                                         ("closing", self.tasks.closing)) if bad]
        if self._socket is not None or self.socket_mode_expected:
            checks["socket_mode"] = (self._socket.status() if self._socket is not None else
                                     {"connected": False, "pong_age_seconds": None, "reconnects": 0})
            if not checks["socket_mode"]["connected"]:
                failed.append("socket_mode")
        checks["ok"] = not failed
        if failed:
            checks["failed"] = failed
        return checks

    async def readyz(self, request: web.Request) -> web.Response:
        checks = await self.readiness()
        ok = bool(checks["ok"])
        if ok != self._ready:
            if ok:
                log_event(log, "ready")
            else:
                log_event(log, "not_ready", level=logging.WARNING, failed=checks["failed"],
                          database_error=checks["database"].get("error"))
            self._ready = ok
        return web.json_response(checks, status=200 if ok else 503)

    async def metrics_endpoint(self, request: web.Request) -> web.Response:
        body, content_type = await self.metrics.scrape(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def start(self, *, host: str, port: int, events: bool = True, reuse_port: bool = False,
                    metrics_port: int | None = None) -> int:
        """Serve HTTP; returns the bound port. `reuse_port` lets several replicas share one port.

        `metrics_port`: serve /metrics there only (same host), not on `port`.
        """
        self._runner = web.AppRunner(self.web_app(events=events, metrics=metrics_port is None), access_log=None,
                                     handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port, reuse_port=reuse_port or None)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        if metrics_port is not None:
            metrics_app = web.Application()
            metrics_app.router.add_get("/metrics", self.metrics_endpoint)
            self._metrics_runner = web.AppRunner(metrics_app, access_log=None, handle_signals=False)
            await self._metrics_runner.setup()
            self._metrics_site = web.TCPSite(self._metrics_runner, host, metrics_port, reuse_port=reuse_port or None)
            await self._metrics_site.start()
            self.metrics_port = self._metrics_site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        # Knowledge indexes, Bolt and the SDKs are long-lived: keep them out of every later garbage
        # collection, whose full passes would otherwise stall replies for tens of milliseconds.
        gc.collect()
        gc.freeze()
        return self.port

    async def start_socket_mode(self, app_token: str, **options: Any) -> None:
        """Connect to Slack over Socket Mode, then keep the connection up (bot.slack.socket_mode).

        Raises SlackApiError when Slack refuses the app token, or the connection error, when the
        first attempt fails: at start an operator should see the one-line reason, not retries.
        `options` go to SocketModeConnection (ping interval, staleness, backoff; tests shorten them).
        """
        connection = SocketModeConnection(self.bolt, app_token, metrics=self.metrics, **options)
        await connection.start()
        self._socket = connection

    async def stop_accepting(self) -> None:
        """Close the Socket Mode connection and stop taking new HTTP connections."""
        if self._socket is not None:
            await self._socket.close()
        if self._site is not None:
            await self._site.stop()

    async def close(self) -> None:
        for runner in (self._runner, self._metrics_runner):
            if runner is not None:
                await runner.cleanup()
        self._runner = self._metrics_runner = None


__all__ = ["SlackServer", "MAX_BODY_BYTES"]
