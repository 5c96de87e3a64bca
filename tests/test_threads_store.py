"""The thread memory (bot/storage/threads.py) on SQLite and PostgreSQL: remember, find within a window,
mark another person's reply, prune, and keep user ids hashed."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import select

from bot.storage import Storage, utcnow
from bot.storage.schema import conversation_threads
from bot.storage.threads import KEEP, QUESTION_LIMIT

WINDOW = dt.timedelta(minutes=30)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def with_clock(store: Storage) -> Clock:
    clock = Clock()
    store.threads.clock = clock
    return clock


async def all_rows(store: Storage) -> list[dict]:
    async with store.engine.connect() as connection:
        return [dict(r) for r in (await connection.execute(select(conversation_threads))).mappings().all()]


async def test_a_remembered_thread_is_found_within_the_window_only(store: Storage) -> None:
    clock = with_clock(store)
    await store.threads.remember("C1", "1700000001.000100", user_id="UASKER", question="what is rbac?",
                                 faq_id="rbac-least-privilege")
    memory = await store.threads.find("C1", "1700000001.000100", within=WINDOW)
    assert memory is not None and memory.question == "what is rbac?" and memory.faq_id == "rbac-least-privilege"
    assert memory.other_reply_ts is None and memory.answered_at == clock.now
    assert store.threads.is_asker(memory, "UASKER") and not store.threads.is_asker(memory, "UOTHER")
    assert not store.threads.is_asker(memory, None)
    assert await store.threads.find("C1", "1700000009.000100", within=WINDOW) is None  # another thread
    assert await store.threads.find("C2", "1700000001.000100", within=WINDOW) is None  # another channel
    clock.advance(minutes=31)
    assert await store.threads.find("C1", "1700000001.000100", within=WINDOW) is None
    assert await store.threads.find("C1", "1700000001.000100") is not None  # still known without a window


async def test_answering_a_follow_up_restarts_the_window_and_keeps_the_topic(store: Storage) -> None:
    clock = with_clock(store)
    await store.threads.remember("C1", "1700000001.000100", user_id="U1", question="first question")
    clock.advance(minutes=25)
    await store.threads.answered_again("C1", "1700000001.000100", faq_id="secrets-encryption")
    clock.advance(minutes=25)
    memory = await store.threads.find("C1", "1700000001.000100", within=WINDOW)
    assert memory is not None and memory.question == "first question" and memory.faq_id == "secrets-encryption"


async def test_another_persons_reply_is_marked_once_earliest_first_never_the_askers(store: Storage) -> None:
    await store.threads.remember("C1", "1700000001.000100", user_id="UASKER", question="q")
    assert not await store.threads.mark_other_reply("C1", "1700000001.000100", ts="1700000002.000100",
                                                    user_id="UASKER")
    assert await store.threads.mark_other_reply("C1", "1700000001.000100", ts="1700000005.000100", user_id="UB")
    assert not await store.threads.mark_other_reply("C1", "1700000001.000100", ts="1700000007.000100",
                                                    user_id="UC")
    assert await store.threads.mark_other_reply("C1", "1700000001.000100", ts="1700000004.000900", user_id="UC")
    assert not await store.threads.mark_other_reply("C9", "1700000001.000100", ts="1700000004.000900",
                                                    user_id="UC")  # unknown thread: nothing to mark
    memory = await store.threads.find("C1", "1700000001.000100")
    assert memory is not None and memory.other_reply_ts == "1700000004.000900"
    # The asker's messages before someone else spoke are theirs to follow up; later ones are not.
    assert not memory.quiet_for("1700000004.000800")
    assert memory.quiet_for("1700000004.000900") and memory.quiet_for("1700000010.000100")


async def test_a_new_question_in_the_thread_makes_a_new_asker_and_forgets_the_others(store: Storage) -> None:
    await store.threads.remember("C1", "1700000001.000100", user_id="UA", question="first")
    await store.threads.mark_other_reply("C1", "1700000001.000100", ts="1700000002.000100", user_id="UB")
    await store.threads.remember("C1", "1700000001.000100", user_id="UB", question="second")
    memory = await store.threads.find("C1", "1700000001.000100")
    assert memory is not None and memory.question == "second" and memory.other_reply_ts is None
    assert store.threads.is_asker(memory, "UB") and not store.threads.is_asker(memory, "UA")
    assert len(await all_rows(store)) == 1


async def test_ids_are_hashed_questions_bounded_and_old_rows_pruned(store: Storage) -> None:
    clock = with_clock(store)
    await store.threads.remember("C1", "1700000001.000100", user_id="U012ABCDEF", question="x" * 5000)
    [row] = await all_rows(store)
    assert row["user_hash"] != "U012ABCDEF" and "U012ABCDEF" not in repr(row)
    assert len(row["question"]) == QUESTION_LIMIT
    clock.advance(seconds=KEEP.total_seconds() + 60)
    await store.threads.remember("C2", "1700000002.000100", user_id="U2", question="later\x00 \ud800")
    rows = await all_rows(store)
    assert [(r["channel_id"], r["question"]) for r in rows] == [("C2", "later ?")]


async def test_the_inbox_worker_remembers_a_thread_in_the_transaction_that_keeps_the_outbox(store: Storage) -> None:
    """An answer worked from the inbox: its thread memory is written with the outbox, before any reply is
    sent, so a follow-up never finds the thread unknown. A memory row the database refuses costs only the
    memory: the outbox is kept (the answer matters more than the follow-ups), alone or in a batch."""
    assert await store.inbox.enqueue("ev-thread", "mention", {"text": "q"})
    [item] = await store.inbox.lease("w1", limit=1, lease_seconds=30)
    row = store.threads.memory_row("C1", "1700000001.000100", user_id="UASKER", question="what is rbac?",
                                   faq_id="rbac-good-practices")
    assert await all_rows(store) == []  # building the row writes nothing
    await store.inbox.save_outbox(item.id, "w1", [{"channel": "C1", "text": "answer"}], [], [row])
    memory = await store.threads.find("C1", "1700000001.000100", within=WINDOW)
    assert memory is not None and memory.faq_id == "rbac-good-practices" and store.threads.is_asker(memory, "UASKER")
    assert memory.user_hash != "UASKER"  # hashed like every stored user id

    for key in ("ev-refused", "ev-beside"):
        assert await store.inbox.enqueue(key, "mention", {"text": "q"})
    refused, beside = await store.inbox.lease("w1", limit=2, lease_seconds=30)
    bad = {**row, "thread_ts": "1700000002.000100", "user_hash": None}  # user_hash is NOT NULL
    good = {**row, "thread_ts": "1700000003.000100"}
    await asyncio.gather(  # one batch: it fails as a whole, then each event is written alone
        store.inbox.save_outbox(refused.id, "w1", [{"channel": "C1", "text": "refused"}], [], [bad]),
        store.inbox.save_outbox(beside.id, "w1", [{"channel": "C1", "text": "beside"}], [], [good]))
    await store.inbox.release("w1", [refused.id, beside.id])
    again = {item.event_key: item for item in await store.inbox.lease("w2", limit=2, lease_seconds=30)}
    assert again["ev-refused"].outbox == [{"channel": "C1", "text": "refused"}]  # the answer is kept
    assert again["ev-beside"].outbox == [{"channel": "C1", "text": "beside"}]
    assert await store.threads.find("C1", "1700000002.000100") is None  # only the refused memory is lost
    assert await store.threads.find("C1", "1700000003.000100") is not None
