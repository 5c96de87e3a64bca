"""What every listener is given: the core, the delivery layer and the bot's identity (built by `bot.bootstrap`)."""

from __future__ import annotations

import contextvars
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from bot.core.config import Settings
from bot.core.reply import AskContext, Reply
from bot.core.service import Service
from bot.delivery.claims import ClaimRunner
from bot.delivery.gateway import Outgoing, SlackGateway
from bot.delivery.tasks import TaskSupervisor
from bot.metrics import Metrics
from bot.slack.identity import BotIdentity


# Set when a listener could not store its event: the server then answers 503 so Slack retries.
INBOX_DOWN: contextvars.ContextVar[bool] = contextvars.ContextVar("inbox_down", default=False)


class InboxUnavailable(RuntimeError):
    """The inbox could not store an event; Slack must be told to send it again."""


@dataclass
class Listeners:
    """The listeners' dependencies; `handlers.register_all(app, deps)` wires them onto Bolt."""

    settings: Settings
    service: Service
    gateway: SlackGateway
    tasks: TaskSupervisor
    claims: ClaimRunner
    identity: BotIdentity
    metrics: Metrics = field(default_factory=Metrics)
    # The durable inbox (None without storage): listeners store events there before the 2xx, and
    # register here how each kind of event is worked (`processors[kind](item) -> replies to send`):
    # mention, message, followup (handlers.messages), command (handlers.commands), feedback, feedback_reason,
    # pick, interest, home_onboard (handlers.actions), welcome (handlers.onboarding), shortcut, shortcut_post
    # (handlers.shortcuts). A reply may target a
    # response_url (`Outgoing.response_url`); questions answered by a processor are logged after its
    # replies went out (bot.core.reply.LogLater).
    inbox: Any = None
    worker: Any = None
    processors: dict[str, Callable[[Any], Awaitable[list[Outgoing]]]] = field(default_factory=dict)

    async def accept(self, key: str, kind: str, payload: dict[str, Any]) -> bool:
        """Store one event before Slack gets its 2xx; False for a duplicate (a Slack retry).

        Without storage the event is worked at once in a tracked task. If the inbox cannot take it,
        `InboxUnavailable` makes the server answer 503, so Slack delivers the event again.
        """
        if self.inbox is None:
            processor = self.processors[kind]
            self.tasks.spawn(self._work_now(processor, key, kind, payload), name=f"{kind}:{key}")
            return True
        try:
            if self.worker is not None:
                return await self.worker.accept(key, kind, payload)
            return await self.inbox.enqueue(key, kind, payload)
        except Exception as exc:
            INBOX_DOWN.set(True)
            raise InboxUnavailable(type(exc).__name__) from None

    async def _work_now(self, processor: Any, key: str, kind: str, payload: dict[str, Any]) -> None:
        from bot.storage.inbox import InboxItem

        item = InboxItem(0, key, kind, payload, 1, dt.datetime.now(dt.UTC), None, 0)
        outgoing = await processor(item)
        await self.gateway.deliver_all(outgoing)
        if outgoing:
            self.metrics.replied_since(item.received_at)

    async def answer(self, question: str, *, context: AskContext) -> Reply:
        """`Service.answer`, timed (sigsec_decision_seconds) and counted by kind (sigsec_questions_total)."""
        with self.metrics.deciding():
            reply = await self.service.answer(question, context=context)
        self.metrics.question(reply)
        return reply
