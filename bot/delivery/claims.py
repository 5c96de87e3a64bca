"""One claim mechanism for every piece of once-only work: Slack events, the weekly digest, welcomes.

`ClaimRunner.once(key, work)` runs `work` only if this process wins the claim on `key` in the
database, marks it done only after `work` succeeded, and releases it when `work` failed (so a
retry can take it). While the database is unreachable it falls back to an in-process memory of
keys, consulted only then, so it never blocks a later takeover.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Awaitable, Callable

from bot.logs import log_event

if TYPE_CHECKING:
    from bot.storage import Storage

log = logging.getLogger("sigsec.delivery.claims")


class _RecentKeys:
    """A bounded memory of keys this process ran while the database was unreachable."""

    def __init__(self, size: int = 5000) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> bool:
        """True the first time `key` is added."""
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True


class ClaimRunner:
    """Claims in `storage` (or, without it, in memory) around a unit of work."""

    def __init__(self, storage: "Storage | None") -> None:
        self.storage = storage
        self._fallback = _RecentKeys()

    async def once(self, key: str | None, work: Callable[[], Awaitable[object]], *,
                   stale_after: float = 60.0) -> bool:
        """Run `work` if this caller wins `key`; True when it ran and succeeded. `work`'s failure propagates."""
        if not key:
            await work()
            return True
        claims = self.storage.claims if self.storage is not None else None
        claimed = False
        if claims is not None:
            try:
                claimed = await claims.claim_event(key, stale_after=stale_after)
            except Exception as exc:  # noqa: BLE001 - database down: run anyway, dedupe in memory
                log_event(log, "claim_failed", key=key, error=type(exc).__name__)
                claims = None
        if claims is None:
            claimed = self._fallback.add(key)
        if not claimed:
            log_event(log, "duplicate", key=key)
            return False
        try:
            await work()
        except asyncio.CancelledError:
            raise  # shut down mid-way: the claim stays 'processing' and is taken over once stale
        except Exception:
            if claims is not None:
                await self._settle(claims.release_event, key)
            raise
        if claims is not None:
            await self._settle(claims.finish_event, key)
        return True

    @staticmethod
    async def _settle(action: Callable[[str], Awaitable[None]], key: str) -> None:
        try:
            await action(key)
        except Exception as exc:  # noqa: BLE001 - the work is done; the claim goes stale instead
            log_event(log, "claim_settle_failed", key=key, error=type(exc).__name__)
