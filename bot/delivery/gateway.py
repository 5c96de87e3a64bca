"""The Web API gateway: every call to Slack goes through here and returns a result, never a silent None.

`deliver(message)` sends one `Outgoing` (public post, ephemeral, DM, or a POST to a response_url)
paced per channel; the other methods wrap the few calls the listeners need.

Response URLs (ephemeral answers to commands and buttons) are valid 30 minutes and 5 uses: a reply
that can no longer go there (expired, used up, refused) falls back to `chat.postEphemeral` to its user
in its channel (a plain message in a DM), else fails with that reason.

Public posts carry message metadata (`sigsec_reply`: the inbox event key and the message's index).
A post marked `posted_since` (the inbox worker's retry or takeover of a message that may already have
been accepted) is first looked up by that metadata in the channel or thread since then, and counted
as sent when found, so a crash between Slack's acceptance and the inbox's record does not post twice.
Ephemeral messages and response_url posts cannot be looked up: they are the one case left. Retries of 429 / 5xx / connection errors are
the client's retry handlers' job (`make_client`), except that a call creating something (a post, a modal)
is retried by the SDK only on 429; what still fails comes back as a failed `Sent`,
logged with the call and Slack's error code only (never message text), and counted in
`sigsec_slack_api_errors_total{method}`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, fields, replace
from urllib.parse import urlsplit
from typing import Any, Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.core.config import Settings
from bot.delivery.pacing import Pacer
from bot.logs import log_event
from bot.metrics import Metrics

log = logging.getLogger("sigsec.slack")
SLACK_API_DEFAULT = "https://slack.com/api/"
REPLY_EVENT_TYPE = "sigsec_reply"  # message metadata of the bot's public replies
RESPONSE_URL_SECONDS = 30 * 60 - 60  # Slack keeps a response_url valid 30 minutes; stop a minute early
RESPONSE_URL_HOST = "hooks.slack.com"
LOOKUP_LIMIT = 200  # messages read when looking for an already-posted reply (one page)


# Calls that create something: after a 5xx or a dropped connection Slack may already have done it, so
# the SDK retries them only on 429 (Slack refused it); the inbox worker retries the rest later, looking a
# public post up by its metadata first (`already_posted`).
CREATING_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "views.open"})


def _creates(request: Any) -> bool:
    return urlsplit(str(getattr(request, "url", ""))).path.rstrip("/").rsplit("/", 1)[-1] in CREATING_METHODS


class _RetryUnlessCreating:
    """Retry handler mixin: never retries a call that creates something (`CREATING_METHODS`)."""

    async def _can_retry_async(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        if _creates(request):
            return False
        return await super()._can_retry_async(  # type: ignore[misc]
            state=state, request=request, response=response, error=error)


class ServerErrorRetry(_RetryUnlessCreating, AsyncServerErrorRetryHandler):
    """5xx: retried, except for calls that create something."""


class ConnectionErrorRetry(_RetryUnlessCreating, AsyncConnectionErrorRetryHandler):
    """Dropped or refused connections: retried, except for calls that create something."""


def make_client(settings: Settings) -> AsyncWebClient:
    """Web API client on SLACK_API_URL with the SDK's async retry handlers: 429 (Retry-After) for every
    call; 5xx and connection resets only for calls that create nothing (`CREATING_METHODS`)."""
    return AsyncWebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url or SLACK_API_DEFAULT,
        timeout=15,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            ServerErrorRetry(max_retry_count=2),
            ConnectionErrorRetry(max_retry_count=2),
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
    # POST the message here (an ephemeral answer to a command or a button) until `url_expires` (epoch
    # seconds); then, or when Slack refuses the URL, chat.postEphemeral to `ephemeral_to` in `channel`.
    response_url: str | None = None
    url_expires: float | None = None
    replace_original: bool = False
    # Set by the inbox worker when sending, not stored: the post's metadata, and (on a retry or a
    # takeover) since when to look for it before posting again.
    metadata: dict[str, Any] | None = None
    posted_since: float | None = None

    def as_row(self) -> dict[str, Any]:
        """The fields as a dict, for the outbox (`Outgoing(**row)` reads it back). Shallow: the row is
        serialised at once, and `dataclasses.asdict`'s deep copy of the blocks cost ~0.3 ms per reply."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


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
        if message.response_url:
            return await self._via_response_url(message)
        if message.ephemeral_to:
            return await self.call("chat.postEphemeral", lambda: self.client.chat_postEphemeral(
                channel=message.channel, user=message.ephemeral_to, text=message.text, blocks=message.blocks,
                thread_ts=message.thread_ts))
        if message.posted_since is not None and message.metadata and await self.already_posted(message):
            log_event(log, "reply_found_posted", call="chat.postMessage")
            return Sent(True, {"found": True})
        return await self.call("chat.postMessage", lambda: self.client.chat_postMessage(
            channel=message.channel, text=message.text, blocks=message.blocks, thread_ts=message.thread_ts,
            unfurl_links=False, unfurl_media=False, metadata=message.metadata), pace=message.channel)

    async def already_posted(self, message: Outgoing) -> bool:
        """Is a post with this message's metadata in its thread (or channel) since `posted_since`? One
        page of `conversations.replies` / `.history`; False when it cannot tell (then it is posted)."""
        oldest = f"{max(0.0, (message.posted_since or 0.0) - 60.0):.6f}"  # room for clock skew: the match is exact
        if message.thread_ts:
            sent = await self.call("conversations.replies", lambda: self.client.conversations_replies(
                channel=message.channel, ts=message.thread_ts, oldest=oldest, include_all_metadata=True,
                limit=LOOKUP_LIMIT))
        else:
            sent = await self.call("conversations.history", lambda: self.client.conversations_history(
                channel=message.channel, oldest=oldest, include_all_metadata=True, limit=LOOKUP_LIMIT))
        if not sent.ok:
            return False
        wanted = (message.metadata or {}).get("event_payload")
        for posted in (sent.response or {}).get("messages") or []:
            metadata = posted.get("metadata") or {}
            if metadata.get("event_type") == REPLY_EVENT_TYPE and metadata.get("event_payload") == wanted:
                return True
        return False

    def _trusted_url(self, url: str) -> bool:
        """Response URLs are Slack's (https://hooks.slack.com/...), or on the Web API's host (a mock)."""
        target, api = urlsplit(url), urlsplit(str(getattr(self.client, "base_url", "") or SLACK_API_DEFAULT))
        if target.scheme == "https" and target.hostname == RESPONSE_URL_HOST:
            return True
        return (target.scheme, target.hostname, target.port) == (api.scheme, api.hostname, api.port) \
            and api.hostname != "slack.com"

    async def _via_response_url(self, message: Outgoing) -> Sent:
        if not self._trusted_url(message.response_url or ""):
            reason: str | None = "response_url_untrusted"
        elif message.url_expires is None or time.time() < message.url_expires:
            sent = await self._post_response_url(message)
            if sent.ok or sent.retryable:
                return sent
            reason = sent.error
        else:
            reason = "response_url_expired"
        if not (message.channel and message.ephemeral_to):
            return Sent(False, error=reason)
        dm = message.channel.startswith("D")  # the user's DM with the bot: a plain message only they see
        log_event(log, "response_url_fallback", reason=reason)
        return await self.deliver(replace(message, response_url=None, url_expires=None,
                                          ephemeral_to=None if dm else message.ephemeral_to))

    async def _post_response_url(self, message: Outgoing) -> Sent:
        body = {"response_type": "ephemeral", "replace_original": message.replace_original, "text": message.text,
                "blocks": message.blocks or []}
        try:
            webhook = AsyncWebhookClient(message.response_url or "", timeout=15,  # a post: 429 is its only retry
                                         session=getattr(self.client, "session", None),
                                         retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=3)])
            response = await webhook.send_dict(body)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - timeouts, resets: worth trying again
            log_event(log, "slack_call_failed", call="response_url", error=type(exc).__name__)
            self.metrics.slack_api_error("response_url")
            return Sent(False, error=type(exc).__name__, retryable=True)
        if response.status_code == 200:
            return Sent(True, response.body)
        error = "".join(ch for ch in str(response.body or "")[:40] if ch.isalnum() or ch == "_") or "unknown"
        log_event(log, "slack_call_failed", call="response_url", error=error, status=response.status_code)
        self.metrics.slack_api_error("response_url")
        retry_after = _seconds((response.headers or {}).get("Retry-After") or (response.headers or {}).get("retry-after"))
        return Sent(False, error=error, retryable=response.status_code == 429 or response.status_code >= 500,
                    retry_after=retry_after)

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

    async def open_view(self, trigger_id: str, view: Any) -> Sent:
        """views.open of a modal (within 3 s of the click that gave `trigger_id`)."""
        return await self.call("views.open", lambda: self.client.views_open(trigger_id=trigger_id, view=view))

    async def publish_home(self, user: str, view: Any) -> Sent:
        """views.publish of a user's App Home."""
        return await self.call("views.publish", lambda: self.client.views_publish(user_id=user, view=view))
