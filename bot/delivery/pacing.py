"""Per-channel pacing: about one message per `interval` seconds per channel (Slack's chat limit)."""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from typing import AsyncIterator


class Pacer:
    """A reserved next-slot time per key (channel); slow calls never hold up the next reservation."""

    def __init__(self, interval: float = 1.0, *, max_keys: int = 10_000) -> None:
        self.interval = interval
        self.max_keys = max_keys
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @asynccontextmanager
    async def slot(self, key: str) -> AsyncIterator[None]:
        """Wait for this key's next free slot; the lock is held only to reserve it, never across the call."""
        lock = self._locks.get(key)
        if lock is None:
            self._prune()
            lock = self._locks[key] = asyncio.Lock()
        async with lock:
            start = max(time.monotonic(), self._last.get(key, float("-inf")) + self.interval)
            self._last[key] = start
        wait = start - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        yield

    def _prune(self) -> None:
        if len(self._locks) < self.max_keys:
            return
        horizon = time.monotonic() - self.interval
        for key in [k for k, lock in self._locks.items() if not lock.locked() and self._last.get(k, 0) < horizon]:
            self._locks.pop(key, None)
            self._last.pop(key, None)
