"""What the handlers share at run time: tracked background tasks, per-channel pacing, safe Web API calls.

Bolt acks first and would run work in untracked tasks; the handlers instead ack, hand their slow work
to `Runtime.spawn`, and shutdown awaits `Runtime.drain()`. Every Web API call goes through
`Runtime.call`, which paces chat.postMessage per channel and logs (never raises) failures.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Coroutine

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.logs import log_event

log = logging.getLogger("sigsec.slack")


class Pacer:
    """About one message per `interval` seconds per key (channel): an asyncio lock and a timestamp each."""

    def __init__(self, interval: float = 1.0, *, max_keys: int = 10_000) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.get(key)
        if lock is None:
            self._prune()
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            wait = self._last.get(key, float("-inf")) + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last[key] = time.monotonic()

    def _prune(self) -> None:
        if len(self._locks) < self.max_keys:
            return
        horizon = time.monotonic() - self.interval
        for key in [k for k, lock in self._locks.items() if not lock.locked() and self._last.get(k, 0) < horizon]:
            self._locks.pop(key, None)
            self._last.pop(key, None)


class SeenEvents:
    """A small in-process memory of event ids: the second line of dedup when the database is unreachable."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def add(self, event_id: str) -> bool:
        """True the first time this process sees `event_id`."""
        if event_id in self._ids:
            return False
        self._ids[event_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True


class Runtime:
    """Tracked tasks, pacing, bot identity and safe Web API calls for one running app."""

    def __init__(self, settings: Settings, client: AsyncWebClient, *, pace_seconds: float = 1.0) -> None:
        self.settings = settings
        self.client = client
        self.pacer = Pacer(pace_seconds)
        self.seen = SeenEvents()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closing = False
        self.bot_user_id: str | None = None
        self.bot_id: str | None = None

    # ------------------------------------------------------------------ tasks

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run slow work after the ack; tracked so shutdown can wait for it; failures are logged."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log_event(log, "handler_failed", task=task.get_name(), error=type(exc).__name__, detail=str(exc)[:300])

    async def drain(self, timeout: float = 10.0) -> int:
        """Wait for in-flight work (up to `timeout` s), then cancel what is left; returns how many were cancelled."""
        self.closing = True
        deadline = time.monotonic() + timeout
        while self.tasks and (remaining := deadline - time.monotonic()) > 0:
            await asyncio.wait(set(self.tasks), timeout=remaining)
        left = list(self.tasks)
        for task in left:
            task.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
        return len(left)

    # ------------------------------------------------------------------ identity

    def remember_identity(self, context: Any) -> None:
        """Bolt's context carries auth.test's bot user id and bot id; keep them for filtering."""
        self.bot_user_id = self.bot_user_id or getattr(context, "bot_user_id", None)
        self.bot_id = self.bot_id or getattr(context, "bot_id", None)

    def is_own_or_bot(self, event: dict[str, Any]) -> bool:
        user = event.get("user")
        return bool(event.get("bot_id") or event.get("bot_profile") or not user or user == self.bot_user_id)

    # ------------------------------------------------------------------ Web API

    async def call(self, what: str, action: Callable[[], Awaitable[Any]], *, pace: str | None = None,
                   **fields: Any) -> Any | None:
        """Await one Web API call (retries are the client's job); log and swallow failures."""
        try:
            if pace:
                async with self.pacer.slot(pace):
                    return await action()
            return await action()
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else None
            log_event(log, "slack_call_failed", call=what, error=error or "unknown",
                      status=getattr(exc.response, "status_code", None), **fields)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed reply must never crash the app
            log_event(log, "slack_call_failed", call=what, error=type(exc).__name__, **fields)
        return None

    async def post(self, channel: str, *, text: str, blocks: list[Any] | None = None,
                   thread_ts: str | None = None) -> Any | None:
        """chat.postMessage, paced per channel."""
        return await self.call("chat.postMessage", lambda: self.client.chat_postMessage(
            channel=channel, text=text, blocks=blocks, thread_ts=thread_ts, unfurl_links=False, unfurl_media=False),
            pace=channel, channel=channel)

    async def post_ephemeral(self, channel: str, user: str, *, text: str, blocks: list[Any] | None = None,
                             thread_ts: str | None = None) -> Any | None:
        """chat.postEphemeral: only `user` sees it."""
        return await self.call("chat.postEphemeral", lambda: self.client.chat_postEphemeral(
            channel=channel, user=user, text=text, blocks=blocks, thread_ts=thread_ts), channel=channel)

    async def open_dm(self, user: str) -> str | None:
        """conversations.open for a DM with `user`; its channel id, or None."""
        result = await self.call("conversations.open", lambda: self.client.conversations_open(users=user))
        return ((result or {}).get("channel") or {}).get("id") if result is not None else None

    async def respond(self, respond: Any, **kwargs: Any) -> Any | None:
        """Bolt's respond() (the response_url), logged on failure."""
        return await self.call("response_url", lambda: respond(**kwargs))
