"""What every listener is given: the core, the delivery layer and the bot's identity (built by `bot.bootstrap`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.config import Settings
from bot.core.service import Service
from bot.delivery.claims import ClaimRunner
from bot.delivery.gateway import SlackGateway
from bot.delivery.tasks import TaskSupervisor
from bot.slack.identity import BotIdentity


@dataclass
class Listeners:
    """The listeners' dependencies; `handlers.register_all(app, deps)` wires them onto Bolt."""

    settings: Settings
    service: Service
    gateway: SlackGateway
    tasks: TaskSupervisor
    claims: ClaimRunner
    identity: BotIdentity
