"""Maintainers' reports: where the FAQ falls short, what it answers most, what needs a review.

SIG Security's charter asks it to "identify common questions or issues as areas for improvement";
this turns the question log into that list: `build` gathers it (gap grouping in `gaps`), `formats`
renders it as text, Markdown, CSV or JSON. Private reports only ever appear as a count.
"""

from __future__ import annotations

from typing import Any

from bot.core.knowledge import KnowledgeBase
from bot.reports.build import Report, build_report
from bot.reports.formats import FORMATS, render_report
from bot.reports.meaning import loaded_embedder
from bot.storage import Storage

__all__ = ["FORMATS", "Report", "build_report", "render_report", "report_text"]
AUTO: Any = object()  # the embedding model if this process loaded it (MATCHER=fused), else words only


async def report_text(storage: Storage, *, knowledge: KnowledgeBase, days: int, stale_days: int,
                      fmt: str = "text", embedder: Any = AUTO) -> str:
    """Build the report for the last `days` days and render it: what every surface shows.

    `fmt` is one of FORMATS, or `issues` (ready-to-file doc issues, `bot.reports.issues`)."""
    if embedder is AUTO:
        embedder = loaded_embedder()
    report = await build_report(storage, knowledge=knowledge, days=days, stale_days=stale_days, embedder=embedder)
    if fmt == "issues":
        from bot.reports.issues import render_issues

        return render_issues(report, knowledge)
    return render_report(report, fmt)
