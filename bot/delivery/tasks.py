"""Tracked background work: listeners ack, hand slow work here, and shutdown drains it."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Coroutine

from bot.logs import log_event

log = logging.getLogger("sigsec.delivery")


class TaskSupervisor:
    """Runs work after the ack in tracked tasks; `drain` waits for them on shutdown."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closing = False
        self._started: dict[asyncio.Task[Any], float] = {}  # task -> time.monotonic() at spawn

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        """Run slow work after the ack; tracked so shutdown can wait for it; failures are logged."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(task)
        self._started[task] = time.monotonic()
        task.add_done_callback(self._done)
        return task

    def backlog(self) -> tuple[int, float]:
        """(unfinished tasks, age in seconds of the oldest; 0 when none): the inbox metrics."""
        if not self._started:
            return 0, 0.0
        return len(self._started), max(0.0, time.monotonic() - min(self._started.values()))

    def _done(self, task: asyncio.Task[Any]) -> None:
        self.tasks.discard(task)
        self._started.pop(task, None)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log_event(log, "handler_failed", task=task.get_name().split(":")[0], error=type(exc).__name__)

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
