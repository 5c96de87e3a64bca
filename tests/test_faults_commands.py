"""Faults against the REAL process for slash commands, buttons and the one-Web-API-call resend window.

The process is killed with SIGKILL from inside the mock Slack, right after Slack accepted a public
reply and before the answer reaches the bot: the inbox never recorded that post. At that moment a
slash command and a button click were accepted (2xx) but not worked yet (INBOX_CAPACITY=1: the one
slot is busy with that reply). After a restart each is answered exactly once, and the reply Slack
already had is found by its metadata instead of being posted again.
"""

from __future__ import annotations

import asyncio
import json
import signal
from typing import Any

import aiohttp

from support.signed_client import SlackSigner
from test_faults import CHANNEL, SECRET, harness  # noqa: F401 - the real-process harness (a fixture)


async def test_kill_9_after_slack_accepted_a_post_with_a_command_and_a_click_waiting(harness) -> None:  # noqa: F811
    mock = harness.mock
    signer = SlackSigner(SECRET)
    app = await harness.start(INBOX_CAPACITY="1")
    statuses: list[int] = []

    async with aiohttp.ClientSession() as session:
        async def post(body: str, headers: dict[str, str]) -> None:
            async with session.post(f"http://127.0.0.1:{app.port}/slack/events", data=body, headers=headers) as r:
                statuses.append(r.status)

        async def crash_after_accepting(call: Any) -> None:
            # Slack has the reply; before the bot hears so, a command and a click come in, then it dies.
            mock.after_accept.pop("chat.postMessage", None)
            await post(*signer.command("ask what are the pod security standards?",
                                       response_url=mock.response_url("cmd1")))
            await post(*signer.block_action("onboard_docs", "docs", response_url=mock.response_url("btn1")))
            app.kill(signal.SIGKILL)
            await app.wait()

        mock.after_accept["chat.postMessage"] = crash_after_accepting
        body, headers = signer.event({"type": "app_mention", "user": "U1", "channel": CHANNEL,
                                      "ts": "1700000000.000001",
                                      "text": "<@UBOT> how do I enforce pod security standards?"}, event_id="EvCrash")
        await post(body, headers)
        await harness.until(lambda: app.proc.poll() is not None, "the crash")

    assert statuses == [200, 200, 200]  # all three accepted before the kill
    assert mock.find("response_url") == []  # the command and the click were not worked yet
    [accepted] = [c for c in mock.accepted if c.method == "chat.postMessage"]
    metadata = accepted.body["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    assert metadata["event_type"] == "sigsec_reply" and metadata["event_payload"] == {"key": "EvCrash", "i": 0}

    await harness.start()  # takes over the dead process's leases once they expire
    await harness.until(lambda: len(mock.find("response_url")) >= 2, "the command and the click answered")
    await harness.until(lambda: harness.logged() >= 2, "both questions logged")
    await asyncio.sleep(2.0)  # anything sent twice would arrive by now
    answers = sorted(c.path.rsplit("/", 1)[-1] for c in mock.find("response_url"))
    assert answers == ["btn1", "cmd1"]  # each exactly once
    command = [c for c in mock.find("response_url") if c.path.endswith("/cmd1")][0]
    assert "Pod Security Standards" in command.all_text
    # The reply Slack had accepted was looked up by its metadata, not posted again.
    assert len(mock.find("chat.postMessage")) == 1
    assert mock.find("conversations.replies", channel=CHANNEL)
    assert harness.logged() == 2  # the mention and the command's question, once each
