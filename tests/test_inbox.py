"""The durable inbox and its worker, on SQLite and PostgreSQL: nothing accepted is lost or sent twice."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import replace as with_fields
from typing import Any

from bot.delivery.gateway import Outgoing, Sent
from bot.delivery.worker import InboxWorker
from bot.storage.schema import inbox


class Clock:
    """A clock the tests move by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class FakeSlack:
    """Records sends; answers with the scripted failures first."""

    def __init__(self, failures: list[Sent] | None = None, delay: float = 0.0) -> None:
        self.sent: list[Outgoing] = []
        self.failures = list(failures or [])
        self.delay = delay

    async def send(self, message: Outgoing) -> Sent:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failures:
            return self.failures.pop(0)
        self.sent.append(message)
        return Sent(True)


async def two_replies(item: Any) -> list[Outgoing]:
    text = item.payload["text"]
    return [Outgoing("C1", f"answer to {text}"), Outgoing("C1", f"note for {text}", ephemeral_to="U1")]


async def states(store: Any) -> dict[str, str]:
    from sqlalchemy import select

    async with store.engine.connect() as connection:
        return {k: s for k, s in (await connection.execute(select(inbox.c.event_key, inbox.c.state))).all()}


async def settle(worker: InboxWorker, store: Any, want: int, timeout: float = 10.0) -> dict[str, str]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = await states(store)
        if sum(s in ("done", "failed") for s in found.values()) >= want or asyncio.get_running_loop().time() > deadline:
            return found
        worker.wake()
        await asyncio.sleep(0.05)


async def test_enqueue_is_idempotent_and_cleans_unstorable_text(store) -> None:
    assert await store.inbox.enqueue("Ev1", "message", {"text": "bad \ud800 surrogate and \x00 nul"}) is True
    assert await store.inbox.enqueue("Ev1", "message", {"text": "a Slack retry"}) is False
    [item] = await store.inbox.lease("w1", limit=10, lease_seconds=30)
    assert item.payload["text"] == "bad ? surrogate and  nul" and item.attempts == 1


async def test_every_event_answered_once_with_a_burst_and_bounded_concurrency(store) -> None:
    slack = FakeSlack(delay=0.01)
    worker = InboxWorker(store.inbox, two_replies, slack.send, capacity=4, poll_seconds=0.05)
    for n in range(30):
        await store.inbox.enqueue(f"Ev{n}", "message", {"text": f"q{n}"})
    worker.start()
    peak = 0
    for _ in range(200):
        peak = max(peak, len(worker.active))
        if sum(s == "done" for s in (await states(store)).values()) == 30:
            break
        await asyncio.sleep(0.02)
    await worker.stop(1)
    assert peak <= 4
    texts = [m.text for m in slack.sent]
    assert len(texts) == 60 and len(set(texts)) == 60  # every reply, none twice
    assert set((await states(store)).values()) == {"done"}


async def test_a_crashed_owner_is_taken_over_after_its_lease_without_resending(store) -> None:
    clock = Clock()
    store.inbox._clock = clock
    await store.inbox.enqueue("EvCrash", "message", {"text": "q"})
    [item] = await store.inbox.lease("dead-process", limit=1, lease_seconds=30)
    # The dead process had decided and sent the first of two replies before it died.
    await store.inbox.save_outbox(item.id, "dead-process", [
        {"channel": "C1", "text": "first", "blocks": None, "thread_ts": None, "ephemeral_to": None},
        {"channel": "C1", "text": "second", "blocks": None, "thread_ts": None, "ephemeral_to": "U1"}])
    await store.inbox.mark_sent(item.id, "dead-process", 1)
    assert await store.inbox.lease("other", limit=1, lease_seconds=30) == []  # lease still live
    clock.now += dt.timedelta(seconds=31)
    slack = FakeSlack()
    processed: list[Any] = []

    async def must_not_decide_again(item: Any) -> list[Outgoing]:
        processed.append(item)
        return []

    worker = InboxWorker(store.inbox, must_not_decide_again, slack.send, poll_seconds=0.05)
    worker.start()
    found = await settle(worker, store, 1)
    await worker.stop(1)
    assert found == {"EvCrash": "done"} and processed == []
    assert [m.text for m in slack.sent] == ["second"]  # only what was not sent yet


