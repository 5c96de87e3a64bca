"""manifest.yaml and docs/slack-scopes.md agree: every scope and event is justified, and each event has
the scope Slack needs to deliver it to a bot (member_joined_channel: channels:read or groups:read)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
DOC = (ROOT / "docs" / "slack-scopes.md").read_text(encoding="utf-8")
SCOPES = MANIFEST["oauth_config"]["scopes"]["bot"]
EVENTS = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
# What Slack needs before it delivers each event to a bot user (Slack API reference, Events).
EVENT_NEEDS = {
    "app_mention": [{"app_mentions:read"}],
    "message.im": [{"im:history"}],
    "message.channels": [{"channels:history"}],
    "app_home_opened": [set()],
    "member_joined_channel": [{"channels:read"}, {"groups:read"}],  # public, private: one of them
}


def _table_rows(heading: str) -> dict[str, str]:
    section = DOC.split(heading, 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z_.:]+)` \|.*$", section, flags=re.MULTILINE)}


def test_every_scope_and_event_is_justified() -> None:
    assert set(_table_rows("## Bot scopes")) == set(SCOPES)
    assert set(_table_rows("## Events")) == set(EVENTS)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    words = {6: "six", 7: "seven", 8: "eight", 9: "nine"}
    assert f"asks for {words[len(SCOPES)]} bot scopes" in readme


def test_each_event_has_the_scope_slack_needs_to_deliver_it() -> None:
    for event in EVENTS:
        assert any(needed <= set(SCOPES) for needed in EVENT_NEEDS[event]), event
    # The welcome DM needs the join events of the (public) onboarding channel.
    assert "channels:read" in SCOPES
    assert "channels:read" in _table_rows("## Events")["member_joined_channel"]
