"""Our aiohttp server around Bolt, and the Socket Mode connection.

    POST /slack/events  events, slash commands and interactivity (HTTP mode), signature-verified by Bolt
    GET  /healthz       200 once knowledge is loaded and the database answers, else 503
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
from bot.logs import log_event

log = logging.getLogger("sigsec.server")
MAX_BODY_BYTES = 1024 * 1024  # Slack payloads are a few KiB; anything near this is not Slack


class SlackServer:
    """The HTTP server (events only in HTTP mode; /healthz always) and, in Socket Mode, the websocket."""

    def __init__(self, bolt: AsyncApp, service: Service, tasks: TaskSupervisor) -> None:
        self.bolt = bolt
        self.service = service
        self.tasks = tasks
        self.port: int | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._socket: Any = None  # AsyncSocketModeHandler while connected in Socket Mode

    def web_app(self, *, events: bool = True) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        if events:
            app.router.add_post("/slack/events", self.slack_events)
        app.router.add_get("/healthz", self.healthz)
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
        storage = self.service.storage
        database = bool(storage is not None and await storage.ping())
        ok = knowledge > 0 and database and not self.tasks.closing
        return web.json_response({"ok": ok, "knowledge_entries": knowledge, "database": database},
                                 status=200 if ok else 503)

    async def start(self, *, host: str, port: int, events: bool = True, reuse_port: bool = False) -> int:
        """Serve HTTP; returns the bound port. `reuse_port` lets several replicas share one port."""
        self._runner = web.AppRunner(self.web_app(events=events), access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port, reuse_port=reuse_port or None)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        # Knowledge indexes, Bolt and the SDKs are long-lived: keep them out of every later garbage
        # collection, whose full passes would otherwise stall replies for tens of milliseconds.
        gc.collect()
        gc.freeze()
        return self.port

    async def start_socket_mode(self, app_token: str) -> None:
        """Connect to Slack over Socket Mode.

        Raises SlackApiError when Slack refuses the app token: the SDK's own connect() would log a
        traceback and retry forever, so the first apps.connections.open is ours.
        """
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        opened = await self.bolt.client.apps_connections_open(app_token=app_token)
        handler = AsyncSocketModeHandler(self.bolt, app_token)
        handler.client.wss_uri = opened["url"]
        self._socket = handler
        await handler.connect_async()

    async def stop_accepting(self) -> None:
        """Close the Socket Mode connection and stop taking new HTTP connections."""
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._site is not None:
            await self._site.stop()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


__all__ = ["SlackServer", "MAX_BODY_BYTES"]