async def test_slack_outages_are_retried_with_backoff_and_retry_after_then_delivered(store) -> None:
    slack = FakeSlack([Sent(False, error="ratelimited", retryable=True, retry_after=0.2),
                       Sent(False, error="internal_error", retryable=True),
                       Sent(False, error="TimeoutError", retryable=True)])
    worker = InboxWorker(store.inbox, two_replies, slack.send, poll_seconds=0.05, backoff_base=0.05)
    await store.inbox.enqueue("EvRetry", "message", {"text": "q"})
    worker.start()
    found = await settle(worker, store, 1)
    await worker.stop(1)
    assert found == {"EvRetry": "done"}
    assert [m.text for m in slack.sent] == ["answer to q", "note for q"]


async def test_permanent_errors_and_exhausted_retries_fail_with_their_reason(store) -> None:
    async def send(message: Outgoing) -> Sent:
        if "answer to a" in message.text:
            return Sent(False, error="channel_not_found")  # permanent
        return Sent(False, error="internal_error", retryable=True)  # Slack down for longer than retry_for

    worker = InboxWorker(store.inbox, two_replies, send, poll_seconds=0.05, backoff_base=0.05, retry_for=0.5)
    await store.inbox.enqueue("EvGone", "message", {"text": "a"})
    await store.inbox.enqueue("EvDown", "message", {"text": "b"})
    worker.start()
    found = await settle(worker, store, 2)
    await worker.stop(1)
    assert found == {"EvGone": "failed", "EvDown": "failed"}
    reasons = {key: reason for key, _kind, reason in await store.inbox.failed(since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))}
    assert reasons["EvGone"] == "channel_not_found" and reasons["EvDown"].startswith("gave up after")


async def test_shutdown_hands_unfinished_work_back_and_the_next_worker_finishes_it(store) -> None:
    slow = FakeSlack(delay=5)
    first = InboxWorker(store.inbox, two_replies, slow.send, poll_seconds=0.05)
    for n in range(3):
        await store.inbox.enqueue(f"EvStop{n}", "message", {"text": f"s{n}"})
    first.start()
    while len(first.active) < 3:
        await asyncio.sleep(0.01)
    assert await first.stop(grace=0.2) == 3
    assert set((await states(store)).values()) == {"pending"}  # handed back, not done
    fast = FakeSlack()
    second = InboxWorker(store.inbox, two_replies, fast.send, poll_seconds=0.05)
    second.start()
    found = await settle(second, store, 3)
    await second.stop(1)
    assert set(found.values()) == {"done"} and len(fast.sent) == 6


async def test_two_workers_never_lease_the_same_event(store) -> None:
    for n in range(40):
        await store.inbox.enqueue(f"EvPair{n}", "message", {"text": f"p{n}"})
    leased = await asyncio.gather(store.inbox.lease("a", limit=25, lease_seconds=30),
                                  store.inbox.lease("b", limit=25, lease_seconds=30))
    ids = [item.id for batch in leased for item in batch]
    assert len(ids) == len(set(ids)) == 40


async def test_events_that_failed_for_good_show_in_the_maintainers_report(store) -> None:
    from bot.core.knowledge import KnowledgeBase
    from bot.reports import build_report, render_report

    await store.inbox.enqueue("EvLost", "mention", {"text": "the asker's words"})
    [item] = await store.inbox.lease("w", limit=1, lease_seconds=30)
    await store.inbox.fail(item.id, "w", error="channel_not_found")
    report = await build_report(store, knowledge=KnowledgeBase((), ()), days=7)
    text = render_report(report, "text")
    assert "1 accepted event(s) could not be answered: mention (channel_not_found)" in text
    assert "asker's words" not in text
    import json

    assert json.loads(render_report(report, "json"))["undelivered"] == [{"kind": "mention",
                                                                         "reason": "channel_not_found"}]


