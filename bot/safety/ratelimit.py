"""A per-user sliding-window rate limiter with bounded memory."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable


class RateLimiter:
    """At most `per_minute` allowed calls per key in any sliding `window` (60 s) period.

    Per process: with several replicas each enforces its own limit, so the effective limit is
    `per_minute * replicas` unless requests for one user are pinned to one replica. Memory is
    bounded: keys idle for a whole window are evicted, and beyond `max_keys` the least recently
    used key is dropped (that key's history is forgotten, so a flood of distinct ids can at worst
    reset someone's window, never grow memory). Denied calls do not count against the window.
    """

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic,
                 window: float = 60.0, max_keys: int = 100_000) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        if window <= 0 or max_keys < 1:
            raise ValueError("window and max_keys must be positive")
        self.per_minute = per_minute
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record and allow one call for `key`, or return False if it is over the limit."""
        with self._lock:
            now = self._clock()
            self._evict_idle(now)
            hits = self._hits.get(key)
            if hits is None:
                hits = deque(maxlen=self.per_minute)
                self._hits[key] = hits
                while len(self._hits) > self.max_keys:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            return True

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may call again (0.0 if it may now)."""
        with self._lock:
            hits = self._hits.get(key)
            if not hits or len(hits) < self.per_minute:
                return 0.0
            return max(0.0, hits[0] + self.window - self._clock())

    def __len__(self) -> int:
        return len(self._hits)

    def _evict_idle(self, now: float) -> None:
        # Keys are kept in least-recently-used order, so idle ones sit at the front.
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and hits[-1] > now - self.window:
                break
            del self._hits[key]
