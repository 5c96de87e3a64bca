"""Welcome: a one-time DM (Block Kit) to people who join ONBOARD_CHANNEL; also sent from App Home.

The welcome content and its interest buttons are built in `bot.slack.blocks.onboarding_blocks`; the
buttons are answered in `handlers.actions`. The join is stored in the durable inbox (keyed by its
event id, holding the person's id only) before Slack gets its 2xx, and the inbox worker sends the DM.
"At most once per person, ever" holds across restarts and replicas: the worker records the person as
welcomed (insert-or-ignore, only the first recording wins) before the DM is kept in the event's outbox,
and the inbox then delivers it exactly once (a crash between the two leaves the person unwelcomed rather
than welcomed twice; App Home's "Get started" sends the welcome on request).
"""

from __future__ import annotations

import logging
from typing import Any

from bot.core import messages as M
from bot.delivery.gateway import DeliveryError, Outgoing
from bot.logs import log_event
from bot.slack import blocks as B
from bot.slack.deps import Listeners

log = logging.getLogger("sigsec.slack.onboarding")


def register(app: Any, deps: Listeners) -> None:
    deps.processors["welcome"] = lambda item: welcome_replies(deps, item.payload["user"], once=True)

    @app.event("member_joined_channel")
    async def on_join(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        channel = deps.settings.onboard_channel
        user = event.get("user")
        if not channel or event.get("channel") != channel or not user or user == deps.identity.user_id:
            return
        if deps.inbox is not None:
            key = body.get("event_id") or f"join:{channel}:{user}:{event.get('event_ts')}"
            await deps.accept(f"welcome:{key}", "welcome", {"user": user})
            return
        deps.tasks.spawn(deps.claims.once(body.get("event_id"), lambda: welcome_once(deps, user)),
                         name=f"welcome:{body.get('event_id')}")


async def welcome_replies(deps: Listeners, user: str, *, once: bool) -> list[Outgoing]:
    """The inbox worker's welcome DM; with `once`, nothing for a person ever welcomed before."""
    channel = await deps.gateway.open_dm(user)
    if not channel:
        raise DeliveryError("conversations.open failed")  # the inbox tries again with backoff
    storage = deps.service.storage
    if once and storage is not None and not await storage.claims.mark_welcomed(user):
        return []
    log_event(log, "welcome_queued", once=once)
    return [Outgoing(channel, M.SLACK_WELCOME_TEXT, B.as_dicts(B.onboarding_blocks()))]


async def welcome_once(deps: Listeners, user: str) -> None:
    """DM the welcome unless this person was ever welcomed before (needs storage)."""
    storage = deps.service.storage
    if storage is None:
        return
    try:
        if await storage.claims.is_welcomed(user):
            return
    except Exception as exc:  # noqa: BLE001 - no database, no promise of "once": skip
        log_event(log, "welcome_skipped", error=type(exc).__name__)
        return
    key = "welcome-" + (storage.user_key(user) or "")
    if await deps.claims.once(key, lambda: send_welcome(deps, user), stale_after=600):
        await storage.claims.mark_welcomed(user)


async def send_welcome(deps: Listeners, user: str) -> None:
    """Open the DM and post the onboarding blocks; raises DeliveryError when Slack did not take it."""
    channel = await deps.gateway.open_dm(user)
    if not channel:
        raise DeliveryError("conversations.open failed")
    await deps.gateway.deliver_all([Outgoing(channel, M.SLACK_WELCOME_TEXT, B.as_dicts(B.onboarding_blocks()))])
    log_event(log, "welcome_sent")