async def test_a_late_reply_starts_with_an_apology(store) -> None:
    clock = Clock()
    clock.now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)  # received twenty minutes ago
    store.inbox._clock = clock
    await store.inbox.enqueue("EvLate", "message", {"text": "q"})
    store.inbox._clock = lambda: dt.datetime.now(dt.UTC)
    slack = FakeSlack()
    worker = InboxWorker(store.inbox, two_replies, slack.send, poll_seconds=0.05, late_after=15 * 60)
    worker.start()
    await settle(worker, store, 1)
    await worker.stop(1)
    first, second = slack.sent
    assert first.text.startswith("_Sorry for the slow answer") and first.blocks[0]["type"] == "context"
    assert not second.text.startswith("_Sorry")  # once, on the first reply only


async def test_one_bad_row_does_not_sink_its_batch() -> None:
    from bot.storage.batching import GroupCommit

    async def write(rows: list[str]) -> list[str]:
        if "poison" in rows:
            raise ValueError("cannot store this row")
        return [row.upper() for row in rows]

    batch = GroupCommit(write, delay=0.01)
    results = await asyncio.gather(*(batch.submit(row) for row in ("a", "poison", "b")), return_exceptions=True)
    assert results[0] == "A" and results[2] == "B" and isinstance(results[1], ValueError)


async def test_the_reply_does_not_wait_for_the_question_log_and_the_row_is_written_once(store) -> None:
    """The question row is written after the reply (LogLater): a blocked log write holds no reply back,
    and a takeover that writes the row again still leaves exactly one."""
    from sqlalchemy import func, select

    from bot.core.config import load_settings
    from bot.core.reply import AskContext, Reply, ReplyKind
    from bot.core.service import Service
    from bot.storage.batching import GroupCommit
    from bot.storage.schema import questions

    service = Service(load_settings({}), brain=None, storage=store)  # type: ignore[arg-type]

    async def answer(item: Any) -> list[Outgoing]:
        reply = await service._log(Reply(ReplyKind.UNKNOWN, question=item.payload["text"]),
                                   AskContext(user_id="U1", channel_id="C1", source="mention"))
        assert reply.question_id is None and reply.question_ref == f"{item.event_key}#0"
        return [Outgoing("C1", f"ref {reply.question_ref}")]

    release = asyncio.Event()
    write = store.inbox._finish  # the question rows and the done mark: one transaction

    async def blocked(batches: list[Any]) -> list[None]:
        await release.wait()
        return await write(batches)

    store.inbox._done_batch = GroupCommit(blocked)

    async def rows() -> int:
        async with store.engine.connect() as connection:
            return (await connection.execute(select(func.count()).select_from(questions)
                                             .where(questions.c.ref == "EvLog#0"))).scalar_one()

    slack = FakeSlack()
    first = InboxWorker(store.inbox, answer, slack.send, poll_seconds=0.05)
    await store.inbox.enqueue("EvLog", "mention", {"text": "how do I rotate certificates?"})
    first.start()
    for _ in range(200):
        if slack.sent:
            break
        await asyncio.sleep(0.02)
    assert [m.text for m in slack.sent] == ["ref EvLog#0"]  # out while the log write is held
    assert await rows() == 0 and (await states(store))["EvLog"] == "processing"
    assert await first.stop(grace=0) == 1  # "crash" before the row and the done mark: handed back

    store.inbox._done_batch = GroupCommit(write)
    second = InboxWorker(store.inbox, answer, FakeSlack().send, poll_seconds=0.05)
    second.start()
    assert (await settle(second, store, 1))["EvLog"] == "done"
    await second.stop(1)
    release.set()  # the first process's write lands after all: ignored on the reference
    await asyncio.sleep(0.1)
    assert await rows() == 1
    await service.close()


