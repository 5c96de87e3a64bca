"""App Home: publish the Home tab on app_home_opened (maintainers also get the report summary).

Maintainers also see the top gap clusters, each with a "Draft doc issue" button: a click opens a
modal at once (views.open with the click's trigger_id, which expires in 3 s), rebuilds the report
and fills the modal (views.update) with the Markdown issue drafted by `bot.reports.issues`.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import weakref
from typing import Any

from slack_sdk.models.blocks import Block, DividerBlock, MarkdownTextObject, PlainTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.core import messages as M
from bot.logs import log_event
from bot.slack import blocks as B
from bot.slack.deps import Listeners

log = logging.getLogger("sigsec.slack.home")
POPULAR_DAYS = 30
REPORT_DAYS = 30
SUMMARY_LINES = 40
DRAFTS_SHOWN = 5
REPORT_CACHE_SECONDS = 120.0  # the maintainers' summary is this fresh at worst
_reports: weakref.WeakKeyDictionary[Any, tuple[float, Any]] = weakref.WeakKeyDictionary()  # storage -> (built, report)
DRAFTS_TITLE = "*Documentation gaps*: draft a GitHub issue for a group of questions"
DRAFT_BUTTON = "Draft doc issue"
DRAFT_MODAL_TITLE = "Doc issue draft"
DRAFT_INTRO = "Copy this Markdown into a new issue (title first):"
DRAFT_LOADING = "Drafting the issue from the question log…"
DRAFT_GONE = "This group of questions is no longer among the report's gaps. Reopen the Home tab for the current list."


def register(app: Any, deps: Listeners) -> None:
    @app.event("app_home_opened")
    async def on_home(event: dict[str, Any], context: Any) -> None:
        deps.identity.remember(context)
        user = event.get("user")
        if event.get("tab", "home") == "home" and user:
            deps.tasks.spawn(publish(deps, user), name="home")

    @app.action(re.compile(rf"^{B.DRAFT_ISSUE_PREFIX}\d+$"))
    async def on_draft(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        user = (body.get("user") or {}).get("id")
        trigger = body.get("trigger_id")
        value = B.decode_value(((body.get("actions") or [{}])[0]).get("value"))
        if not trigger or user not in deps.settings.maintainers:  # the button is only shown to maintainers
            log_event(log, "draft_issue_refused", maintainer=False)
            return
        deps.tasks.spawn(open_draft(deps, trigger, value), name="draft_issue")


async def publish(deps: Listeners, user: str) -> None:
    await deps.gateway.publish_home(user, await build_view(deps, user))


async def build_view(deps: Listeners, user: str) -> Any:
    popular: list[tuple[Any, int]] = []
    try:
        popular = await deps.service.popular_entries(days=POPULAR_DAYS, limit=5)
    except Exception as exc:  # noqa: BLE001 - the Home tab still shows the rest
        log_event(log, "home_popular_failed", error=type(exc).__name__)
    if user not in deps.settings.maintainers:
        return B.home_view(popular=popular, report_days=REPORT_DAYS)
    report_text, extra = await maintainer_part(deps)
    return B.home_view(popular=popular, report_text=report_text, report_days=REPORT_DAYS, extra=extra)


async def _report(deps: Listeners) -> Any:
    """The report of the last REPORT_DAYS days (gaps grouped by meaning when the model is loaded), built at
    most once per REPORT_CACHE_SECONDS per process: Home opens and draft clicks reuse it."""
    from bot.reports import build_report
    from bot.reports.meaning import loaded_embedder

    storage = deps.service.storage
    if storage is None:
        return None
    now = time.monotonic()
    cached = _reports.get(storage)
    if cached is not None and now - cached[0] < REPORT_CACHE_SECONDS:
        return cached[1]
    report = await build_report(storage, knowledge=deps.service.knowledge, days=REPORT_DAYS,
                                stale_days=deps.settings.stale_days, embedder=loaded_embedder())
    _reports[storage] = (now, report)
    return report


async def maintainer_part(deps: Listeners) -> tuple[str, list[Block]]:
    """The summary (the text report cut to its first lines) and a draft button per top gap cluster."""
    from bot.reports import render_report
    from bot.reports.issues import draft_issues

    try:
        report = await _report(deps)
    except Exception as exc:  # noqa: BLE001
        log_event(log, "home_report_failed", error=type(exc).__name__)
        report = None
    if report is None:
        return M.SLACK_HOME_REPORT_FAILED, []
    lines = render_report(report, "text").splitlines()
    more = ["…"] if len(lines) > SUMMARY_LINES else []
    drafts = draft_issues(report, deps.service.knowledge, limit=DRAFTS_SHOWN)
    return "\n".join(lines[:SUMMARY_LINES] + more), draft_buttons(drafts)


def _fingerprint(example: str) -> str:
    return hashlib.sha256(example.encode("utf-8")).hexdigest()[:12]


def draft_buttons(drafts: list[Any]) -> list[Block]:
    """A section per draft: its title, asked/askers, and the button that opens it."""
    if not drafts:
        return []
    blocks: list[Block] = [DividerBlock(), B.section(DRAFTS_TITLE)]
    for draft in drafts:
        gap = draft.gap
        text = f"*{B.esc(draft.title)}*\n{gap.count} asked by {gap.askers} " \
               f"{'person' if gap.askers == 1 else 'people'}"
        value = B.encode_value(r=draft.rank, k=_fingerprint(gap.example))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=text),
                                   accessory=B.button(DRAFT_BUTTON, f"{B.DRAFT_ISSUE_PREFIX}{draft.rank}", value)))
    return blocks


def draft_modal(draft: Any | None, *, loading: bool = False) -> View:
    """The modal showing one draft as Markdown to copy (or that it is coming, or why there is none)."""
    if loading:
        blocks: list[Block] = [B.section(DRAFT_LOADING)]
    elif draft is None:
        blocks = [B.section(DRAFT_GONE)]
    else:
        shown = B.report_blocks(draft.markdown, title=draft.title)
        blocks = [shown[0], B.section(DRAFT_INTRO), *shown[1:]]
    return View(type="modal", title=PlainTextObject(text=DRAFT_MODAL_TITLE),
                close=PlainTextObject(text="Close"), blocks=blocks[: B.VIEW_BLOCK_LIMIT])


async def open_draft(deps: Listeners, trigger_id: str, value: dict[str, Any]) -> None:
    """Open the modal, rebuild the drafts, show the one clicked (matched by its example, else by rank)."""
    from bot.reports.issues import draft_issues

    client = deps.gateway.client
    opened = await deps.gateway.open_view(trigger_id, draft_modal(None, loading=True))
    view_id = ((opened.response or {}).get("view") or {}).get("id") if opened.ok else None
    if not view_id:
        log_event(log, "draft_issue_failed", error=opened.error or "no view id")
        return
    drafts = []
    try:
        report = await _report(deps)
        drafts = draft_issues(report, deps.service.knowledge, limit=DRAFTS_SHOWN) if report else []
    except Exception as exc:  # noqa: BLE001 - the modal says the draft is gone
        log_event(log, "draft_issue_failed", error=type(exc).__name__)
    chosen = next((d for d in drafts if _fingerprint(d.gap.example) == value.get("k")), None)
    if chosen is None and not value.get("k"):
        chosen = next((d for d in drafts if d.rank == value.get("r")), None)
    sent = await deps.gateway.call("views.update", lambda: client.views_update(view_id=view_id,
                                                                               view=draft_modal(chosen)))
    log_event(log, "draft_issue_opened", ok=sent.ok, found=chosen is not None)
