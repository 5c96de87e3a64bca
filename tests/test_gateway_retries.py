"""The Web API client's own retries never post twice: a post whose connection drops after Slack took it
is not re-sent by the SDK (the inbox worker retries it later and looks it up first); reads still are."""

from __future__ import annotations

import asyncio
import json
from collections import Counter

from bot.core.config import load_settings
from bot.delivery.gateway import Outgoing, SlackGateway, make_client


class DroppingSlack:
    """A loopback HTTP server: reads each request whole, then drops the connection without answering the
    first request of each method, and answers the later ones with {"ok": true}."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/api/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split()[1].split("?")[0].rsplit("/", 1)[-1]
            length = next((int(line.split(":", 1)[1]) for line in lines if line.lower().startswith("content-length")), 0)
            await reader.readexactly(length)
            self.calls[method] += 1
            if self.calls[method] > 1:
                body = json.dumps({"ok": True, "messages": []}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                await writer.drain()
        finally:
            writer.close()  # the first request of each method: taken, then the connection is dropped

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def test_a_post_whose_connection_drops_is_not_sent_again_by_the_client_but_a_read_is_retried() -> None:
    slack = DroppingSlack()
    api_url = await slack.start()
    client = make_client(load_settings({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s",
                                         "SLACK_API_URL": api_url}))
    gateway = SlackGateway(client, pace_seconds=0)
    try:
        sent = await gateway.deliver(Outgoing("C1", "an answer"))
        assert not sent.ok and sent.retryable  # failed for now: the inbox worker tries again later
        assert slack.calls["chat.postMessage"] == 1  # Slack saw it once: the client did not post it again
        ephemeral = await gateway.deliver(Outgoing("C1", "a note", ephemeral_to="U1"))
        assert not ephemeral.ok and slack.calls["chat.postEphemeral"] == 1
        read = await gateway.call("conversations.history", lambda: client.conversations_history(channel="C1"))
        assert read.ok and slack.calls["conversations.history"] == 2  # a read is safe to repeat: retried
    finally:
        if client.session is not None:
            await client.session.close()
        await slack.stop()
