"""App Home: publish the Home tab on app_home_opened (maintainers also get the report summary)."""

from __future__ import annotations

import logging
from typing import Any

from bot import blocks as B
from bot.logs import log_event
from bot.service import Service
from handlers.runtime import Runtime

log = logging.getLogger("sigsec.slack.home")
POPULAR_DAYS = 30
REPORT_DAYS = 30
SUMMARY_LINES = 40


def register(app: Any, service: Service, runtime: Runtime) -> None:
    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], context: Any) -> None:
        runtime.remember_identity(context)
        user = event.get("user")
        if event.get("tab", "home") == "home" and user:
            runtime.spawn(publish(service, runtime, user), name="home")


async def publish(service: Service, runtime: Runtime, user: str) -> None:
    view = await build_view(service, user)
    await runtime.call("views.publish", lambda: runtime.client.views_publish(user_id=user, view=view))


async def build_view(service: Service, user: str) -> Any:
    popular: list[tuple[Any, int]] = []
    report_text: str | None = None
    store = service.store
    if store is not None:
        try:
            for faq_id, count in await store.popular_entries(days=POPULAR_DAYS, limit=5):
                if entry := service.knowledge.entry(faq_id):
                    popular.append((entry, count))
        except Exception as exc:  # noqa: BLE001 - the Home tab still shows the rest
            log_event(log, "home_popular_failed", error=type(exc).__name__)
    if user in service.settings.maintainers:
        report_text = await summary(service)
    return B.home_view(popular=popular, report_text=report_text, report_days=REPORT_DAYS)


async def summary(service: Service) -> str:
    """The maintainer summary: the text report, cut to its first lines."""
    from bot import messages as M

    if service.store is None:
        return M.SLACK_HOME_REPORT_FAILED
    try:
        from bot.reports import build_report, render_report

        report = await build_report(service.store, knowledge=service.knowledge, days=REPORT_DAYS,
                                    stale_days=service.settings.stale_days)
        lines = render_report(report, "text").splitlines()
    except Exception as exc:  # noqa: BLE001
        log_event(log, "home_report_failed", error=type(exc).__name__)
        return M.SLACK_HOME_REPORT_FAILED
    more = ["…"] if len(lines) > SUMMARY_LINES else []
    return "\n".join(lines[:SUMMARY_LINES] + more)
