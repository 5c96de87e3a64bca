"""The decision thread: one worker that drains whatever is queued and runs like calls together.

`BatchingWorker` is a `concurrent.futures.Executor` with exactly one thread, so the event loop hands it
work with `loop.run_in_executor` as before. When several calls of a function registered with
`batch(fn, fn_many)` are waiting together (questions that arrived at once), the thread takes them all
(at most `max_batch`) and makes one `fn_many(list of argument tuples)` call, which lets the decision
embed every question that needs the model in one `Embedder.encode` call and score them in one pass.
Anything else runs one call at a time, in arrival order. If a batched call raises, its calls are
retried one by one so a single bad input fails alone.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from typing import Any

log = logging.getLogger(__name__)
MAX_BATCH = 32  # calls taken in one drain: bounds the latency the last of them pays


class BatchingWorker(Executor):
    """One thread; like calls queued together run as one batch."""

    def __init__(self, *, name: str = "brain", max_batch: int = MAX_BATCH) -> None:
        self._queue: deque[tuple[Future, Callable[..., Any], tuple[Any, ...]]] = deque()
        self._ready = threading.Condition()
        self._batched: dict[Callable[..., Any], Callable[[list[tuple[Any, ...]]], Sequence[Any]]] = {}
        self._max_batch = max(1, max_batch)
        self._closed = False
        self.batches: list[int] = []  # sizes of the recent batched calls (for benchmarks and tests), bounded
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def batch(self, fn: Callable[..., Any], fn_many: Callable[[list[tuple[Any, ...]]], Sequence[Any]]) -> None:
        """Queued calls of `fn(*args)` may be answered together by `fn_many([args, ...])` (same order)."""
        self._batched[fn] = fn_many

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if kwargs:
            args_fn, fn = fn, (lambda *a: args_fn(*a, **kwargs))
        future: Future = Future()
        with self._ready:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._queue.append((future, fn, args))
            self._ready.notify()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._ready:
            self._closed = True
            if cancel_futures:
                while self._queue:
                    self._queue.popleft()[0].cancel()
            self._ready.notify()
        if wait and self._thread is not threading.current_thread():
            self._thread.join()

    # ------------------------------------------------------------------ the thread

    def _take(self) -> list[tuple[Future, Callable[..., Any], tuple[Any, ...]]] | None:
        """The next call, with every queued call of the same batchable function; None when closed and empty."""
        with self._ready:
            while not self._queue and not self._closed:
                self._ready.wait()
            if not self._queue:
                return None
            first = self._queue.popleft()
            taken = [first]
            if first[1] in self._batched:
                rest = deque()
                while self._queue and len(taken) < self._max_batch:
                    job = self._queue.popleft()
                    (taken if job[1] == first[1] else rest).append(job)
                rest.extend(self._queue)
                self._queue = rest
            return taken

    def _run(self) -> None:
        while (taken := self._take()) is not None:
            live = [job for job in taken if job[0].set_running_or_notify_cancel()]
            if not live:
                continue
            fn = live[0][1]
            if len(live) > 1:
                self.batches = [*self.batches[-999:], len(live)]
                try:
                    results = list(self._batched[fn]([args for _f, _fn, args in live]))
                    if len(results) != len(live):
                        raise RuntimeError(f"batch gave {len(results)} results for {len(live)} calls")
                except BaseException as exc:  # noqa: BLE001 - each call then fails or succeeds alone
                    log.warning("batched call failed (%s); running its %d calls one by one", type(exc).__name__,
                                len(live))
                else:
                    for (future, _fn, _args), result in zip(live, results):
                        future.set_result(result)
                    continue
            for future, call, args in live:
                try:
                    future.set_result(call(*args))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    future.set_exception(exc)
