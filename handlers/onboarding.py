"""Welcome: a one-time DM (Block Kit) to people who join ONBOARD_CHANNEL; also sent from App Home.

The welcome content and its interest buttons are built in `bot.blocks.onboarding_blocks`; the buttons
are answered in `handlers.actions`. `store.mark_welcomed` makes "at most once per person, ever" hold
across restarts and replicas.
"""

from __future__ import annotations

import logging
from typing import Any

from bot import blocks as B
from bot import messages as M
from bot.logs import log_event
from bot.service import Service
from handlers.messages import once
from handlers.runtime import Runtime

log = logging.getLogger("sigsec.slack.onboarding")


def register(app: Any, service: Service, runtime: Runtime) -> None:
    @app.event("member_joined_channel")
    async def on_join(event: dict[str, Any], body: dict[str, Any], context: Any) -> None:
        runtime.remember_identity(context)
        channel = service.settings.onboard_channel
        user = event.get("user")
        if not channel or event.get("channel") != channel or not user or user == runtime.bot_user_id:
            return
        runtime.spawn(once(service, runtime, body, lambda: welcome_once(service, runtime, user)),
                      name=f"welcome:{body.get('event_id')}")


async def welcome_once(service: Service, runtime: Runtime, user: str) -> None:
    """DM the welcome unless this person was ever welcomed before (needs the store)."""
    if service.store is None:
        return
    try:
        first_time = await service.store.mark_welcomed(user)
    except Exception as exc:  # noqa: BLE001 - no database, no promise of "once": skip
        log_event(log, "welcome_skipped", error=type(exc).__name__)
        return
    if first_time:
        await send_welcome(runtime, user)


async def send_welcome(runtime: Runtime, user: str) -> None:
    """Open the DM and post the onboarding blocks."""
    channel = await runtime.open_dm(user)
    if channel:
        await runtime.post(channel, text=M.SLACK_WELCOME_TEXT, blocks=B.as_dicts(B.onboarding_blocks()))
        log_event(log, "welcome_sent")