async def test_a_post_slack_already_has_is_found_by_its_metadata_not_posted_again(mock_slack) -> None:
    """The gateway's lookup before re-posting a reply that may have been accepted (a retry or a takeover):
    in a thread via conversations.replies, elsewhere (a DM) via conversations.history."""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.delivery.gateway import REPLY_EVENT_TYPE, SlackGateway

    gateway = SlackGateway(AsyncWebClient(token="xoxb-test", base_url=mock_slack.api_url), pace_seconds=0)
    since = dt.datetime.now(dt.UTC).timestamp()
    for channel, thread in (("C1", "1700000000.000100"), ("D1", None)):
        first = Outgoing(channel, "answer", thread_ts=thread,
                         metadata={"event_type": REPLY_EVENT_TYPE, "event_payload": {"key": f"Ev{channel}", "i": 0}})
        assert (await gateway.deliver(first)).ok
        again = await gateway.deliver(with_fields(first, posted_since=since))  # the takeover's attempt
        assert again.ok and again.response == {"found": True}
        other = with_fields(first, metadata={"event_type": REPLY_EVENT_TYPE,
                                            "event_payload": {"key": f"Ev{channel}", "i": 1}}, posted_since=since)
        assert (await gateway.deliver(other)).ok  # a different reply of the event: not there, so posted
    posts = mock_slack.find("chat.postMessage")
    assert [(c.body["channel"], c.body["metadata"]["event_payload"]["i"]) for c in posts] == [
        ("C1", 0), ("C1", 1), ("D1", 0), ("D1", 1)]
    assert len(mock_slack.find("conversations.replies")) == 2 and len(mock_slack.find("conversations.history")) == 2


async def test_response_url_answers_expire_to_an_ephemeral_and_only_slack_urls_are_used(mock_slack) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.delivery.gateway import SlackGateway

    gateway = SlackGateway(AsyncWebClient(token="xoxb-test", base_url=mock_slack.api_url), pace_seconds=0)
    now = dt.datetime.now(dt.UTC).timestamp()
    fresh = Outgoing("C1", "hi", ephemeral_to="U1", response_url=mock_slack.response_url("r1"), url_expires=now + 60)
    assert (await gateway.deliver(fresh)).ok and len(mock_slack.find("response_url")) == 1
    assert (await gateway.deliver(with_fields(fresh, url_expires=now - 1))).ok  # expired: not tried
    assert len(mock_slack.find("response_url")) == 1
    [ephemeral] = mock_slack.find("chat.postEphemeral")
    assert ephemeral.body["user"] == "U1" and ephemeral.body["channel"] == "C1"
    elsewhere = with_fields(fresh, response_url="http://198.51.100.7/steal", ephemeral_to=None)
    sent = await gateway.deliver(elsewhere)
    assert not sent.ok and sent.error == "response_url_untrusted" and len(mock_slack.find("response_url")) == 1
    in_dm = with_fields(fresh, channel="D1", url_expires=now - 1)
    assert (await gateway.deliver(in_dm)).ok  # in the user's DM with the bot: a plain message
    assert mock_slack.find("chat.postMessage", channel="D1")


async def test_purge_drops_answered_events_after_a_day_and_failed_ones_after_retention(store: Any) -> None:
    from sqlalchemy import update

    for key in ("answered-old", "answered-new", "failed-old", "failed-new", "pending-old"):
        assert await store.inbox.enqueue(key, "mention", {"text": key})
    leased = {item.event_key: item for item in await store.inbox.lease("w1", limit=10, lease_seconds=30)}
    for key in ("answered-old", "answered-new"):
        await store.inbox.complete(leased[key].id, "w1", sent=1)
    for key in ("failed-old", "failed-new"):
        await store.inbox.fail(leased[key].id, "w1", error="channel_not_found")
    await store.inbox.release("w1", [leased["pending-old"].id])
    now = dt.datetime.now(dt.UTC)
    async with store.engine.begin() as connection:
        await connection.execute(update(inbox).where(inbox.c.event_key == "answered-old")
                                 .values(finished_at=now - dt.timedelta(days=2)))
        await connection.execute(update(inbox).where(inbox.c.event_key.in_(("failed-old", "pending-old")))
                                 .values(received_at=now - dt.timedelta(days=200)))
    assert await store.questions.purge(older_than_days=180) == 2
    assert sorted(await states(store)) == ["answered-new", "failed-new", "pending-old"]  # unfinished work stays


