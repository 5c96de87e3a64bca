"""Runtime refresh from the official Kubernetes CVE feed (JSON Feed 1.1 with `_kubernetes_io`
extensions), published at OFFICIAL_FEED_URL and built from kubernetes/kubernetes issues labelled
`official-cve-feed`.

    items = await fetch_feed(url, session, timeout=10)   # raises FeedError (one line) on any failure
    fresh = new_items(known_ids, items)                  # what to announce, oldest first

Nothing here runs by itself: callers schedule `fetch_feed` in the background (never before start-up
completes) and treat `FeedError` as "feed unavailable, keep the snapshot".
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

__all__ = [
    "OFFICIAL_FEED_URL",
    "MAX_FEED_BYTES",
    "FeedError",
    "FeedItem",
    "parse_feed",
    "fetch_feed",
    "new_items",
    "feed_url_from_env",
]

OFFICIAL_FEED_URL = "https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json"
MAX_FEED_BYTES = 16 * 1024 * 1024
_STATUSES = {"fixed", "open", "unfixed", "unknown"}


class FeedError(RuntimeError):
    """The feed could not be fetched or read. `str()` is one line naming the URL and the reason."""


@dataclass(frozen=True)
class FeedItem:
    id: str  # one CVE id (items titled with several ids are split, as the feed itself now does)
    url: str | None  # the tracking issue
    external_url: str | None  # cve.org record
    summary: str | None
    content_text: str | None
    date_published: str | None
    status: str | None  # fixed | open | unfixed | unknown | None (older feeds have no status)
    issue_number: int | None = None
    google_group_url: str | None = None


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def parse_feed(data: Any, source: str = "<feed>") -> list[FeedItem]:
    """Items of a parsed JSON feed. Raises `FeedError` when the document is not a CVE JSON feed."""
    from .advisor import find_ids  # local import: advisor imports nothing from here at module load

    if not isinstance(data, dict):
        raise FeedError(f"CVE feed {source}: not a JSON Feed (top level is {type(data).__name__}, expected an object)")
    version = data.get("version")
    if version is not None and not (isinstance(version, str) and version.startswith("https://jsonfeed.org/version/1")):
        raise FeedError(f"CVE feed {source}: not a JSON Feed 1.x (version {_one_line(repr(version), 80)})")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedError(f"CVE feed {source}: no \"items\" list")
    out: list[FeedItem] = []
    seen: set[str] = set()
    usable = 0
    for raw in items:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        ids = find_ids(raw["id"])
        if not ids:
            continue
        usable += 1
        ext = raw.get("_kubernetes_io") if isinstance(raw.get("_kubernetes_io"), dict) else {}
        number = ext.get("issue_number")
        status = raw.get("status")
        for cve_id in ids:
            if cve_id in seen:
                continue
            seen.add(cve_id)
            external = _opt_str(raw.get("external_url"))
            if external is not None and len(ids) > 1:
                external = f"https://www.cve.org/CVERecord?id={cve_id}"
            out.append(
                FeedItem(
                    id=cve_id,
                    url=_opt_str(raw.get("url")),
                    external_url=external,
                    summary=_opt_str(raw.get("summary")),
                    content_text=_opt_str(raw.get("content_text")),
                    date_published=_opt_str(raw.get("date_published")),
                    status=status if status in _STATUSES else None,
                    issue_number=number if isinstance(number, int) and not isinstance(number, bool) else None,
                    google_group_url=_opt_str(ext.get("google_group_url")),
                )
            )
    if items and not usable:
        raise FeedError(f"CVE feed {source}: {len(items)} item(s) but none with a CVE id")
    return out


async def fetch_feed(url: str, session: Any, timeout: float = 10.0) -> list[FeedItem]:
    """GET the feed with an `aiohttp.ClientSession` and parse it. Any failure (unreachable, timeout,
    HTTP error, too large, not JSON, not a CVE feed) raises `FeedError` with one clear line."""
    import aiohttp

    try:
        async with session.get(
            url,
            timeout=aiohttp.ClientTimeout(total=timeout),
            headers={"Accept": "application/feed+json, application/json;q=0.9"},
        ) as response:
            if response.status != 200:
                raise FeedError(f"CVE feed {url}: HTTP {response.status} {_one_line(response.reason or '', 60)}".rstrip())
            declared = response.content_length
            if declared is not None and declared > MAX_FEED_BYTES:
                raise FeedError(f"CVE feed {url}: too large ({declared} bytes, limit {MAX_FEED_BYTES})")
            body = await response.content.read(MAX_FEED_BYTES + 1)
            if len(body) > MAX_FEED_BYTES:
                raise FeedError(f"CVE feed {url}: too large (over {MAX_FEED_BYTES} bytes)")
    except FeedError:
        raise
    except asyncio.TimeoutError:
        raise FeedError(f"CVE feed {url}: no answer within {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise FeedError(f"CVE feed {url}: unreachable ({type(exc).__name__}: {_one_line(exc, 200)})") from None
    except (OSError, ValueError) as exc:  # bad URL, socket errors outside aiohttp's wrappers
        raise FeedError(f"CVE feed {url}: unreachable ({type(exc).__name__}: {_one_line(exc, 200)})") from None
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise FeedError(f"CVE feed {url}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise FeedError(f"CVE feed {url}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return parse_feed(data, url)


def new_items(old_ids: Iterable[str], items: Iterable[FeedItem]) -> list[FeedItem]:
    """Items whose id is not in `old_ids`, each id once, oldest `date_published` first (undated last)."""
    known = set(old_ids)
    fresh: list[FeedItem] = []
    for item in items:
        if item.id in known:
            continue
        known.add(item.id)
        fresh.append(item)
    fresh.sort(key=lambda i: (i.date_published is None, i.date_published or ""))
    return fresh


def feed_url_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    """`CVE_FEED_URL` when set; unset or empty: refresh is off."""
    env = os.environ if environ is None else environ
    value = (env.get("CVE_FEED_URL") or "").strip()
    return value or None
