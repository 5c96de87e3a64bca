"""Slack handlers: thin adapters (parse, call `bot.service.Service`, render with `bot.blocks`, reply).

Each module has `register(app, service, runtime)`; `register_all` wires them all onto a Bolt AsyncApp.
"""

from __future__ import annotations

from typing import Any


def register_all(app: Any, service: Any, runtime: Any) -> None:
    from handlers import actions, commands, home, messages, onboarding

    for module in (messages, commands, actions, onboarding, home):
        module.register(app, service, runtime)
