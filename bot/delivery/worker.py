"""The inbox worker: leases accepted events, works them, sends their replies, and never drops one.

    listener: worker.accept(event): stored pending before the 2xx, then the lease loop is woken
    worker:   lease (owner, expiry) -> decide and render once (kept in the row's outbox, with the
              question-log rows; the answers' thread memory is written in that transaction) -> send
              each reply not yet sent -> log the questions and mark the
              event done (one transaction); heartbeats keep live leases; an expired lease (a crashed
              process) is leased again by any replica
    The question log is written after the reply (bot.core.reply.LogLater), insert-or-ignore on each
    row's reference, so a slow or locked log write never delays a reply and a retry never logs twice.
    Public replies carry metadata (the event key and the reply's index); on a retry or a takeover the
    first unsent one is looked up by it before it is posted (bot.delivery.gateway).
    Slack 429 / 5xx / timeouts: retried with backoff and jitter (Retry-After honoured) for up to
    `retry_for` seconds from receipt, then `failed` with the reason; other Slack errors fail at once.
    A reply later than `late_after` seconds starts with a short apology.
    stop(grace): no new leases; what does not finish in the grace period is handed back (pending).

At most `capacity` events are worked at once (backpressure): the rest wait in the inbox, so memory
stays bounded under any backlog.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import socket
import time
import uuid
from dataclasses import replace
from typing import Any, Awaitable, Callable

from bot.core import messages as M
from bot.core.reply import LOG_LATER, LogLater
from bot.delivery.gateway import REPLY_EVENT_TYPE, Outgoing, Sent
from bot.logs import log_event
from bot.storage.inbox import Inbox, InboxItem

log = logging.getLogger("sigsec.inbox")

# After a wake, the lease pass waits this long for more events: under load they are then leased, decided
# and written in groups. bench_e2e, lexical, two interleaved runs each (docs/benchmarks.md): SQLite
# 212-219 -> 309-325 events/s, p99 at 100 events/s 147-214 -> 97-109 ms; 20 ms was no better. An event
# alone pays these 10 ms once.
COALESCE_SECONDS = 0.01
Process = Callable[[InboxItem], Awaitable[list[Outgoing]]]
Send = Callable[[Outgoing], Awaitable[Sent]]


def worker_id() -> str:
    """This process's lease owner name: host, pid and a random suffix (unique across restarts)."""
    return f"{socket.gethostname()[:32]}-{uuid.uuid4().hex[:8]}"


def with_apology(message: Outgoing) -> Outgoing:
    """The same reply, starting with a sentence that says it is late."""
    blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": M.LATE_REPLY}]}, *(message.blocks or [])]
    return replace(message, text=f"{M.LATE_REPLY} {message.text}", blocks=blocks)


