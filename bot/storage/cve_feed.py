"""The official CVE feed as last refreshed (issue 12), kept so a restart serves it while the feed is away.

    await store.save(items, fetched_at)   # one transaction: every item upserted with this refresh's time
    stored = await store.load()           # StoredFeed(items, fetched_at) or None when never refreshed

Items are `bot.cve.feed.FeedItem`s, stored as JSON. Ids the feed dropped are kept (the feed never
retracts a CVE; a dropped item is still a published CVE), and `fetched_at` is the newest refresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import insert_ignore
from bot.storage.schema import cve_feed_items

CHUNK = 500  # rows per INSERT: well under either dialect's bound-parameter ceiling


@dataclass(frozen=True)
class StoredFeed:
    items: list[Any]
    fetched_at: dt.datetime


class CveFeedStore:
    """Read and write the stored feed."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._upsert = insert_ignore(cve_feed_items, ["cve_id"], engine.dialect.name, update=("item", "fetched_at"))

    async def save(self, items: Sequence[Any], fetched_at: dt.datetime) -> None:
        rows = [{"cve_id": item.id, "item": json.dumps(dataclasses.asdict(item), ensure_ascii=False),
                 "fetched_at": fetched_at} for item in items]
        async with self._engine.begin() as connection:
            for start in range(0, len(rows), CHUNK):
                await connection.execute(self._upsert, rows[start:start + CHUNK])

    async def load(self) -> StoredFeed | None:
        from bot.cve.feed import FeedItem

        known = {field.name for field in dataclasses.fields(FeedItem)}
        async with self._engine.connect() as connection:
            newest = (await connection.execute(select(func.max(cve_feed_items.c.fetched_at)))).scalar()
            if newest is None:
                return None
            rows = (await connection.execute(select(cve_feed_items.c.item).order_by(cve_feed_items.c.cve_id))).all()
        items = []
        for (raw,) in rows:
            data = json.loads(raw)
            items.append(FeedItem(**{key: value for key, value in data.items() if key in known}))
        fetched = newest if newest.tzinfo else newest.replace(tzinfo=dt.UTC)
        return StoredFeed(items, fetched)
