"""The app's background work: the weekly digest (once per ISO week across replicas) and the retention task.

Digests are posted to the mock Slack Web API (tests/support/mock_slack.py) by real SlackBot instances
sharing one tmp SQLite file, as replicas share one database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select, update

from bot.slack import blocks as B
from bot.core import messages as M
from bot.bootstrap import SlackBot, open_service
from bot.delivery.jobs import DIGEST_HOUR_UTC, DIGEST_WEEKDAY, retention_loop, seconds_until
from bot.core.reply import AskContext, Reply, ReplyKind
from bot.storage import Storage, utcnow
from bot.storage.schema import processed_events, questions

UTC = dt.timezone.utc
REPORT_CHANNEL = "CREPORT"
HOUR, DAY = 3600.0, 86400.0


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def poll(check: Callable[[], Awaitable[bool]], *, timeout: float = 3.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def question_texts(store: Storage) -> list[str]:
    async with store.engine.connect() as connection:
        return sorted((await connection.execute(select(questions.c.text))).scalars().all())


async def log_unknown(store: Storage, text: str, *, days_ago: float = 0) -> int:
    reply = Reply(kind=ReplyKind.UNKNOWN, question=text, message="recorded", normalized=text.lower())
    return await store.questions.log_question(reply, AskContext(user_id="U1", channel_id="C1", source="mention"),
                                    asked_at=utcnow() - dt.timedelta(days=days_ago))


# --------------------------------------------------------------------------- seconds_until


@pytest.mark.parametrize("now, expected", [
    (at(2025, 3, 3, 15, 59, 59), 1),  # Monday, one second before
    (at(2025, 3, 3, 16), 7 * DAY),  # exactly on time: the next one is a week away
    (at(2025, 3, 3, 16, 0, 1), 7 * DAY - 1),
    (at(2025, 3, 3, 0), 16 * HOUR),  # Monday morning: later today
    (at(2025, 3, 2, 16), DAY),  # Sunday, same hour
    (at(2025, 3, 4, 0), 6 * DAY + 16 * HOUR),  # Tuesday midnight
    (at(2025, 3, 9, 23, 59, 59), 16 * HOUR + 1),  # Sunday night
    (at(2024, 12, 31, 16), 6 * DAY),  # across the new year
    (at(2024, 2, 28, 16), 5 * DAY),  # across a leap day (Wednesday -> Monday 4 March)
])
def test_seconds_until_monday_16_utc(now: dt.datetime, expected: float) -> None:
    assert (DIGEST_WEEKDAY, DIGEST_HOUR_UTC) == (0, 16)
    assert seconds_until(DIGEST_WEEKDAY, DIGEST_HOUR_UTC, now=now) == expected


def test_seconds_until_lands_on_the_target_and_never_waits_zero() -> None:
    now = at(2025, 1, 1)
    for step in range(0, 8 * 24 * 60, 17):  # every 17 minutes across more than a week
        moment = now + dt.timedelta(minutes=step)
        wait = seconds_until(2, 9, now=moment)  # Wednesdays 09:00
        target = moment + dt.timedelta(seconds=wait)
        assert 0 < wait <= 7 * DAY
        assert (target.weekday(), target.hour, target.minute, target.second) == (2, 9, 0, 0)


def test_seconds_until_defaults_to_now() -> None:
    assert 0 < seconds_until(DIGEST_WEEKDAY, DIGEST_HOUR_UTC) <= 7 * DAY


# --------------------------------------------------------------------------- weekly digest


@pytest.fixture
async def make_bot(mock_slack, slack_knowledge, tmp_path) -> AsyncIterator[Callable[..., Awaitable[SlackBot]]]:
    """`await make_bot(**env)`: a SlackBot (no server, no background tasks) on the shared tmp database."""
    from bot.core.config import load_settings

    folder, routing = slack_knowledge
    bots: list[SlackBot] = []

    async def make(**env: str) -> SlackBot:
        settings = load_settings({
            "SLACK_BOT_TOKEN": "xoxb-test-0000-token", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": mock_slack.api_url,
            "KNOWLEDGE_DIR": str(folder), "ROUTING_FILE": str(routing), "REPORT_CHANNEL": REPORT_CHANNEL,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'replicas.db'}", **env,
        })
        bot = SlackBot.build(settings, await open_service(settings), pace_seconds=0.0)
        bots.append(bot)
        return bot

    try:
        yield make
    finally:
        for bot in bots:
            await bot.stop()


def digests(mock: Any) -> list[Any]:
    return mock.find("chat.postMessage", channel=REPORT_CHANNEL)


async def test_two_replicas_post_one_digest_per_week(make_bot, mock_slack) -> None:
    first, second = await make_bot(), await make_bot()
    monday = at(2025, 3, 3, 16)
    assert sorted(await asyncio.gather(first.digest().post(now=monday), second.digest().post(now=monday))) == [False, True]
    [call] = await mock_slack.wait_for("chat.postMessage", channel=REPORT_CHANNEL)
    assert call.body["text"] == M.SLACK_DIGEST_TITLE
    assert call.blocks[0]["type"] == "header" and B.validate_blocks(call.blocks) == []

    # Later the same ISO week, from either replica: nothing more.
    assert await second.digest().post(now=monday + dt.timedelta(days=3)) is False
    assert await first.digest().post(now=monday + dt.timedelta(days=6, hours=7)) is False  # Sunday 23:00
    # The next week: exactly one more.
    next_week = monday + dt.timedelta(days=7)
    assert sorted(await asyncio.gather(second.digest().post(now=next_week), first.digest().post(now=next_week))) == [
        False, True]
    await mock_slack.wait_for("chat.postMessage", count=2, channel=REPORT_CHANNEL)
    await mock_slack.settle(0.2)
    assert len(digests(mock_slack)) == 2


async def test_digest_weeks_are_iso_weeks_across_the_new_year(make_bot, mock_slack) -> None:
    bot = await make_bot()
    assert await bot.digest().post(now=at(2024, 12, 30, 16)) is True  # Monday of ISO week 2025-W01
    assert await bot.digest().post(now=at(2025, 1, 2, 16)) is False  # same ISO week, new calendar year
    assert await bot.digest().post(now=at(2025, 1, 6, 16)) is True  # 2025-W02
    async with bot.service.storage.engine.connect() as connection:
        keys = (await connection.execute(select(processed_events.c.event_id, processed_events.c.state))).all()
    assert sorted(keys) == [("digest-2025-W01", "done"), ("digest-2025-W02", "done")]
    assert len(digests(mock_slack)) == 2


async def test_digest_escapes_user_text(make_bot, mock_slack) -> None:
    """Two layers: the report scrubs Slack markup (`<!channel>` -> `@channel`, no notification), and the
    Slack layer escapes whatever is left (`<`, `>`, `&`), so nothing a user typed is parsed as markup."""
    bot = await make_bot()
    question = "why does <!channel> ping everyone from <tag> & <ftp://evil.example|certs> in kubelet?"
    for user in ("U1", "U2", "U3"):
        reply = Reply(kind=ReplyKind.UNKNOWN, question=question, message="recorded", normalized=question.lower())
        await bot.service.storage.questions.log_question(reply, AskContext(user_id=user, channel_id="C1", source="mention"))
    assert await bot.digest().post(now=at(2025, 3, 3, 16)) is True
    [call] = digests(mock_slack)
    posted = "\n".join(block["text"]["text"] for block in call.blocks)
    visible = posted.replace("\u200b", "")  # the text report puts a zero-width space after '@'
    assert "why does @channel ping everyone from &lt;tag&gt; &amp; &lt;ftp://evil.example|certs&gt;" in visible
    assert "<!channel>" not in posted and "&lt;!channel&gt;" not in posted  # scrubbed before escaping
    assert "<" not in posted and ">" not in posted  # no markup at all from user text
    assert "<!channel>" not in call.all_text and B.validate_blocks(call.blocks) == []


async def test_digest_needs_a_report_channel(make_bot, mock_slack) -> None:
    bot = await make_bot(REPORT_CHANNEL="")
    assert bot.settings.report_channel in (None, "")
    assert await bot.digest().post(now=at(2025, 3, 3, 16)) is False
    await mock_slack.settle(0.1)
    assert mock_slack.find("chat.postMessage") == []


# --------------------------------------------------------------------------- retention


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Storage]:
    store = await Storage.open(f"sqlite+aiosqlite:///{tmp_path / 'retention.db'}")
    try:
        yield store
    finally:
        await store.close()


async def test_retention_loop_purges_old_rows_on_every_pass_and_keeps_new_ones(store: Storage) -> None:
    await log_unknown(store, "old", days_ago=31)
    await log_unknown(store, "recent", days_ago=29)
    await log_unknown(store, "today")
    task = asyncio.create_task(retention_loop(store, 30, interval=0.05), name="retention-test")
    try:
        async def only_new() -> bool:
            return await question_texts(store) == ["recent", "today"]

        await poll(only_new, what="the first purge")
        # Rows that age past the limit later go on a later pass, without restarting anything.
        async with store.engine.begin() as connection:
            await connection.execute(update(questions).where(questions.c.text == "recent")
                                     .values(asked_at=utcnow() - dt.timedelta(days=45)))

        async def only_today() -> bool:
            return await question_texts(store) == ["today"]

        await poll(only_today, what="a later purge")
        await asyncio.sleep(0.15)  # several more passes: the new row stays
        assert await question_texts(store) == ["today"]
        assert not task.done()
    finally:
        task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_retention_loop_can_be_cancelled_in_the_middle_of_a_purge(store: Storage, monkeypatch) -> None:
    started = asyncio.Event()

    async def slow_purge(**_: Any) -> int:
        started.set()
        await asyncio.sleep(10)
        return 0

    monkeypatch.setattr(store.questions, "purge", slow_purge)
    task = asyncio.create_task(retention_loop(store, 30, interval=0.01))
    await asyncio.wait_for(started.wait(), timeout=2)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, timeout=2)  # not swallowed by the loop's error handling


async def test_running_app_purges_at_start_and_stop_cancels_its_background_tasks(slack_factory, tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app-retention.db'}"
    async with await Storage.open(url) as seed:
        await log_unknown(seed, "ancient", days_ago=400)
        await log_unknown(seed, "fresh", days_ago=1)
    app = await slack_factory(database_url=url, RETENTION_DAYS="30", REPORT_CHANNEL=REPORT_CHANNEL)
    store = app.bot.service.storage
    background = {task.get_name(): task for task in app.bot.jobs}
    assert set(background) == {"retention", "digest"}

    async def purged() -> bool:
        return await question_texts(store) == ["fresh"]

    await poll(purged, what="the app's retention task")
    assert not any(task.done() for task in background.values())
    await asyncio.wait_for(app.bot.stop(), timeout=4)
    assert all(task.cancelled() for task in background.values())
    assert app.bot.jobs == []
    assert digests(app.mock) == []  # the digest waits for Monday 16:00 UTC; stopping posts nothing


async def test_failed_digest_releases_its_claim_and_is_retried(make_bot, mock_slack) -> None:
    first, second = await make_bot(), await make_bot()
    monday = at(2025, 3, 3, 16)
    mock_slack.fail_next["chat.postMessage"] = "channel_not_found"
    assert await first.digest().post(now=monday) is None  # failed: the week is not marked done
    assert await second.digest().post(now=monday) is True  # the released claim is taken at once, posted
    assert await first.digest().post(now=monday) is False  # and done for the week
    assert len(digests(mock_slack)) == 2  # the failed attempt and the real one