async def test_replies_decided_by_an_earlier_attempt_are_looked_up_before_posting_even_after_a_hand_back(
        store: Any) -> None:
    """Shutdown hands work back with its attempt count lowered; a post that may have reached Slack before the
    hand-back must still be looked for (by its metadata) before it is posted again."""
    assert await store.inbox.enqueue("ev-handback", "mention", {"text": "q"})
    [item] = await store.inbox.lease("w1", limit=1, lease_seconds=30)
    replies = [Outgoing("C1", "answer"), Outgoing("C1", "note", ephemeral_to="U1")]
    await store.inbox.save_outbox(item.id, "w1", [with_fields(r).__dict__ for r in replies], [])
    await store.inbox.release("w1", [item.id])  # shutdown: mid-send, nothing recorded as sent
    [again] = await store.inbox.lease("w2", limit=1, lease_seconds=30)
    assert again.attempts == 1 and again.outbox is not None and again.sent == 0
    slack = FakeSlack()
    worker = InboxWorker(store.inbox, two_replies, slack.send, owner="w2")
    await worker._deliver(again)
    public, private = slack.sent
    assert public.metadata and public.posted_since is not None  # looked up before posting
    assert private.posted_since is None  # an ephemeral message cannot be looked up
    fresh_item = with_fields(again, outbox=None)
    assert InboxWorker._tagged(fresh_item, 0, replies[0]).posted_since is None  # first decision: nothing to find


async def test_a_question_row_the_database_refuses_does_not_keep_its_event_from_done(store) -> None:
    """The question rows and the done mark share a transaction; a row that is refused is dropped
    (logged without its text) and the event, whose replies are out, is still done."""
    await store.inbox.enqueue("EvBad", "message", {"text": "q"})
    [item] = await store.inbox.lease("w1", limit=1, lease_seconds=30)
    bad = {"ref": "EvBad#0", "asked_at": dt.datetime.now(dt.UTC), "text": None}  # text is NOT NULL
    await store.inbox.complete(item.id, "w1", sent=1, questions=[bad])
    assert (await states(store))["EvBad"] == "done"
    from sqlalchemy import func, select

    from bot.storage.schema import questions

    async with store.engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(questions))).scalar_one() == 0


def test_an_outbox_row_reads_back_as_the_same_message():
    import dataclasses
    import json

    message = Outgoing("C1", "text", [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}], "1.2",
                       response_url="https://hooks.slack.test/x", url_expires=1.5, replace_original=True)
    row = message.as_row()
    assert row == dataclasses.asdict(message)
    assert Outgoing(**json.loads(json.dumps(row))) == message


