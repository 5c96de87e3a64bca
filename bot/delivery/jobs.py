"""Periodic jobs: retention of the question log and the weekly gap digest (claimed once across replicas)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from bot.core import messages as M
from bot.delivery.claims import ClaimRunner
from bot.delivery.gateway import DeliveryError, Outgoing, SlackGateway
from bot.logs import log_event

if TYPE_CHECKING:
    from bot.core.service import Service
    from bot.storage import Storage

log = logging.getLogger("sigsec.jobs")
DIGEST_WEEKDAY, DIGEST_HOUR_UTC = 0, 16  # Mondays 16:00 UTC (morning in the Americas, evening in Europe)
DIGEST_CLAIM_STALE_S = 3600  # a replica that claimed the digest and died is taken over after this
DIGEST_ATTEMPTS = 6
DIGEST_RETRY_S = 600.0


async def retention_loop(storage: "Storage", days: int, *, interval: float = 86400.0) -> None:
    """Purge rows older than `days` now and then every `interval` seconds; run it as a task."""
    while True:
        try:
            deleted = await storage.questions.purge(older_than_days=days)
            if deleted:
                log_event(log, "retention_purged", rows=deleted, days=days)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - keep the loop alive; the next run retries
            log_event(log, "retention_failed", level=logging.WARNING, error=type(exc).__name__)
        await asyncio.sleep(interval)


def seconds_until(weekday: int, hour: int, *, now: dt.datetime | None = None) -> float:
    """Seconds from `now` (UTC) to the next `weekday` (0 = Monday) at `hour`:00 UTC."""
    now = now or dt.datetime.now(dt.timezone.utc)
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0) + dt.timedelta(days=(weekday - now.weekday()) % 7)
    if target <= now:
        target += dt.timedelta(days=7)
    return (target - now).total_seconds()


class Digest:
    """Last week's report posted to REPORT_CHANNEL once per ISO week, by whichever replica gets there first."""

    def __init__(self, service: "Service", gateway: SlackGateway, claims: ClaimRunner, channel: str | None) -> None:
        self.service = service
        self.gateway = gateway
        self.claims = claims
        self.channel = channel

    async def loop(self) -> None:
        while True:
            await asyncio.sleep(seconds_until(DIGEST_WEEKDAY, DIGEST_HOUR_UTC))
            for attempt in range(DIGEST_ATTEMPTS):  # a failed post releases its claim and is retried
                try:
                    if await self.post() is not None:
                        break
                except Exception as exc:  # noqa: BLE001 - retried below
                    log_event(log, "digest_failed", error=type(exc).__name__, attempt=attempt + 1)
                await asyncio.sleep(DIGEST_RETRY_S)

    async def post(self, *, now: dt.datetime | None = None) -> bool | None:
        """True when posted, False when there is nothing to do (no channel, posted already or being
        posted elsewhere), None when posting failed (the claim is released for a later attempt)."""
        from bot.slack import blocks as B

        if self.service.storage is None or not self.channel:
            return False
        year, week, _ = (now or self.service.storage.clock()).isocalendar()
        channel = self.channel

        async def send() -> None:
            text = await self.service.report(days=7)
            blocks = B.report_blocks(text or "", title=M.SLACK_DIGEST_TITLE)
            await self.gateway.deliver_all([Outgoing(channel, M.SLACK_DIGEST_TITLE, B.as_dicts(blocks))])

        try:
            ran = await self.claims.once(f"digest-{year}-W{week:02d}", send, stale_after=DIGEST_CLAIM_STALE_S)
        except Exception as exc:  # noqa: BLE001 - report building or posting failed
            log_event(log, "digest_failed", error=type(exc).__name__)
            return None
        return True if ran else False


CVE_FEED_INTERVAL_S = 6 * 3600.0
CVE_BASELINE_KEY = "cve-feed-baseline"
CVE_ANNOUNCE_WITHIN_DAYS = 30  # older items are never announced (their claims are kept: questions.KEPT_CLAIMS)


