"""The question log on SQLite and PostgreSQL: migrations, privacy, event dedupe, retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac

import pytest
from sqlalchemy import func, inspect, select, update

from bot.core.knowledge import FaqEntry, Route
from bot.core.reply import AskContext, Reply, ReplyKind
from bot.delivery.jobs import retention_loop
from bot.storage import Storage, upgrade_database, utcnow
from bot.storage.batching import GroupCommit
from bot.storage.schema import ALL_TABLES, feedback, metadata, processed_events, questions, suggestion_picks

ENTRY = FaqEntry(id="report-vulnerability", question="How do I report a vulnerability?", answer="Privately.")
OTHER = FaqEntry(id="rotate-certs", question="How do I rotate certificates?", answer="kubeadm certs renew.")
ROUTE = Route(id="sig-auth", name="SIG Auth", channel="#sig-auth", link="https://github.com/kubernetes/community")


def reply(kind: ReplyKind = ReplyKind.ANSWERED, question: str = "how do I report a vuln?", **extra) -> Reply:
    defaults = {"entry": ENTRY if kind in (ReplyKind.ANSWERED, ReplyKind.PRIVATE) else None,
                "confidence": 0.9, "normalized": question.lower().rstrip("?")}
    defaults.update(extra)
    return Reply(kind=kind, question=question, message="answer", **defaults)


async def rows(store: Storage, table, *where):
    async with store.engine.connect() as connection:
        return (await connection.execute(select(table).where(*where))).mappings().all()


async def backdate(store: Storage, table, column, *, days: float = 0, seconds: float = 0, where=()) -> None:
    async with store.engine.begin() as connection:
        await connection.execute(
            update(table).where(*where).values({column: utcnow() - dt.timedelta(days=days, seconds=seconds)})
        )


# --------------------------------------------------------------------------- migrations


async def test_migrations_apply_twice_and_match_the_models(database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    await upgrade_database(database.url, connect_args=database.connect_args)
    await upgrade_database(database.url, connect_args=database.connect_args)  # idempotent
    store = await Storage.open(database.url, connect_args=database.connect_args)  # and a third time
    try:
        def check(sync_connection):
            names = set(inspect(sync_connection).get_table_names())
            context = MigrationContext.configure(sync_connection, opts={"compare_type": True})
            return names, context.get_current_revision(), compare_metadata(context, metadata)

        async with store.engine.connect() as connection:
            names, revision, diffs = await connection.run_sync(check)
        assert {table.name for table in ALL_TABLES} | {"alembic_version"} <= names
        assert revision is not None
        assert diffs == [], "bot/storage/schema.py tables and bot/storage/migrations disagree"
    finally:
        await store.close()


async def test_open_without_migrate_and_ping(database) -> None:
    await upgrade_database(database.url, connect_args=database.connect_args)
    store = await Storage.open(database.url, migrate=False, connect_args=database.connect_args)
    assert await store.ping() is True
    await store.close()


async def test_ping_false_when_unreachable() -> None:
    store = await Storage.open("postgresql+asyncpg://nobody:hunter2@127.0.0.1:1/none", migrate=False)
    try:
        assert await store.ping() is False
        assert "hunter2" not in repr(store) and "nobody" not in repr(store)
    finally:
        await store.close()


async def test_repr_hides_credentials() -> None:
    store = await Storage.open("sqlite+aiosqlite://", user_id_salt="pepper-secret")
    try:
        assert "pepper-secret" not in repr(store) and "pepper-secret" not in str(store)
        assert "sqlite" in repr(store)
    finally:
        await store.close()


async def test_sqlite_uses_wal(tmp_path) -> None:
    store = await Storage.open(f"sqlite+aiosqlite:///{tmp_path / 'wal.db'}")
    try:
        async with store.engine.connect() as connection:
            mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
            timeout = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
        assert mode == "wal" and timeout > 0
    finally:
        await store.close()


# --------------------------------------------------------------------------- question log


async def test_log_question_hashes_the_user(store: Storage) -> None:
    context = AskContext(user_id="U012ABCDEF", channel_id="C0SECURITY", source="mention")
    question_id = await store.questions.log_question(
        reply(ReplyKind.SUGGESTIONS, suggestions=(ENTRY, OTHER), route=ROUTE, confidence=0.41), context
    )
    (row,) = await rows(store, questions, questions.c.id == question_id)
    expected = hmac.new(b"sigsec-bot", b"U012ABCDEF", hashlib.sha256).hexdigest()
    assert row["user_hash"] == expected
    assert row["kind"] == "suggestions" and row["source"] == "mention" and row["channel_id"] == "C0SECURITY"
    assert row["text"] == "how do I report a vuln?" and row["normalized"] == "how do i report a vuln"
    assert row["suggestion_ids"] == "report-vulnerability,rotate-certs" and row["route_id"] == "sig-auth"
    assert row["faq_id"] is None and row["confidence"] == pytest.approx(0.41)
    assert row["asked_at"].tzinfo is not None and abs(row["asked_at"] - utcnow()) < dt.timedelta(minutes=1)
    # The raw id appears nowhere in the database.
    for table in ALL_TABLES:
        for stored in await rows(store, table):
            assert "U012ABCDEF" not in repr(dict(stored))


async def test_salt_changes_the_hash_and_keep_user_ids_keeps_them(database) -> None:
    salted = await Storage.open(database.url, user_id_salt="other", connect_args=database.connect_args)
    raw = await Storage.open(database.url, keep_user_ids=True, migrate=False, connect_args=database.connect_args)
    try:
        first = await salted.questions.log_question(reply(), AskContext(user_id="U1"))
        second = await raw.questions.log_question(reply(), AskContext(user_id="U1"))
        (row1,) = await rows(salted, questions, questions.c.id == first)
        (row2,) = await rows(raw, questions, questions.c.id == second)
        assert row1["user_hash"] == hmac.new(b"other", b"U1", hashlib.sha256).hexdigest()
        assert row2["user_hash"] == "U1"
        assert row1["faq_id"] == "report-vulnerability"
    finally:
        await salted.close()
        await raw.close()


async def test_private_questions_store_only_the_fact(store: Storage) -> None:
    secret = "RCE in kube-apiserver via crafted CRD, PoC attached"
    question_id = await store.questions.log_question(
        reply(ReplyKind.PRIVATE, question=secret, route=ROUTE),
        AskContext(user_id="U777", channel_id="C1", source="dm"),
    )
    (row,) = await rows(store, questions, questions.c.id == question_id)
    assert row["kind"] == "private" and row["channel_id"] == "C1"
    assert row["text"] is None and row["normalized"] is None and row["user_hash"] is None
    assert row["faq_id"] is None and row["route_id"] is None and row["suggestion_ids"] is None
    assert "crafted" not in repr(dict(row))


async def test_question_ids_increase(store: Storage) -> None:
    ids = [await store.questions.log_question(reply(), AskContext()) for _ in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3


# --------------------------------------------------------------------------- event dedupe


async def test_claim_event_once_then_done(store: Storage) -> None:
    assert await store.claims.claim_event("Ev1") is True
    assert await store.claims.claim_event("Ev1") is False  # another replica, same delivery
    await store.claims.finish_event("Ev1")
    assert await store.claims.claim_event("Ev1") is False
    await backdate(store, processed_events, "claimed_at", days=1)
    assert await store.claims.claim_event("Ev1", stale_after=0) is False  # 'done' is never re-claimed
    assert await store.claims.claim_event("Ev2") is True


async def test_twenty_concurrent_claims_yield_exactly_one(store: Storage) -> None:
    results = await asyncio.gather(*(store.claims.claim_event("EvRace") for _ in range(20)))
    assert results.count(True) == 1


async def test_concurrent_claims_across_store_instances(database, store: Storage) -> None:
    replicas = [await Storage.open(database.url, migrate=False, connect_args=database.connect_args) for _ in range(3)]
    try:
        results = await asyncio.gather(*(s.claims.claim_event(f"Ev{n % 5}") for n in range(40) for s in (*replicas, store)))
        assert results.count(True) == 5
    finally:
        for replica in replicas:
            await replica.close()


async def test_stale_processing_claim_is_reclaimed_by_exactly_one(store: Storage) -> None:
    assert await store.claims.claim_event("EvCrash") is True  # this process then "crashes"
    assert await store.claims.claim_event("EvCrash", stale_after=60) is False  # too fresh to take over
    await backdate(store, processed_events, "claimed_at", seconds=120)
    results = await asyncio.gather(*(store.claims.claim_event("EvCrash", stale_after=60) for _ in range(20)))
    assert results.count(True) == 1
    assert await store.claims.claim_event("EvCrash", stale_after=60) is False  # the new claim is fresh
    await store.claims.finish_event("EvCrash")
    (row,) = await rows(store, processed_events)
    assert row["state"] == "done" and row["finished_at"] is not None


# --------------------------------------------------------------------------- welcome, feedback, picks


async def test_mark_welcomed_only_once(store: Storage) -> None:
    assert await store.claims.mark_welcomed("U1") is True
    assert await store.claims.mark_welcomed("U1") is False
    assert await store.claims.mark_welcomed("U2") is True
    results = await asyncio.gather(*(store.claims.mark_welcomed("U3") for _ in range(10)))
    assert results.count(True) == 1


async def test_feedback_and_picks(store: Storage) -> None:
    question_id = await store.questions.log_question(reply(), AskContext(user_id="U1"))
    record = store.questions.record_feedback
    assert await record(question_id=question_id, user_id="U1", helpful=False) is True
    assert await record(question_id=None, user_id="U2", helpful=True) is False  # names no question
    assert await record(question_id=987654, user_id="U2", helpful=True) is False  # never logged or purged
    assert await record(question_id=question_id, user_id="U2", helpful=False) is True
    assert await record(question_id=question_id, user_id="U1", helpful=True) is True  # U1 changes their vote
    votes = sorted(await rows(store, feedback), key=lambda r: r["id"])
    # One vote per person; the entry is the one the log says was answered, whatever the button claimed.
    assert [(v["question_id"], v["faq_id"], v["helpful"]) for v in votes] == [
        (question_id, "report-vulnerability", True), (question_id, "report-vulnerability", False)]
    assert votes[0]["user_hash"] != "U1" and len(votes[0]["user_hash"]) == 64

    await store.questions.record_suggestion_pick(question_id=question_id, faq_id="rotate-certs")
    await store.questions.record_suggestion_pick(question_id=987654, faq_id="rotate-certs")  # ignored
    (pick,) = await rows(store, suggestion_picks)
    assert (pick["question_id"], pick["faq_id"]) == (question_id, "rotate-certs")


async def test_popular_entries(store: Storage) -> None:
    for entry, n in ((ENTRY, 3), (OTHER, 5)):
        for _ in range(n):
            await store.questions.log_question(reply(entry=entry), AskContext())
    await store.questions.log_question(reply(entry=OTHER), AskContext(), asked_at=utcnow() - dt.timedelta(days=40))
    await store.questions.log_question(reply(ReplyKind.UNKNOWN), AskContext())
    assert await store.questions.popular_entries(days=30) == [("rotate-certs", 5), ("report-vulnerability", 3)]
    assert await store.questions.popular_entries(days=60, limit=1) == [("rotate-certs", 6)]


# --------------------------------------------------------------------------- retention


async def test_purge_by_age(store: Storage) -> None:
    old = await store.questions.log_question(reply(), AskContext(), asked_at=utcnow() - dt.timedelta(days=200))
    new = await store.questions.log_question(reply(), AskContext())
    await store.questions.record_feedback(question_id=old, user_id="U1", helpful=True)  # old vote
    await store.questions.record_feedback(question_id=old, user_id="U2", helpful=False)  # recent vote
    await store.questions.record_feedback(question_id=new, user_id="U1", helpful=True)
    await store.questions.record_suggestion_pick(question_id=old, faq_id="a")
    await store.questions.record_suggestion_pick(question_id=new, faq_id="a")
    await store.claims.claim_event("EvOld")
    await store.claims.claim_event("EvNew")
    await backdate(store, feedback, "created_at", days=199,
                   where=[feedback.c.question_id == old, feedback.c.user_hash == store.user_key("U1")])
    await backdate(store, processed_events, "claimed_at", days=199, where=[processed_events.c.event_id == "EvOld"])

    # old question + its pick + the old vote + the old event
    assert await store.questions.purge(older_than_days=180) == 4
    assert [r["id"] for r in await rows(store, questions)] == [new]
    assert sorted((r["helpful"], r["question_id"] or 0) for r in await rows(store, feedback)) == [(False, 0), (True, new)]
    assert [r["question_id"] for r in await rows(store, suggestion_picks)] == [new]
    assert [r["event_id"] for r in await rows(store, processed_events)] == ["EvNew"]
    assert await store.questions.purge(older_than_days=180) == 0


async def test_retention_loop_purges_and_survives_errors(store: Storage, monkeypatch) -> None:
    await store.questions.log_question(reply(), AskContext(), asked_at=utcnow() - dt.timedelta(days=10))
    calls = 0
    real_purge = store.questions.purge

    async def flaky_purge(**kwargs):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database restarting")
        return await real_purge(**kwargs)

    monkeypatch.setattr(store.questions, "purge", flaky_purge)
    task = asyncio.create_task(retention_loop(store, 5, interval=0.01))
    for _ in range(200):
        await asyncio.sleep(0.01)
        async with store.engine.connect() as connection:
            if (await connection.execute(select(func.count()).select_from(questions))).scalar() == 0:
                break
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls >= 2
    assert await rows(store, questions) == []


# --------------------------------------------------------------------------- group commit


async def test_group_commit_batches_concurrent_writes_and_keeps_each_result():
    calls: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        calls.append(items)
        return [item * 10 for item in items]

    batch = GroupCommit(write, delay=0.01)
    results = await asyncio.gather(*(batch.submit(n) for n in range(50)))
    assert results == [n * 10 for n in range(50)]
    assert len(calls) == 1 and calls[0] == list(range(50))


async def test_group_commit_failure_reaches_every_caller_of_the_batch():
    async def write(items: list[int]) -> list[int]:
        raise RuntimeError("database down")

    batch = GroupCommit(write, delay=0.001)
    outcomes = await asyncio.gather(*(batch.submit(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)


async def test_group_commit_splits_at_max_items_and_drains():
    sizes: list[int] = []

    async def write(items: list[int]) -> list[None]:
        sizes.append(len(items))
        return [None] * len(items)

    batch = GroupCommit(write, delay=10.0, max_items=4)  # only size, or drain, can close a batch
    pending = [asyncio.ensure_future(batch.submit(n)) for n in range(10)]
    await asyncio.sleep(0)
    await batch.drain()
    await asyncio.gather(*pending)
    assert sorted(sizes) == [2, 4, 4]


async def test_concurrent_logging_gets_distinct_ids_in_order(store):
    replies = [Reply(ReplyKind.ANSWERED, question=f"q{n}", message="t", confidence=0.9) for n in range(30)]
    ids = await asyncio.gather(*(store.questions.log_question(r, AskContext(user_id=f"U{n}")) for n, r in enumerate(replies)))
    assert len(set(ids)) == 30 and ids == sorted(ids)
    async with store.engine.connect() as connection:
        rows = dict((await connection.execute(select(questions.c.id, questions.c.text))).all())
    assert [rows[i] for i in ids] == [f"q{n}" for n in range(30)]


async def test_cve_feed_store_round_trip_and_upsert(store: Storage) -> None:
    from bot.cve.feed import FeedItem

    assert await store.cve_feed.load() is None
    first = utcnow()
    items = [FeedItem("CVE-2099-0001", "https://example.invalid/1", None, "summary one", None, "2099-01-01", "open", 1),
             FeedItem("CVE-2099-0002", None, None, "naïve ✓", None, None, None)]
    await store.cve_feed.save(items, first)
    later = first + dt.timedelta(hours=6)
    await store.cve_feed.save([FeedItem("CVE-2099-0001", "https://example.invalid/1", None, "summary one",
                                        None, "2099-01-01", "fixed", 1)], later)
    stored = await store.cve_feed.load()
    assert stored is not None and stored.fetched_at == later
    assert [(i.id, i.status, i.summary) for i in stored.items] == [("CVE-2099-0001", "fixed", "summary one"),
                                                                  ("CVE-2099-0002", None, "naïve ✓")]


async def test_questions_logged_after_the_reply_are_named_by_their_reference(store: Storage) -> None:
    """Rows the inbox worker writes after a reply: insert-or-ignore on `ref`; votes, reasons and picks find
    them by it; reasons are counted for the report."""
    row = {**store.questions.question_row(reply(), AskContext(user_id="U1")), "ref": "Ev9#0"}
    await store.inbox.log_questions([row])
    await store.inbox.log_questions([row])  # a retry or a takeover
    [logged] = [q for q in await rows(store, questions) if q["ref"] == "Ev9#0"]
    record = store.questions.record_feedback
    assert await record(question_id="Ev9#1", user_id="U1", helpful=False) is False  # not (yet) logged
    assert await record(question_id="Ev9#0", user_id="U1", helpful=False) is True
    assert await record(question_id="Ev9#0", user_id="U1", helpful=False, reason="outdated", comment="old") is True
    assert await record(question_id="Ev9#0", user_id="U2", helpful=False, reason="wrong") is True
    votes = sorted(await rows(store, feedback), key=lambda r: r["id"])
    assert [(v["question_id"], v["reason"], v["comment"]) for v in votes] == [
        (logged["id"], "outdated", "old"), (logged["id"], "wrong", None)]
    now = utcnow()
    counts = await store.questions.reason_counts(since=now - dt.timedelta(days=1), until=now + dt.timedelta(minutes=1))
    assert counts == {"outdated": 1, "wrong": 1}
    assert await store.questions.record_suggestion_pick(question_id="Ev9#0", faq_id="rotate-certs") is True
    assert await store.questions.record_suggestion_pick(question_id="nope#0", faq_id="rotate-certs") is False
