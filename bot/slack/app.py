"""The Bolt app (the only slack_bolt import outside the server): signature checks and listener wiring."""

from __future__ import annotations

import logging
from typing import Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import Settings
from bot.logs import log_event

log = logging.getLogger("sigsec.app")
BOLT_LOGGER = "sigsec.bolt"


class _UnusedTokenWarning(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused." at start.

    Spurious here: AsyncApp falls back to the SLACK_BOT_TOKEN environment variable for `token`
    even when `client=` is given (`token = token or os.environ.get("SLACK_BOT_TOKEN")`), then warns
    that this token is unused. Our client already carries the same token, from the same setting.
    """

    MESSAGE = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self.MESSAGE


def make_bolt_app(settings: Settings, client: AsyncWebClient, register: Callable[[AsyncApp], None]) -> AsyncApp:
    """Bolt with `process_before_response`: a listener returns only after it scheduled its work."""
    bolt_logger = logging.getLogger(BOLT_LOGGER)
    if not any(isinstance(f, _UnusedTokenWarning) for f in bolt_logger.filters):
        bolt_logger.addFilter(_UnusedTokenWarning())
    app = AsyncApp(
        client=client,
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=True,
        process_before_response=True,
        logger=bolt_logger,
    )

    @app.error
    async def on_error(error: Exception) -> None:
        log_event(log, "listener_error", error=type(error).__name__)

    register(app)
    return app


__all__ = ["make_bolt_app"]
