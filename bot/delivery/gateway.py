"""The Web API gateway: every call to Slack goes through here and returns a result, never a silent None.

`deliver(message)` sends one `Outgoing` (public post, ephemeral, or DM) paced per channel; the
other methods wrap the few calls the listeners need. Retries of 429 / 5xx / connection errors are
the client's retry handlers' job (`make_client`); what still fails comes back as a failed `Sent`,
logged with the call and Slack's error code only (never message text), and counted in
`sigsec_slack_api_errors_total{method}`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.config import Settings
from bot.delivery.pacing import Pacer
from bot.logs import log_event
from bot.metrics import Metrics

log = logging.getLogger("sigsec.slack")
SLACK_API_DEFAULT = "https://slack.com/api/"


def make_client(settings: Settings) -> AsyncWebClient:
    """Web API client on SLACK_API_URL with the SDK's async retry handlers (429 Retry-After, 5xx, resets)."""
    return AsyncWebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url or SLACK_API_DEFAULT,
        timeout=15,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass(frozen=True)
class Outgoing:
    """One message to send: public in `channel` (a thread when `thread_ts`), or ephemeral to `user`."""

    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    thread_ts: str | None = None
    ephemeral_to: str | None = None  # a user id: only they see it (chat.postEphemeral)


@dataclass(frozen=True)
class Sent:
    """What came of one Web API call."""

    ok: bool
    response: Any = None
    error: str | None = None  # Slack's error code or the exception type
    retryable: bool = False  # 429, 5xx, timeouts, connection errors: worth trying again later
    retry_after: float | None = None  # seconds, when Slack said (Retry-After)


TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout"})


def _seconds(raw: Any) -> float | None:
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None


class DeliveryError(Exception):
    """A message could not be delivered; the caller's claim is released, not marked done."""


class SlackGateway:
    """Paced, logged Web API calls for one running app."""

    def __init__(self, client: AsyncWebClient, *, pace_seconds: float = 1.0, metrics: Metrics | None = None) -> None:
        self.client = client
        self.pacer = Pacer(pace_seconds)
        self.metrics = metrics if metrics is not None else Metrics()

    async def call(self, what: str, action: Callable[[], Awaitable[Any]], *, pace: str | None = None) -> Sent:
        """Await one Web API call; a failure is logged and returned, never raised."""
        try:
            if pace:
                async with self.pacer.slot(pace):
                    return Sent(True, await action())
            return Sent(True, await action())
        except SlackApiError as exc:
            error = (exc.response.get("error") if exc.response is not None else None) or "unknown"
            log_event(log, "slack_call_failed", call=what, error=error,
                      status=getattr(exc.response, "status_code", None))
            self.metrics.slack_api_error(what)
            status = getattr(exc.response, "status_code", None) or 0
            headers = getattr(exc.response, "headers", None) or {}
            retry_after = _seconds(headers.get("Retry-After") or headers.get("retry-after"))
            return Sent(False, error=error, retryable=status == 429 or status >= 500 or error in TRANSIENT_ERRORS,
                        retry_after=retry_after)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a failed reply must never crash the app
            log_event(log, "slack_call_failed", call=what, error=type(exc).__name__)
            self.metrics.slack_api_error(what)
            return Sent(False, error=type(exc).__name__, retryable=True)  # timeouts, resets, refused connections

    async def deliver(self, message: Outgoing) -> Sent:
        """Send one message (paced per channel when public)."""
        if message.ephemeral_to:
            return await self.call("chat.postEphemeral", lambda: self.client.chat_postEphemeral(
                channel=message.channel, user=message.ephemeral_to, text=message.text, blocks=message.blocks,
                thread_ts=message.thread_ts))
        return await self.call("chat.postMessage", lambda: self.client.chat_postMessage(
            channel=message.channel, text=message.text, blocks=message.blocks, thread_ts=message.thread_ts,
            unfurl_links=False, unfurl_media=False), pace=message.channel)

    async def deliver_all(self, messages: list[Outgoing]) -> None:
        """Send in order; raises DeliveryError when one fails, so the work is not marked done."""
        for message in messages:
            sent = await self.deliver(message)
            if not sent.ok:
                raise DeliveryError(sent.error or "unknown")

    async def open_dm(self, user: str) -> str | None:
        """conversations.open for a DM with `user`; its channel id, or None."""
        sent = await self.call("conversations.open", lambda: self.client.conversations_open(users=user))
        return ((sent.response or {}).get("channel") or {}).get("id") if sent.ok else None

    async def respond(self, respond: Any, **kwargs: Any) -> Sent:
        """Bolt's respond() (the response_url)."""
        return await self.call("response_url", lambda: respond(**kwargs))

    async def publish_home(self, user: str, view: Any) -> Sent:
        """views.publish of a user's App Home."""
        return await self.call("views.publish", lambda: self.client.views_publish(user_id=user, view=view))
