"""End-to-end: the App Home's "Draft doc issue" buttons open the drafted issue in a modal (maintainers only)."""

from __future__ import annotations

import json
from typing import Any

from support.signed_client import mention_event

from bot.slack import blocks as B

MAINTAINER = "UMAINT"
GAP = ("what is the recommended way to do keyless cosign signing of release artifacts",
       "What is the recommended way to do keyless cosign signing of release artifacts?")


def view_of(call: Any) -> dict[str, Any]:
    view = call.body["view"]
    return json.loads(view) if isinstance(view, str) else view


async def home_with_gaps(app: Any) -> list[dict[str, Any]]:
    """Two people ask the same unanswerable question; the maintainer opens the Home tab: its draft buttons."""
    for n, (user, question) in enumerate(zip(("U1", "U2"), GAP)):
        await app.event(mention_event(question, user=user))
        await app.mock.wait_for("chat.postMessage", count=n + 1)
    await app.bot.service.storage.questions.drain()
    await app.event({"type": "app_home_opened", "user": MAINTAINER, "channel": "D2", "tab": "home",
                     "event_ts": "1700000000.9"})
    [call] = await app.mock.wait_for("views.publish")
    view = view_of(call)
    assert B.validate_blocks(view["blocks"], limit=B.VIEW_BLOCK_LIMIT) == []
    return [block["accessory"] for block in view["blocks"]
            if (block.get("accessory") or {}).get("action_id", "").startswith(B.DRAFT_ISSUE_PREFIX)]


async def test_draft_doc_issue_button_opens_the_draft(slack_app) -> None:
    buttons = await home_with_gaps(slack_app)
    assert buttons and buttons[0]["text"]["text"] == "Draft doc issue"
    first = buttons[0]
    status, _ = await slack_app.action(first["action_id"], first["value"], user_id=MAINTAINER,
                                       container_type="view", response_url=None)
    assert status == 200
    [opened] = await slack_app.mock.wait_for("views.open")
    assert opened.body["trigger_id"].endswith(".trigger")  # the click's own trigger, used at once
    assert "Drafting the issue" in json.dumps(view_of(opened))
    [updated] = await slack_app.mock.wait_for("views.update")
    assert updated.body["view_id"].startswith("V")  # the modal views.open answered with
    view = view_of(updated)
    assert view["type"] == "modal" and B.validate_blocks(view["blocks"], limit=B.VIEW_BLOCK_LIMIT) == []
    shown = "\n".join(json.dumps(block) for block in view["blocks"])
    assert "keyless cosign signing" in shown and "## What people asked" in shown
    assert "| People asking | 2 |" in shown and "| Questions | 2 |" in shown


async def test_draft_button_is_for_maintainers_only(slack_app) -> None:
    await slack_app.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home",
                           "event_ts": "1700000000.8"})
    [call] = await slack_app.mock.wait_for("views.publish")
    assert B.DRAFT_ISSUE_PREFIX not in json.dumps(view_of(call))
    status, _ = await slack_app.action(f"{B.DRAFT_ISSUE_PREFIX}1", B.encode_value(r=1), user_id="U1",
                                       container_type="view", response_url=None)
    assert status == 200
    await slack_app.mock.settle(0.3)
    assert slack_app.mock.find("views.open") == []


async def test_a_stale_button_says_the_group_is_gone(slack_app) -> None:
    await home_with_gaps(slack_app)
    await slack_app.action(f"{B.DRAFT_ISSUE_PREFIX}1", B.encode_value(r=1, k="000000000000"), user_id=MAINTAINER,
                           container_type="view", response_url=None)
    [updated] = await slack_app.mock.wait_for("views.update")
    assert "no longer among the report's gaps" in json.dumps(view_of(updated))