class InboxWorker:
    """Works the inbox for one process."""

    def __init__(self, inbox: Inbox, process: Process, send: Send, *, owner: str | None = None,
                 capacity: int = 32, lease_seconds: float = 30.0, poll_seconds: float = 1.0,
                 retry_for: float = 600.0, late_after: float = 900.0, backoff_base: float = 1.0,
                 backoff_cap: float = 60.0, coalesce_seconds: float = COALESCE_SECONDS,
                 on_delivered: Callable[[InboxItem], None] | None = None) -> None:
        self.inbox = inbox
        self.process = process
        self.send = send
        self.owner = owner or worker_id()
        self.capacity = capacity
        self.lease_seconds = lease_seconds
        self.poll_seconds = poll_seconds
        self.retry_for = retry_for
        self.late_after = late_after
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.coalesce_seconds = coalesce_seconds
        # Called once Slack accepted every reply of an event that asked a question (reply latency metrics;
        # clicks, welcomes and other commands are not questions).
        self.on_delivered = on_delivered
        self._depth: tuple[int, dt.datetime | None] = (0, None)  # refreshed when /metrics is scraped
        self.active: dict[int, asyncio.Task[None]] = {}
        # Bumped whenever pending rows may be waiting (start, an event stored pending, a full lease pass):
        # a finished event then wakes the lease loop; a pass that found fewer than it could take clears it.
        self._backlog_generation = 1
        self._backlog_cleared = 0
        self._wake = asyncio.Event()
        self._stopping = False
        self._idle = False
        self._loops: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._loops = [asyncio.create_task(self._lease_loop(), name="inbox-lease"),
                       asyncio.create_task(self._heartbeat_loop(), name="inbox-heartbeat")]

    def wake(self) -> None:
        """Something was stored pending: lease now rather than at the next poll."""
        self._backlog_generation += 1
        self._wake.set()

    async def accept(self, event_key: str, kind: str, payload: dict[str, Any]) -> bool:
        """Store one event (pending) before Slack gets its 2xx and wake the lease loop; False for a
        duplicate (a Slack retry). Storage errors propagate (no 2xx then). A lease pass takes every event
        that arrived meanwhile, so under load they are decided together and share each write's round trip.
        """
        stored = await self.inbox.enqueue(event_key, kind, payload)
        if stored:
            self.wake()
        return stored

    async def stop(self, grace: float = 10.0) -> int:
        """Finish the accepted work that fits in `grace` seconds (the server takes no new events by now),
        then stop leasing and hand the rest back. Returns how many events were handed back."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        self._idle = False
        while loop.time() < deadline and not (self._idle and not self.active):
            self._wake.set()
            await asyncio.sleep(0.05)
        self._stopping = True
        self._wake.set()
        if self.active:
            await asyncio.wait(set(self.active.values()), timeout=max(0.0, deadline - loop.time()))
        left = {item_id: task for item_id, task in self.active.items() if not task.done()}
        for task in left.values():
            task.cancel()
        await asyncio.gather(*left.values(), return_exceptions=True)
        for task in self._loops:
            task.cancel()
        await asyncio.gather(*self._loops, return_exceptions=True)
        try:
            await self.inbox.release(self.owner, list(left))
        except Exception as exc:  # noqa: BLE001 - their leases expire and another replica takes them
            log_event(log, "inbox_release_failed", error=type(exc).__name__, events=len(left))
        if left:
            log_event(log, "inbox_handed_back", events=len(left))
        return len(left)

    # ------------------------------------------------------------------ loops

    async def _lease_loop(self) -> None:
        while not self._stopping:
            self._wake.clear()  # before leasing: a wake() during the lease must not be lost
            free = self.capacity - len(self.active)
            generation = self._backlog_generation
            items: list[InboxItem] = []
            if free > 0:
                try:
                    items = await self.inbox.lease(self.owner, limit=free, lease_seconds=self.lease_seconds,
                                                   busy=list(self.active))
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - database away: the events wait in it, try again
                    log_event(log, "inbox_lease_failed", level=logging.WARNING, error=type(exc).__name__)
                else:
                    if len(items) >= free:
                        self._backlog_generation += 1  # more may be due
                    elif generation == self._backlog_generation:
                        self._backlog_cleared = generation  # nothing else due (as of this pass)
            for item in items:
                self.active[item.id] = asyncio.create_task(self._work(item), name=f"inbox:{item.kind}")
            self._idle = free > 0 and not items  # nothing due was left to lease
            if len(items) < free or free <= 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
                except asyncio.TimeoutError:
                    pass
                else:
                    # Woken by new work: let what arrives in the next few ms join the same lease pass,
                    # so those events are decided together and share each write's round trip.
                    await asyncio.sleep(self.coalesce_seconds)

    async def refresh_backlog(self) -> None:
        """Read the backlog gauge's values (one query; called when /metrics is scraped)."""
        self._depth = await self.inbox.depth()

    def backlog(self) -> tuple[int, float]:
        """(accepted events not finished, age in seconds of the oldest), as of the last refresh."""
        count, oldest = self._depth
        age = (dt.datetime.now(dt.UTC) - oldest).total_seconds() if oldest is not None and count else 0.0
        return count, max(age, 0.0)

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                await self.inbox.heartbeat(self.owner, list(self.active), lease_seconds=self.lease_seconds)
            except Exception as exc:  # noqa: BLE001 - a missed beat only risks a takeover, never a loss
                log_event(log, "inbox_heartbeat_failed", level=logging.WARNING, error=type(exc).__name__)

    # ------------------------------------------------------------------ one event

    async def _work(self, item: InboxItem) -> None:
        try:
            await self._deliver(item)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug or an outage while working it: retry, then fail
            try:
                await self._retry_or_fail(item, f"{type(exc).__name__}", retry_after=None, permanent=False)
            except Exception as again:  # noqa: BLE001 - database away: its lease runs out and it is leased again
                log_event(log, "inbox_retry_failed", level=logging.WARNING, error=type(again).__name__)
        finally:
            self.active.pop(item.id, None)
            if not self._stopping and self._backlog_cleared != self._backlog_generation:
                self._wake.set()  # a slot is free and pending rows may be waiting for it

    async def _deliver(self, item: InboxItem) -> None:
        if item.outbox is None:
            later = LogLater(item.event_key)
            token = LOG_LATER.set(later)  # questions answered now are logged after the reply
            try:
                outgoing = await self.process(item)
            finally:
                LOG_LATER.reset(token)
            item = replace(item, questions=later.rows)
            if not await self.inbox.save_outbox(item.id, self.owner, [message.as_row() for message in outgoing],
                                                later.rows, later.thread_rows):
                self._lost(item)
                return
        else:
            outgoing = [Outgoing(**message) for message in item.outbox]
        late = time.time() - item.received_at.timestamp() > self.late_after
        for index in range(item.sent, len(outgoing)):
            message = with_apology(outgoing[index]) if late and index == item.sent == 0 else outgoing[index]
            sent = await self.send(self._tagged(item, index, message))
            if not sent.ok:
                await self._retry_or_fail(item, sent.error or "unknown", retry_after=sent.retry_after,
                                          permanent=not sent.retryable)
                return
            if index + 1 < len(outgoing) and not await self.inbox.mark_sent(item.id, self.owner, index + 1):
                self._lost(item)  # the last one is recorded with `complete`
                return
        await self.inbox.complete(item.id, self.owner, sent=len(outgoing), questions=item.questions)
        if outgoing and item.questions and self.on_delivered is not None:
            self.on_delivered(item)

    @staticmethod
    def _lost(item: InboxItem) -> None:
        """Another replica took the event over (this process's lease ran out while its heartbeats failed):
        it sends what is left, after looking up what this one may have posted."""
        log_event(log, "inbox_lease_lost", level=logging.WARNING, kind=item.kind)

    @staticmethod
    def _tagged(item: InboxItem, index: int, message: Outgoing) -> Outgoing:
        """A public post carries its event key and index as metadata. When the replies were decided by an
        earlier attempt (the outbox came from the database: a retry, a takeover or work handed back at
        shutdown), the first one not recorded as sent may have reached Slack, so it is looked up first."""
        if message.ephemeral_to or message.response_url:
            return message
        metadata = {"event_type": REPLY_EVENT_TYPE, "event_payload": {"key": item.event_key, "i": index}}
        since = item.received_at.timestamp() if item.outbox is not None and index == item.sent else None
        return replace(message, metadata=metadata, posted_since=since)

    async def _log_questions(self, item: InboxItem) -> None:
        """The event's question-log rows, once its replies went out (insert-or-ignore: a retry is harmless)."""
        if not item.questions:
            return
        try:
            await self.inbox.log_questions(item.questions)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the reply is out; a row the database refuses is reported
            log.warning("could not log a question: %s", type(exc).__name__)  # never the question itself

    async def _retry_or_fail(self, item: InboxItem, error: str, *, retry_after: float | None,
                             permanent: bool) -> None:
        age = time.time() - item.received_at.timestamp()
        delay = retry_after if retry_after is not None else min(
            self.backoff_cap, self.backoff_base * 2 ** max(item.attempts - 1, 0)) * random.uniform(0.5, 1.5)
        if permanent or age + delay > self.retry_for:
            reason = error if permanent else f"gave up after {int(age)} s: {error}"
            await self._log_questions(item)  # asked, even if never answered
            await self.inbox.fail(item.id, self.owner, error=reason)
            log_event(log, "inbox_failed", level=logging.ERROR, kind=item.kind, reason=reason[:120])
            return
        await self.inbox.retry_later(item.id, self.owner, delay=delay, error=error)
        log_event(log, "inbox_retry", kind=item.kind, error=error[:80], delay_s=round(delay, 2),
                  attempt=item.attempts)


__all__ = ["InboxWorker", "with_apology", "worker_id"]
