"""Waiting for the app's durable inbox: "nothing was posted" is only meaningful once every accepted event was worked."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.storage.schema import inbox


async def inbox_worked(app: Any, *, timeout: float = 10.0) -> None:
    """Return once no accepted event is pending or being worked (a worked event's replies were sent).
    Without storage events are worked at once in tasks: wait for the mock to be quiet instead."""
    storage = app.bot.service.storage
    if storage is None:
        await app.mock.settle(0.5)
        return
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with storage.engine.connect() as connection:
            states = [row[0] for row in (await connection.execute(select(inbox.c.state))).all()]
        if not any(state in ("pending", "processing") for state in states):
            await app.mock.settle(0.1)
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"inbox not worked within {timeout} s: {states}")
        await asyncio.sleep(0.05)