class CveFeedRefresh:
    """Refresh the CVE advisor from the official feed (CVE_FEED_URL) and announce new items once.

    Never blocks start: it runs as a job, and an unreachable or invalid feed keeps the data the bot
    has. The first refresh a deployment ever makes records the feed's items without announcing them
    (a baseline, claimed in the database); afterwards each new item is claimed per id, so of several
    replicas exactly one posts it, with the official links only. Each successful refresh is stored
    in the database, and the stored feed is served from start until the next refresh succeeds.
    """

    def __init__(self, service: "Service", gateway: SlackGateway, claims: ClaimRunner, session: Any, *,
                 url: str, channel: str | None) -> None:
        self.service = service
        self.gateway = gateway
        self.claims = claims
        self.session = session
        self.url = url
        self.channel = channel

    async def loop(self, *, interval: float = CVE_FEED_INTERVAL_S) -> None:
        await self.restore()
        while True:
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad refresh must not end the job for good
                log_event(log, "cve_feed_refresh_failed", level=logging.ERROR, error=type(exc).__name__)
            await asyncio.sleep(interval)

    async def restore(self) -> bool:
        """Serve the feed as last stored (by any replica) until the next refresh succeeds; True if found."""
        storage = self.service.storage
        if self.service.cve is None or storage is None:
            return False
        try:
            stored = await storage.cve_feed.load()
        except Exception as exc:  # noqa: BLE001 - the snapshot still answers; the refresh will store again
            log_event(log, "cve_feed_restore_failed", level=logging.WARNING, error=type(exc).__name__)
            return False
        if stored is None:
            return False
        self.service.cve = self.service.cve.with_feed(stored.items, fetched_at=stored.fetched_at.isoformat())
        log_event(log, "cve_feed_restored", items=len(stored.items))
        return True

    async def refresh(self) -> int:
        """One refresh; returns how many items were announced."""
        from bot.cve.feed import FeedError, fetch_feed

        if self.service.cve is None:
            return 0
        try:
            items = await fetch_feed(self.url, self.session)
        except FeedError as exc:
            log_event(log, "cve_feed_unavailable", level=logging.WARNING, reason=str(exc)[:200])
            return 0
        fetched_at = dt.datetime.now(dt.UTC)
        self.service.cve = self.service.cve.with_feed(items, fetched_at=fetched_at.isoformat())
        log_event(log, "cve_feed_refreshed", items=len(items))
        await self._store(items, fetched_at)
        if not self.channel:
            return 0
        baseline_taken = await self.claims.once(CVE_BASELINE_KEY, lambda: self._baseline(items), stale_after=3600)
        if baseline_taken:
            return 0
        announced = 0
        recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=CVE_ANNOUNCE_WITHIN_DAYS)
        for item in items:
            if not _published_after(item, recent):
                continue
            try:
                if await self.claims.once(f"cve-announce-{item.id}", lambda item=item: self._announce(item),
                                          stale_after=3600):
                    announced += 1
            except DeliveryError as exc:  # its claim is released: the next refresh tries it again
                log_event(log, "cve_announce_failed", level=logging.WARNING, error=str(exc)[:80])
        return announced

    async def _store(self, items: list[Any], fetched_at: dt.datetime) -> None:
        if self.service.storage is None:
            return
        try:
            await self.service.storage.cve_feed.save(items, fetched_at)
        except Exception as exc:  # noqa: BLE001 - served from memory now; stored again at the next refresh
            log_event(log, "cve_feed_store_failed", level=logging.WARNING, error=type(exc).__name__)

    async def _baseline(self, items: list[Any]) -> None:
        for item in items:  # known before this deployment's first refresh: never announced
            await self.claims.once(f"cve-announce-{item.id}", _nothing)

    async def _announce(self, item: Any) -> None:
        from bot.cve.render import escape

        links = " · ".join(f"<{url}|{title}>" for title, url in (("tracking issue", item.url),
                                                                    ("advisory", item.external_url)) if url)
        text = M.CVE_ANNOUNCEMENT.format(id=escape(item.id), summary=escape(item.summary or ""), links=links)
        await self.gateway.deliver_all([Outgoing(self.channel or "", text)])


async def _nothing() -> None:
    return None


def _published_after(item: Any, moment: dt.datetime) -> bool:
    try:
        published = dt.datetime.fromisoformat(str(item.date_published).replace("Z", "+00:00"))
    except ValueError:
        return False
    return (published if published.tzinfo else published.replace(tzinfo=dt.UTC)) >= moment
