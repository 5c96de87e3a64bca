"""Who the bot is in Slack (learned from auth.test or Bolt's context) and what kind of conversation an event is in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def is_dm_channel(channel: str | None) -> bool:
    """Direct-message conversation ids start with D."""
    return bool(channel) and str(channel).startswith("D")


def is_dm(event: dict[str, Any]) -> bool:
    """A message event in a DM (Slack says so in channel_type; the id tells when it does not)."""
    return event.get("channel_type") == "im" or is_dm_channel(event.get("channel"))


@dataclass
class BotIdentity:
    """The bot's own user id and bot id, to ignore its own and other bots' messages."""

    user_id: str | None = None
    bot_id: str | None = None

    def remember(self, context: Any) -> None:
        """Bolt's context carries auth.test's bot user id and bot id."""
        self.user_id = self.user_id or getattr(context, "bot_user_id", None)
        self.bot_id = self.bot_id or getattr(context, "bot_id", None)

    def is_own_or_bot(self, event: dict[str, Any]) -> bool:
        user = event.get("user")
        return bool(event.get("bot_id") or event.get("bot_profile") or not user or user == self.user_id)
