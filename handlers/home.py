"""App Home: publish the Home tab on app_home_opened (maintainers also get the report summary)."""

from __future__ import annotations

import logging
from typing import Any

from bot.core import messages as M
from bot.logs import log_event
from bot.slack import blocks as B
from bot.slack.deps import Listeners

log = logging.getLogger("sigsec.slack.home")
POPULAR_DAYS = 30
REPORT_DAYS = 30
SUMMARY_LINES = 40


def register(app: Any, deps: Listeners) -> None:
    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        user = event.get("user")
        if event.get("tab", "home") == "home" and user:
            deps.tasks.spawn(publish(deps, user), name="home")


async def publish(deps: Listeners, user: str) -> None:
    await deps.gateway.publish_home(user, await build_view(deps, user))


async def build_view(deps: Listeners, user: str) -> Any:
    popular: list[tuple[Any, int]] = []
    try:
        popular = await deps.service.popular_entries(days=POPULAR_DAYS, limit=5)
    except Exception as exc:  # noqa: BLE001 - the Home tab still shows the rest
        log_event(log, "home_popular_failed", error=type(exc).__name__)
    report_text = await summary(deps) if user in deps.settings.maintainers else None
    return B.home_view(popular=popular, report_text=report_text, report_days=REPORT_DAYS)


async def summary(deps: Listeners) -> str:
    """The maintainer summary: the text report, cut to its first lines."""
    try:
        text = await deps.service.report(days=REPORT_DAYS)
    except Exception as exc:  # noqa: BLE001
        log_event(log, "home_report_failed", error=type(exc).__name__)
        text = None
    if text is None:
        return M.SLACK_HOME_REPORT_FAILED
    lines = text.splitlines()
    more = ["…"] if len(lines) > SUMMARY_LINES else []
    return "\n".join(lines[:SUMMARY_LINES] + more)
