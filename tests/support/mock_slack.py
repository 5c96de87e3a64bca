"""A mock Slack Web API on loopback: records every call, answers like Slack, can simulate 429s.

Modelled on the idea of slack-bolt's own mock web API server, written for aiohttp:

    mock = MockSlack(bot_user_id="UBOT")
    await mock.start()              # 127.0.0.1, port 0
    settings.slack_api_url = mock.api_url
    ...
    calls = await mock.wait_for("chat.postMessage", count=1)
    await mock.stop()
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

RESPONSE_PATH = "/response/"


@dataclass
class Call:
    """One recorded request: the API method (or 'response_url'), its decoded body and headers."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)
    path: str = ""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The call's blocks, decoded whether sent as JSON or as a form-encoded JSON string."""
        raw = self.body.get("blocks") or []
        return json.loads(raw) if isinstance(raw, str) else raw

    @property
    def all_text(self) -> str:
        """Everything a user could read in this call (text and blocks), for content assertions."""
        view = self.body.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        return json.dumps({"text": self.body.get("text"), "blocks": self.blocks, "view": view})


class MockSlack:
    """aiohttp app serving the Web API methods the bot uses, plus response_url endpoints."""

    def __init__(self, *, bot_user_id: str = "UBOT", bot_id: str = "BBOT", team_id: str = "T0001"):
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.calls: list[Call] = []
        self.rate_limit_next = 0  # answer the next N API calls with 429
        self.retry_after = 1
        self.fail_next: dict[str, str] = {}  # method -> Slack error to return once
        self._ts = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_post(RESPONSE_PATH + "{key}", self._response_url)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> "MockSlack":
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL should be set to."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.base_url}{RESPONSE_PATH}{key}"

    # ------------------------------------------------------------------ queries

    def rate_limit(self, calls: int, retry_after: int = 1) -> None:
        """Answer the next `calls` API calls (not response_url) with HTTP 429 and Retry-After."""
        self.rate_limit_next = calls
        self.retry_after = retry_after

    def reset(self) -> None:
        self.calls.clear()

    def find(self, method: str | None = None, **body: Any) -> list[Call]:
        """Recorded calls of `method` (None = any) whose body has all the given key/values."""
        return [c for c in self.calls
                if (method is None or c.method == method)
                and all(c.body.get(k) == v for k, v in body.items())]

    def posts(self) -> list[Call]:
        """Every call that put something in front of a user (public or private)."""
        return [c for c in self.calls if c.method in {"chat.postMessage", "chat.postEphemeral", "chat.update",
                                                      "response_url"}]

    async def wait_for(self, method: str | None = None, *, count: int = 1, timeout: float = 5.0,
                       **body: Any) -> list[Call]:
        """Poll until at least `count` matching calls were recorded; AssertionError at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.find(method, **body)
            if len(found) >= count:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} x {method} {body or ''}, got {len(found)}; calls: {seen}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.05))
            except asyncio.TimeoutError:
                pass

    async def settle(self, quiet: float = 0.3) -> None:
        """Wait until no call arrived for `quiet` seconds (to assert that nothing (more) happens)."""
        last = len(self.calls)
        while True:
            await asyncio.sleep(quiet)
            if len(self.calls) == last:
                return
            last = len(self.calls)

    # ------------------------------------------------------------------ handlers

    async def _decode(self, request: web.Request) -> dict[str, Any]:
        """JSON or form body; query parameters (Slack accepts arguments there too) are merged in."""
        raw = await request.text()
        body: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            try:
                decoded = json.loads(raw) if raw else {}
            except ValueError:
                decoded = {"_raw": raw}
            body.update(decoded if isinstance(decoded, dict) else {"_raw": decoded})
        else:
            body.update(parse_qsl(raw, keep_blank_values=True))
        return body

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.set()

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        body = await self._decode(request)
        self._record(Call(method, body, dict(request.headers), path=request.path))
        if self.rate_limit_next > 0:
            self.rate_limit_next -= 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(self.retry_after)})
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer xoxb-") and "token" not in body:
            return web.json_response({"ok": False, "error": "not_authed"})
        if error := self.fail_next.pop(method, None):
            return web.json_response({"ok": False, "error": error})
        return web.json_response(self._answer(method, body))

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": "Test", "user": "sigsec-bot",
                    "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                    "is_enterprise_install": False}
        if method == "chat.postMessage":
            return {"ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"text": body.get("text"), "ts": ts, "bot_id": self.bot_id}}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts"), "text": body.get("text")}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", "type": "home"}}
        if method == "conversations.open":
            user = str(body.get("users", "U0")).split(",")[0]
            return {"ok": True, "channel": {"id": "D" + user.lstrip("U")}}
        return {"ok": False, "error": "unknown_method"}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await self._decode(request)
        self._record(Call("response_url", body, dict(request.headers), path=request.path))
        return web.json_response({"ok": True})