async def test_a_worker_whose_lease_ran_out_neither_leases_its_own_event_again_nor_sends_after_a_takeover(
        store: Any) -> None:
    """Heartbeats fail (database away) longer than the lease while an event is being decided. The same
    process must not lease the event a second time, and once another replica has taken it over, the first
    one sends nothing: its outbox write reports the lost lease (the new owner sends, after a lookup)."""
    from sqlalchemy import update

    assert await store.inbox.enqueue("EvSlow", "mention", {"text": "q"})
    deciding, release = asyncio.Event(), asyncio.Event()

    async def slow(item: Any) -> list[Outgoing]:
        deciding.set()
        await release.wait()
        return await two_replies(item)

    slack = FakeSlack()
    worker = InboxWorker(store.inbox, slow, slack.send, owner="w1", poll_seconds=0.05)
    worker.start()
    try:
        await asyncio.wait_for(deciding.wait(), 5)
        async with store.engine.begin() as connection:  # the lease runs out: no heartbeat got through
            await connection.execute(update(inbox).values(lease_expires=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
        [item_id] = list(worker.active)
        assert await store.inbox.lease("w1", limit=5, lease_seconds=30, busy=[item_id]) == []  # not its own again
        worker.wake()
        await asyncio.sleep(0.2)  # several lease passes of w1 meanwhile
        assert list(worker.active) == [item_id]  # one task for it, not a second one
        [taken] = await store.inbox.lease("w2", limit=5, lease_seconds=30)  # another replica takes it over
        assert taken.event_key == "EvSlow" and taken.outbox is None
        release.set()
        for _ in range(100):
            if not worker.active:
                break
            await asyncio.sleep(0.02)
        assert slack.sent == []  # w1 stopped at its outbox write: nothing posted by the old owner
        assert not await store.inbox.mark_sent(taken.id, "w1", 1)  # and no write of w1's lands any more
        assert await store.inbox.mark_sent(taken.id, "w2", 1)
    finally:
        await worker.stop(grace=0.5)


async def test_an_unreadable_row_or_a_crash_loop_fails_that_event_without_stranding_the_others(store: Any) -> None:
    """One corrupt stored payload once made every lease of its batch fail after the rows were marked
    processing, forever; and an event that brought its worker down was leased again without end."""
    from sqlalchemy import update

    from bot.storage.inbox import MAX_ATTEMPTS

    for key in ("EvA", "EvBad", "EvB", "EvLoop"):
        assert await store.inbox.enqueue(key, "mention", {"text": key})
    async with store.engine.begin() as connection:
        await connection.execute(update(inbox).where(inbox.c.event_key == "EvBad").values(payload="{not json"))
        await connection.execute(update(inbox).where(inbox.c.event_key == "EvLoop").values(attempts=MAX_ATTEMPTS))
    leased = await store.inbox.lease("w1", limit=10, lease_seconds=30)
    assert [item.event_key for item in leased] == ["EvA", "EvB"]
    found = await states(store)
    assert found["EvBad"] == "failed" and found["EvLoop"] == "failed"
    assert {k: v for k, v in found.items() if k in ("EvA", "EvB")} == {"EvA": "processing", "EvB": "processing"}
    failed = {key: reason for key, _kind, reason in await store.inbox.failed(since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))}
    assert failed == {"EvBad": "stored event unreadable", "EvLoop": f"gave up after {MAX_ATTEMPTS} attempts"}


async def test_an_outage_while_logging_an_events_questions_is_not_taken_for_a_refused_row(store: Any,
                                                                                        monkeypatch: Any) -> None:
    """Only a row the database refuses (integrity, data) is dropped with a warning; an outage fails the
    write, so the event stays unfinished and its questions are logged when it is finished again."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError

    from bot.storage.schema import questions

    await store.inbox.enqueue("EvQ", "message", {"text": "q"})
    [item] = await store.inbox.lease("w1", limit=1, lease_seconds=30)
    row = {"ref": "EvQ#0", "asked_at": dt.datetime.now(dt.UTC), "source": "dm", "text": "q", "kind": "answered",
           "confidence": 0.9}
    real = store.inbox._write_question_rows
    outage = True

    async def flaky(connection: Any, rows: list[dict[str, Any]]) -> None:
        if outage:
            raise OperationalError("INSERT INTO questions", {}, Exception("database is locked"))
        await real(connection, rows)

    monkeypatch.setattr(store.inbox, "_write_question_rows", flaky)
    try:
        await store.inbox.complete(item.id, "w1", sent=1, questions=[row])
    except OperationalError:
        pass
    else:
        raise AssertionError("an outage must fail the write, not drop the rows")
    assert (await states(store))["EvQ"] == "processing"  # not done: it is finished again later
    outage = False
    await store.inbox.complete(item.id, "w1", sent=1, questions=[row])
    assert (await states(store))["EvQ"] == "done"
    async with store.engine.connect() as connection:
        assert (await connection.execute(select(func.count()).select_from(questions)
                                         .where(questions.c.ref == "EvQ#0"))).scalar() == 1
