"""A mock Slack Web API on loopback: records every call, answers like Slack, can simulate 429s.

Modelled on the idea of slack-bolt's own mock web API server, written for aiohttp:

    mock = MockSlack(bot_user_id="UBOT")
    await mock.start()              # 127.0.0.1, port 0
    settings.slack_api_url = mock.api_url
    ...
    calls = await mock.wait_for("chat.postMessage", count=1)
    await mock.stop()

Socket Mode: `apps.connections.open` (Bearer xapp-...; only `mock.app_token` is accepted when it is
set) answers with `mock.socket_url`, a websocket that greets with `hello`, carries the envelopes a
test pushes and records the client's acks:

    await mock.wait_connected()
    envelope_id = await mock.push(events_api_envelope(body))
    ack = await mock.wait_for_ack(envelope_id)

Posted messages are kept per channel with their metadata (`mock.messages[channel]`), and served back by
`conversations.history` / `conversations.replies` (metadata only with include_all_metadata). Hooks:
`mock.after_accept[method] = callable(call)` runs once a call was accepted, before the answer goes out
(a test can crash the app there); `mock.expired_urls` holds response_url keys answered 404 expired_url.
`views.open` answers with a view id and records the view.

Outages: `await mock.drop_sockets()` closes every open connection from Slack's side;
`mock.refuse_sockets = True` answers new websocket upgrades with 503 (apps.connections.open still
works); `mock.answer_pings = False` leaves the client's pings unanswered (a silently dead link).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

RESPONSE_PATH = "/response/"
SOCKET_PATH = "/link"
APP_TOKEN = "xapp-1-A0001-0000-test"  # the app-level token the mock accepts by default


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

    def __init__(self, *, bot_user_id: str = "UBOT", bot_id: str = "BBOT", team_id: str = "T0001",
                 app_token: str | None = APP_TOKEN):
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.team_id = team_id
        self.calls: list[Call] = []
        self.rate_limit_next = 0  # answer the next N API calls with 429
        self.retry_after = 1
        self.fail_next: dict[str, str] = {}  # method -> Slack error to return once
        self.delay: dict[str, float] = {}  # method -> seconds each call takes (a slow Slack)
        self.outages: dict[str, tuple[float, int]] = {}  # method -> (until time.monotonic(), HTTP status)
        self.accepted: list[Call] = []  # calls answered ok, recorded when the answer is sent
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> posted messages (with metadata)
        self.after_accept: dict[str, Any] = {}  # method -> callable(call), awaited if it returns an awaitable
        self.expired_urls: set[str] = set()  # response_url keys answered with 404 expired_url
        self._ts = itertools.count(1)
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        # Socket Mode
        self.app_token = app_token  # None: any xapp- token opens a connection
        self.sockets: list[web.WebSocketResponse] = []  # open websocket connections, oldest first
        self.socket_connects = 0  # how many websocket connections were ever accepted
        self.acks: list[dict[str, Any]] = []  # what the client sent back over the websocket, in order
        self.refuse_sockets = False  # True: websocket upgrades get HTTP 503 (Slack's edge down)
        self.answer_pings = True  # False: pings go unanswered (a half-open connection)
        self.refused_at: list[float] = []  # time.monotonic() of each upgrade refused while refuse_sockets was set

    # ------------------------------------------------------------------ lifecycle

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/api/{method}", self._api)
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post(RESPONSE_PATH + "{key}", self._response_url)
        app.router.add_get(SOCKET_PATH, self._socket)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> "MockSlack":
        self._runner = web.AppRunner(self.make_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        for ws in list(self.sockets):  # an open websocket would hold up the runner's cleanup
            await ws.close()
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
        if method == "apps.connections.open":
            return web.json_response(self._connections_open(auth))
        if not auth.startswith("Bearer xoxb-") and "token" not in body:
            return web.json_response({"ok": False, "error": "not_authed"})
        if error := self.fail_next.pop(method, None):
            return web.json_response({"ok": False, "error": error})
        until, status = self.outages.get(method, (0.0, 0))
        if time.monotonic() < until:
            return web.json_response({"ok": False, "error": "internal_error"}, status=status,
                                     headers={"Retry-After": "1"} if status == 429 else None)
        if wait := self.delay.get(method):
            await asyncio.sleep(wait)
        answer = self._answer(method, body)
        if answer.get("ok"):
            self.accepted.append(Call(method, body, dict(request.headers), path=request.path))
            self._changed.set()
            if hook := self.after_accept.get(method):
                done = hook(self.accepted[-1])
                if asyncio.iscoroutine(done):
                    await done
        return web.json_response(answer)

    def outage(self, method: str, seconds: float, status: int = 500) -> None:
        """Answer `method` with HTTP `status` (500, 503, 429 with Retry-After: 1) for `seconds` from now."""
        self.outages[method] = (time.monotonic() + seconds, status)

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        if method == "auth.test":
            return {"ok": True, "url": "https://example.slack.com/", "team": "Test", "user": "sigsec-bot",
                    "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id,
                    "is_enterprise_install": False}
        if method == "chat.postMessage":
            metadata = body.get("metadata")
            if isinstance(metadata, str):
                metadata = json.loads(metadata)
            message = {"type": "message", "text": body.get("text"), "ts": ts, "bot_id": self.bot_id}
            if body.get("thread_ts"):
                message["thread_ts"] = body["thread_ts"]
            if metadata:
                message["metadata"] = metadata
            self.messages.setdefault(str(body.get("channel")), []).append(message)
            return {"ok": True, "channel": body.get("channel"), "ts": ts, "message": dict(message)}
        if method in ("conversations.history", "conversations.replies"):
            return self._read_messages(method, body)
        if method == "views.open":
            return {"ok": True, "view": {"id": f"V{next(self._ts):04d}", "type": "modal"}}
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

    def _read_messages(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        """Newest first, like Slack; a thread's replies are those with its thread_ts (oldest first)."""
        oldest = float(body.get("oldest") or 0)
        limit = int(body.get("limit") or 100)
        with_metadata = str(body.get("include_all_metadata", "")).lower() in ("1", "true")
        found = [m for m in self.messages.get(str(body.get("channel")), []) if float(m["ts"]) > oldest]
        if method == "conversations.replies":
            found = [m for m in found if m.get("thread_ts") == body.get("ts")][:limit]
        else:
            found = list(reversed(found))[:limit]
        if not with_metadata:
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        return {"ok": True, "messages": found, "has_more": False}

    async def _response_url(self, request: web.Request) -> web.Response:
        body = await self._decode(request)
        self._record(Call("response_url", body, dict(request.headers), path=request.path))
        if request.match_info["key"] in self.expired_urls:
            return web.Response(status=404, text="expired_url")
        return web.json_response({"ok": True})

    # ------------------------------------------------------------------ Socket Mode

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{SOCKET_PATH}"

    def _connections_open(self, auth: str) -> dict[str, Any]:
        """apps.connections.open: needs the app-level token (Bearer xapp-...), not the bot token."""
        token = auth.removeprefix("Bearer ").strip()
        if not token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type" if token else "not_authed"}
        if self.app_token is not None and token != self.app_token:
            return {"ok": False, "error": "invalid_auth"}
        if error := self.fail_next.pop("apps.connections.open", None):
            return {"ok": False, "error": error}
        return {"ok": True, "url": self.socket_url}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """One Socket Mode connection: hello first, then record every text frame the client sends.

        Pings (the SDK's `sdk-ping-pong:<time>` and aiohttp's heartbeat) are answered with pongs
        carrying the same data while `answer_pings` is set: that keeps the client from declaring the
        connection stale.
        """
        if self.refuse_sockets:
            self.refused_at.append(time.monotonic())
            self._changed.set()
            return web.Response(status=503, text="service unavailable")  # type: ignore[return-value]
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        self.sockets.append(ws)
        self.socket_connects += 1
        try:
            await ws.send_json({"type": "hello", "num_connections": len(self.sockets),
                                "debug_info": {"host": "applink-mock", "build_number": 1,
                                               "approximate_connection_time": 18060},
                                "connection_info": {"app_id": "A0001"}})
            self._changed.set()
            async for message in ws:
                if message.type == WSMsgType.PING:
                    if self.answer_pings:
                        await ws.pong(message.data)
                    continue
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    decoded = json.loads(message.data)
                except ValueError:
                    decoded = {"_raw": message.data}
                self.acks.append(decoded if isinstance(decoded, dict) else {"_raw": decoded})
                self._changed.set()
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
            self._changed.set()
        return ws

    async def _until(self, ready: Any, what: str, timeout: float) -> Any:
        """Poll `ready()` until it returns something truthy; AssertionError naming `what` at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            if result := ready():
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.05))
            except asyncio.TimeoutError:
                pass

    async def wait_connected(self, *, connects: int = 1, timeout: float = 5.0) -> web.WebSocketResponse:
        """Wait until at least `connects` websocket connections were accepted and one is open; the newest."""
        return await self._until(lambda: self.socket_connects >= connects and self.sockets and self.sockets[-1],
                                 f"{connects} Socket Mode connection(s)", timeout)

    async def drop_sockets(self) -> None:
        """Close every open Socket Mode connection from Slack's side (a network blip, a Slack restart)."""
        for ws in list(self.sockets):
            await ws.close()

    async def push(self, envelope: dict[str, Any]) -> str:
        """Send one envelope down the newest open connection; returns its envelope_id."""
        if not self.sockets:
            raise AssertionError("no open Socket Mode connection to push to")
        await self.sockets[-1].send_json(envelope)
        return str(envelope.get("envelope_id"))

    def acks_for(self, envelope_id: str) -> list[dict[str, Any]]:
        return [a for a in self.acks if a.get("envelope_id") == envelope_id]

    async def wait_for_ack(self, envelope_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        """The client's acknowledgement of `envelope_id` (AssertionError at the deadline)."""
        found = await self._until(lambda: self.acks_for(envelope_id), f"the ack of envelope {envelope_id}", timeout)
        return found[0]


_envelope_ids = itertools.count(1)


def envelope(kind: str, payload: dict[str, Any], *, envelope_id: str | None = None,
             accepts_response_payload: bool = False, **extra: Any) -> dict[str, Any]:
    """A Socket Mode envelope as Slack sends it (`kind`: events_api, slash_commands, interactive)."""
    return {"envelope_id": envelope_id or f"env-{next(_envelope_ids):06d}", "type": kind,
            "accepts_response_payload": accepts_response_payload, "payload": payload, **extra}


def events_api_envelope(body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """`body` is the whole event_callback (what HTTP mode would POST), e.g. SlackSigner.event_envelope(...)."""
    return envelope("events_api", body, **kwargs)


def slash_command_envelope(form: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """`form` is the slash command's fields as a JSON object (Socket Mode does not form-encode them)."""
    return envelope("slash_commands", form, accepts_response_payload=True, **kwargs)


def interactive_envelope(payload: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """`payload` is the interaction payload (block_actions, view_submission, ...), not form-encoded."""
    return envelope("interactive", payload, accepts_response_payload=True, **kwargs)
