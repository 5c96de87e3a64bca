"""New official-feed items are announced once across replicas; the first refresh only takes a baseline."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.core.config import load_settings
from bot.core.service import Service
from bot.delivery.claims import ClaimRunner
from bot.delivery.gateway import Sent
from bot.delivery.jobs import CveFeedRefresh
from bot.storage import Storage

FIXTURE = Path(__file__).parent / "data" / "cve-fixture.json"


def item(cve_id: str, *, days_ago: float) -> dict[str, Any]:
    published = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")
    return {"id": cve_id, "url": f"https://example.invalid/issues/{cve_id}", "summary": f"SYNTHETIC {cve_id} <b>",
            "external_url": f"https://www.cve.org/CVERecord?id={cve_id}", "date_published": published,
            "status": "open"}


class RecordingGateway:
    """Stands in for SlackGateway.deliver_all: records what would be posted."""

    def __init__(self) -> None:
        self.posted: list[Any] = []

    async def deliver_all(self, messages: list[Any]) -> None:
        self.posted.extend(messages)

    async def deliver(self, message: Any) -> Sent:
        self.posted.append(message)
        return Sent(True)


async def serve_feed(handler: Any) -> tuple[web.AppRunner, str]:
    """A feed server on a free loopback port: (its runner, to clean up, and the feed's URL)."""
    app = web.Application()
    app.router.add_get("/feed.json", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/feed.json"  # type: ignore[union-attr]


async def test_baseline_then_each_new_item_announced_once_by_one_of_two_replicas(tmp_path: Path) -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [item("CVE-2099-0201", days_ago=2)]}

    async def serve(_request: web.Request) -> web.Response:
        return web.json_response(feed)

    runner, url = await serve_feed(serve)
    storage = await Storage.open(f"sqlite+aiosqlite:///{tmp_path / 'feed.db'}")
    settings = load_settings({"CVE_DATA": str(FIXTURE), "MATCHER": "lexical"})
    gateway = RecordingGateway()
    async with aiohttp.ClientSession() as session:
        replicas = []
        for _ in range(2):
            service = await Service.create(settings, storage=storage)
            replicas.append(CveFeedRefresh(service, gateway, ClaimRunner(storage), session, url=url,
                                           channel="CANNOUNCE"))
        assert await replicas[0].refresh() == 0  # the baseline: what the feed held before is never announced
        assert await replicas[1].refresh() == 0
        assert gateway.posted == []
        assert replicas[0].service.cve.lookup("CVE-2099-0201").found  # the feed's items are now known
        feed["items"] = [item("CVE-2099-0202", days_ago=0.1), item("CVE-2099-0203", days_ago=400),
                         *feed["items"]]
        counts = [await replicas[1].refresh(), await replicas[0].refresh(), await replicas[1].refresh()]
        assert sum(counts) == 1  # only the new, recent item; once across both replicas
        [post] = gateway.posted
        assert post.channel == "CANNOUNCE" and "CVE-2099-0202" in post.text
        assert "<b>" not in post.text and "https://example.invalid/issues/CVE-2099-0202" in post.text
        feed["items"] = "broken"
        assert await replicas[0].refresh() == 0  # an invalid feed keeps the data the bot has
        assert replicas[0].service.cve.lookup("CVE-2099-0202").found
    await storage.close()
    await runner.cleanup()


async def test_refreshed_feed_is_stored_and_served_after_a_restart_while_the_feed_is_away(tmp_path: Path) -> None:
    feed: dict[str, Any] = {"version": "https://jsonfeed.org/version/1.1",
                            "items": [item("CVE-2099-0301", days_ago=1), item("CVE-2099-0302", days_ago=3)]}
    up = {"ok": True}

    async def serve(_request: web.Request) -> web.Response:
        return web.json_response(feed) if up["ok"] else web.Response(status=503)

    runner, url = await serve_feed(serve)
    database = f"sqlite+aiosqlite:///{tmp_path / 'feed.db'}"
    settings = load_settings({"CVE_DATA": str(FIXTURE), "MATCHER": "lexical"})
    async with aiohttp.ClientSession() as session:
        storage = await Storage.open(database)
        first = CveFeedRefresh(await Service.create(settings, storage=storage), RecordingGateway(),
                               ClaimRunner(storage), session, url=url, channel=None)
        assert not await first.restore()  # nothing stored yet
        await first.refresh()
        await storage.close()

        up["ok"] = False  # the feed is away when the bot restarts
        storage = await Storage.open(database)
        service = await Service.create(settings, storage=storage)
        assert not service.cve.lookup("CVE-2099-0301").found  # the shipped data alone does not know it
        again = CveFeedRefresh(service, RecordingGateway(), ClaimRunner(storage), session, url=url, channel=None)
        assert await again.restore()
        await again.refresh()  # fails: the stored feed keeps serving
        answer = service.cve.lookup("CVE-2099-0301")
        assert answer.found and service.cve.lookup("CVE-2099-0302").found
        assert service.cve.feed_checked_at is not None

        up["ok"] = True  # a later refresh updates the stored rows and keeps ids the feed dropped
        feed["items"] = [item("CVE-2099-0303", days_ago=0.5)]
        await again.refresh()
        stored = await storage.cve_feed.load()
        assert stored is not None
        assert sorted(i.id for i in stored.items) == ["CVE-2099-0301", "CVE-2099-0302", "CVE-2099-0303"]
        assert stored.items[0].summary == "SYNTHETIC CVE-2099-0301 <b>"
        await storage.close()
    await runner.cleanup()


class RefusingGateway(RecordingGateway):
    """Slack refuses the first `refusals` announcements (the bot was not invited to the channel yet)."""

    def __init__(self, refusals: int) -> None:
        super().__init__()
        self.refusals = refusals

    async def deliver_all(self, messages: list[Any]) -> None:
        from bot.delivery.gateway import DeliveryError

        if self.refusals > 0:
            self.refusals -= 1
            raise DeliveryError("not_in_channel")
        await super().deliver_all(messages)


async def test_a_refused_announcement_is_tried_again_and_the_job_keeps_running(tmp_path: Path) -> None:
    """A refused post once ended the refresh job for good (silently); now it is logged, its claim released,
    and the next refresh posts it. The retention purge keeps the baseline and announcement claims, so a
    purge never makes the job take a new baseline and skip what arrived meanwhile."""
    import asyncio

    feed = {"version": "https://jsonfeed.org/version/1.1", "items": [item("CVE-2099-0301", days_ago=2)]}
    fetches = 0

    async def serve(_request: web.Request) -> web.Response:
        nonlocal fetches
        fetches += 1
        if fetches == 2:  # after the baseline: a new item arrives
            feed["items"] = [item("CVE-2099-0302", days_ago=0.1), *feed["items"]]
        return web.json_response(feed)

    runner, url = await serve_feed(serve)
    storage = await Storage.open(f"sqlite+aiosqlite:///{tmp_path / 'feed.db'}")
    service = await Service.create(load_settings({"CVE_DATA": str(FIXTURE), "MATCHER": "lexical"}), storage=storage)
    gateway = RefusingGateway(refusals=1)
    async with aiohttp.ClientSession() as session:
        job = CveFeedRefresh(service, gateway, ClaimRunner(storage), session, url=url, channel="CANNOUNCE")
        task = asyncio.create_task(job.loop(interval=0.05))
        for _ in range(200):
            if gateway.posted:
                break
            await asyncio.sleep(0.05)
        assert not task.done()  # the refused post did not end the job
        [post] = gateway.posted
        assert "CVE-2099-0302" in post.text and fetches >= 3
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
        await storage.questions.purge(older_than_days=7, now=later)
        feed["items"] = [item("CVE-2099-0303", days_ago=0.1), *feed["items"]]
        assert await job.refresh() == 1  # no second baseline after the purge: the new item is announced
        assert "CVE-2099-0303" in gateway.posted[-1].text and len(gateway.posted) == 2
    await storage.close()
    await runner.cleanup()
