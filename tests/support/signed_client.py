"""Builds correctly signed Slack requests (v0 HMAC-SHA256) for events, commands and interactivity.

    signer = SlackSigner("secret")
    body, headers = signer.event({"type": "app_mention", ...})
    await session.post(url, data=body, headers=headers)
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

_ids = itertools.count(1)


def sign(secret: str, timestamp: str, body: str | bytes) -> str:
    """The X-Slack-Signature value for `body` sent at `timestamp`."""
    raw = body if isinstance(body, bytes) else body.encode()
    base = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSigner:
    """Produces (body, headers) pairs the way Slack would send them to the Request URL."""

    def __init__(self, secret: str, *, team_id: str = "T0001", api_app_id: str = "A0001"):
        self.secret = secret
        self.team_id = team_id
        self.api_app_id = api_app_id

    def headers(self, body: str | bytes, *, content_type: str, timestamp: int | None = None,
                retry_num: int | None = None, retry_reason: str = "http_timeout") -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts,
                   "X-Slack-Signature": sign(self.secret, ts, body)}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return headers

    # ------------------------------------------------------------------ Events API

    def event_envelope(self, event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
        return {"token": "legacy-unused", "team_id": self.team_id, "api_app_id": self.api_app_id,
                "event": event, "type": "event_callback", "event_id": event_id or f"Ev{next(_ids):08d}",
                "event_time": int(time.time()), "authorizations": [{"team_id": self.team_id, "user_id": "UBOT",
                                                                    "is_bot": True}]}

    def event(self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None,
              timestamp: int | None = None) -> tuple[str, dict[str, str]]:
        body = json.dumps(self.event_envelope(event, event_id=event_id))
        return body, self.headers(body, content_type="application/json", timestamp=timestamp, retry_num=retry_num)

    def url_verification(self, challenge: str = "challenge-123") -> tuple[str, dict[str, str]]:
        body = json.dumps({"token": "legacy-unused", "challenge": challenge, "type": "url_verification"})
        return body, self.headers(body, content_type="application/json")

    # ------------------------------------------------------------------ commands and interactivity

    def command(self, text: str, *, user_id: str = "U1", channel_id: str = "C1", response_url: str,
                command: str = "/sigsec") -> tuple[str, dict[str, str]]:
        form = {"token": "legacy-unused", "team_id": self.team_id, "team_domain": "test", "channel_id": channel_id,
                "channel_name": "general", "user_id": user_id, "user_name": "someone", "command": command,
                "text": text, "api_app_id": self.api_app_id, "response_url": response_url,
                "trigger_id": f"{next(_ids)}.trigger"}
        body = urlencode(form)
        return body, self.headers(body, content_type="application/x-www-form-urlencoded")

    def block_action(self, action_id: str, value: str, *, user_id: str = "U1", channel_id: str | None = "C1",
                     response_url: str | None = None, message_ts: str | None = "1700000000.000100",
                     thread_ts: str | None = None, ephemeral: bool = False, container_type: str = "message",
                     block_id: str = "b1") -> tuple[str, dict[str, str]]:
        payload: dict[str, Any] = {
            "type": "block_actions", "team": {"id": self.team_id, "domain": "test"},
            "user": {"id": user_id, "username": "someone", "team_id": self.team_id},
            "api_app_id": self.api_app_id, "token": "legacy-unused", "trigger_id": f"{next(_ids)}.trigger",
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id, "value": value,
                         "text": {"type": "plain_text", "text": "btn"}, "action_ts": str(time.time())}],
        }
        if container_type == "view":
            payload["container"] = {"type": "view", "view_id": "V0001"}
            payload["view"] = {"id": "V0001", "type": "home", "blocks": []}
        else:
            payload["container"] = {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                                    "is_ephemeral": ephemeral}
            payload["channel"] = {"id": channel_id, "name": "general"}
            if not ephemeral:
                message: dict[str, Any] = {"type": "message", "ts": message_ts, "bot_id": "BBOT", "text": "..."}
                if thread_ts:
                    message["thread_ts"] = thread_ts
                payload["message"] = message
        if response_url:
            payload["response_url"] = response_url
        body = urlencode({"payload": json.dumps(payload)})
        return body, self.headers(body, content_type="application/x-www-form-urlencoded")


# ---------------------------------------------------------------------- event builders


def message_event(text: str, *, user: str = "U1", channel: str = "C1", channel_type: str = "channel",
                  ts: str | None = None, **extra: Any) -> dict[str, Any]:
    ts = ts or f"{int(time.time())}.{next(_ids):06d}"
    event = {"type": "message", "user": user, "text": text, "channel": channel, "channel_type": channel_type,
             "ts": ts, "event_ts": ts}
    event.update(extra)
    return event


def mention_event(text: str, *, user: str = "U1", channel: str = "C1", bot_user_id: str = "UBOT",
                  ts: str | None = None, **extra: Any) -> dict[str, Any]:
    ts = ts or f"{int(time.time())}.{next(_ids):06d}"
    event = {"type": "app_mention", "user": user, "text": f"<@{bot_user_id}> {text}", "channel": channel,
             "ts": ts, "event_ts": ts}
    event.update(extra)
    return event
