"""The Bolt app (the only slack_bolt import outside the server): signature checks and listener wiring."""

from __future__ import annotations

import logging
from typing import Callable

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import Settings
from bot.logs import log_event

log = logging.getLogger("sigsec.app")


def make_bolt_app(settings: Settings, client: AsyncWebClient, register: Callable[[AsyncApp], None]) -> AsyncApp:
    """Bolt with `process_before_response`: a listener returns only after it scheduled its work."""
    app = AsyncApp(
        client=client,
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=True,
        process_before_response=True,
        logger=logging.getLogger("sigsec.bolt"),
    )

    @app.error
    async def on_error(error: Exception) -> None:
        log_event(log, "listener_error", error=type(error).__name__)

    register(app)
    return app


__all__ = ["make_bolt_app"]
