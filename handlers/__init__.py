"""Slack listeners: thin adapters (parse, call `bot.core.service.Service`, render with `bot.slack.blocks`,
hand the messages to the delivery layer).

Each module has `register(app, deps)`; `register_all` wires them all onto a Bolt AsyncApp. The
composition root (`bot.bootstrap`) is the one place that calls it.
"""

from __future__ import annotations

from typing import Any

from bot.slack.deps import Listeners


def register_all(app: Any, deps: Listeners) -> None:
    from handlers import actions, commands, home, messages, onboarding, shortcuts

    for module in (messages, commands, actions, onboarding, home, shortcuts):
        module.register(app, deps)
