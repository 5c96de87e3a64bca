"""CVE advisor: runtime refresh from the official feed, against a local aiohttp server on 127.0.0.1
serving synthetic feeds (no other network)."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.cve import CveAdvisor
from bot.cve import feed as feed_mod
from bot.cve.feed import FeedError, FeedItem, feed_url_from_env, fetch_feed, new_items, parse_feed
from bot.cve.records import FIXTURE_PATH

FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "SYNTHETIC Kubernetes Vulnerability Announcements - CVE Feed",
    "home_page_url": "https://example.invalid",
    "_kubernetes_io": {"feed_refresh_job": "https://example.invalid/job", "updated_at": "2099-02-01T00:00:00Z"},
    "items": [
        {
            "id": "CVE-2099-0102",
            "url": "https://example.invalid/issues/102",
            "external_url": "https://www.cve.org/cverecord?id=CVE-2099-0102",
            "summary": "SYNTHETIC: second announcement",
            "content_text": "rated [CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H](https://x)",
            "date_published": "2099-02-02T00:00:00Z",
            "status": "open",
            "_kubernetes_io": {"issue_number": 102, "google_group_url": "https://example.invalid/g/102"},
        },
        {
            "id": "CVE-2099-0001",
            "url": "https://example.invalid/issues/2099-0001",
            "summary": "SYNTHETIC: already in the snapshot",
            "date_published": "2099-01-02T10:00:00Z",
            "status": "fixed",
        },
        {
            "id": "CVE-2099-0103, CVE-2099-0104",
            "url": "https://example.invalid/issues/103",
            "external_url": "https://www.cve.org/cverecord?id=CVE-2099-0103, CVE-2099-0104",
            "summary": "SYNTHETIC: a pair announced together",
            "date_published": "2099-02-01T00:00:00Z",
            "status": "weird-status",
        },
        {"id": "not a cve", "summary": "an issue without an id is skipped"},
        "not an object",
    ],
}


def _app() -> web.Application:
    async def feed(_request):
        return web.json_response(FEED)

    async def old_feed(_request):  # the 2023 shape: no version, no status
        return web.json_response({"items": [{"id": "CVE-2099-0105", "url": "https://example.invalid/issues/105",
                                             "summary": "SYNTHETIC old shape", "date_published": "2099-01-01T00:00:00Z"}]})

    async def error(_request):
        return web.Response(status=503, reason="Service Unavailable")

    async def not_json(_request):
        return web.Response(text="<html>maintenance</html>", content_type="text/html")

    async def not_a_feed(_request):
        return web.json_response([1, 2, 3])

    async def no_items(_request):
        return web.json_response({"version": "https://jsonfeed.org/version/1.1", "items": "none"})

    async def wrong_version(_request):
        return web.json_response({"version": "https://example.invalid/rss", "items": []})

    async def no_ids(_request):
        return web.json_response({"items": [{"id": "hello"}, {"id": 5}]})

    async def slow(_request):
        await asyncio.sleep(3)
        return web.json_response(FEED)

    async def big(_request):
        return web.Response(body=json.dumps({"items": [], "pad": "x" * 5000}).encode(), content_type="application/json")

    async def latin1(_request):
        return web.Response(body=b'{"items": [], "x": "\xff"}', content_type="application/json")

    app = web.Application()
    for path, handler in [("/feed.json", feed), ("/old.json", old_feed), ("/error", error), ("/html", not_json),
                          ("/list", not_a_feed), ("/noitems", no_items), ("/version", wrong_version),
                          ("/noids", no_ids), ("/slow", slow), ("/big", big), ("/latin1", latin1)]:
        app.router.add_get(path, handler)
    return app


@pytest.fixture
async def server():
    srv = TestServer(_app(), host="127.0.0.1")
    await srv.start_server()
    try:
        yield srv
    finally:
        await srv.close()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


async def test_fetch_parses_items_and_splits_paired_ids(server, session):
    items = await fetch_feed(str(server.make_url("/feed.json")), session, timeout=5)
    assert [i.id for i in items] == ["CVE-2099-0102", "CVE-2099-0001", "CVE-2099-0103", "CVE-2099-0104"]
    first = items[0]
    assert first.url == "https://example.invalid/issues/102" and first.status == "open"
    assert first.issue_number == 102 and first.google_group_url == "https://example.invalid/g/102"
    pair = items[3]
    assert pair.external_url == "https://www.cve.org/CVERecord?id=CVE-2099-0104"
    assert pair.status is None  # an unknown status value is dropped, not trusted


async def test_fetch_old_feed_shape(server, session):
    items = await fetch_feed(str(server.make_url("/old.json")), session, timeout=5)
    assert [(i.id, i.status) for i in items] == [("CVE-2099-0105", None)]


@pytest.mark.parametrize(
    "path, problem",
    [
        ("/error", "HTTP 503 Service Unavailable"),
        ("/html", "not valid JSON"),
        ("/list", "not a JSON Feed"),
        ("/noitems", 'no "items" list'),
        ("/version", "not a JSON Feed 1.x"),
        ("/noids", "none with a CVE id"),
        ("/latin1", "not UTF-8"),
    ],
)
async def test_invalid_feeds_raise_one_line(server, session, path, problem):
    url = str(server.make_url(path))
    with pytest.raises(FeedError) as info:
        await fetch_feed(url, session, timeout=5)
    message = str(info.value)
    assert problem in message and url in message and "\n" not in message


async def test_timeout(server, session):
    with pytest.raises(FeedError, match=r"no answer within 0.2 s"):
        await fetch_feed(str(server.make_url("/slow")), session, timeout=0.2)


async def test_too_large(server, session, monkeypatch):
    monkeypatch.setattr(feed_mod, "MAX_FEED_BYTES", 1000)
    with pytest.raises(FeedError, match="too large"):
        await fetch_feed(str(server.make_url("/big")), session, timeout=5)


async def test_unreachable(session):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FeedError, match="unreachable") as info:
        await fetch_feed(f"http://127.0.0.1:{port}/feed.json", session, timeout=2)
    assert "\n" not in str(info.value)


async def test_bad_url(session):
    with pytest.raises(FeedError, match="unreachable"):
        await fetch_feed("not a url", session, timeout=2)


async def test_refresh_merges_into_the_advisor_and_finds_what_is_new(server, session):
    advisor = CveAdvisor.from_path(FIXTURE_PATH)
    items = await fetch_feed(str(server.make_url("/feed.json")), session, timeout=5)
    fresh = new_items(advisor.snapshot.records, items)
    assert [i.id for i in fresh] == ["CVE-2099-0103", "CVE-2099-0104", "CVE-2099-0102"]  # oldest first
    merged = advisor.with_feed(items, fetched_at="2099-02-03T00:00:00Z")
    answer = merged.lookup("CVE-2099-0102", version="1.29.3")
    assert answer.found and answer.status == "open" and answer.severity.rating == "High" and answer.affected is None
    assert merged.lookup("CVE-2099-0001", version="1.29.3").affected is True  # ranges kept


def test_new_items_dedupes_and_orders():
    a = FeedItem("CVE-2099-0201", None, None, None, None, "2099-03-02T00:00:00Z", None)
    b = FeedItem("CVE-2099-0202", None, None, None, None, "2099-03-01T00:00:00Z", None)
    c = FeedItem("CVE-2099-0203", None, None, None, None, None, None)
    assert new_items({"CVE-2099-0201"}, [a, b, c, b]) == [b, c]
    assert new_items([], [c, a, b]) == [b, a, c]
    assert new_items(["CVE-2099-0201", "CVE-2099-0202", "CVE-2099-0203"], [a, b, c]) == []


def test_parse_feed_rejects_non_objects():
    with pytest.raises(FeedError, match="top level is list"):
        parse_feed([], "x")
    assert parse_feed({"items": []}, "x") == []


def test_feed_url_setting():
    assert feed_url_from_env({}) is None
    assert feed_url_from_env({"CVE_FEED_URL": " "}) is None
    assert feed_url_from_env({"CVE_FEED_URL": "http://127.0.0.1:1/x.json"}) == "http://127.0.0.1:1/x.json"
