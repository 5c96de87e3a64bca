"""Group commit: concurrent callers' writes reach the database together, one statement per batch."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable


class GroupCommit:
    """Concurrent callers' writes go to the database together, one statement per batch.

    `submit(item)` waits until the batch holding `item` is written and returns its own result, so
    callers keep their one-write semantics while a busy bot pays one round trip per batch instead
    of one per event. A batch closes `delay` seconds after its first item, or at `max_items`.
    """

    def __init__(self, write: Callable[[list[Any]], Awaitable[list[Any]]], *, delay: float = 0.002,
                 max_items: int = 500) -> None:
        self._write = write
        self._delay = delay
        self._max_items = max_items
        self._pending: list[tuple[Any, asyncio.Future[Any]]] = []
        self._flushing: set[asyncio.Task[None]] = set()
        self._timer: asyncio.TimerHandle | None = None

    async def submit(self, item: Any) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self._max_items:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._delay, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._flushing.add(task)
            task.add_done_callback(self._flushing.discard)

    async def _run(self, batch: list[tuple[Any, asyncio.Future[Any]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                if not batch[0][1].done():
                    batch[0][1].set_exception(exc)
                return
            # One bad row must not sink the others: write them one by one, each caller gets its own outcome.
            for item, future in batch:
                await self._run([(item, future)])
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def drain(self) -> None:
        """Write what is pending and wait for batches in flight (before closing the engine)."""
        self._flush()
        if self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)
