"""From gaps to documentation: a ready-to-file Markdown issue for each top gap cluster.

    drafts = draft_issues(report, knowledge)      # IssueDraft(title, body, ...) per top cluster
    render_issues(report, knowledge)              # all of them as one Markdown text (`report --format issues`)

Each draft says what people asked (redacted examples: credentials were removed before logging,
Slack mentions here), how many questions and askers, first and last seen, the owning group from
routing.yaml, and candidate doc pages: the links of the FAQ entries whose wording is closest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot.core.knowledge import FaqEntry, KnowledgeBase, Route
from bot.core.text import terms
from bot.reports.build import Report
from bot.reports.formats import REASONS, md_escape
from bot.reports.gaps import Gap, scrub

DEFAULT_LIMIT = 10
MAX_TITLE = 90
MAX_PAGES = 4
MIN_OVERLAP = 0.34  # share of a question's content words an FAQ entry must contain to be a candidate
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class IssueDraft:
    """One gap cluster as an issue to file."""

    rank: int
    title: str  # plain text (user words): escape it for Markdown, as `markdown` does
    body: str  # GitHub Markdown
    gap: Gap
    route: Route | None
    pages: tuple[tuple[str, str], ...]  # (url, FAQ entry id it came from)

    @property
    def markdown(self) -> str:
        """The whole issue as GitHub Markdown: the escaped title as a heading, then the body."""
        return f"# {md_escape(self.title)}\n\n{self.body}"

    @property
    def slug(self) -> str:
        slug = _SLUG.sub("-", self.gap.example.lower()).strip("-")
        if len(slug) > 60:
            slug = slug[:61].rsplit("-", 1)[0]  # whole words
        return f"{self.rank:02d}-{slug or 'gap'}"


def _day(gap_moment: object) -> str:
    return gap_moment.date().isoformat()  # type: ignore[attr-defined]


def title_for(gap: Gap) -> str:
    """Plain issue title: the most common phrasing, one line, bounded."""
    text = scrub(gap.example).rstrip("?!. ")
    if len(text) > MAX_TITLE:
        text = text[: MAX_TITLE - 1].rstrip() + "…"
    return f"Docs gap: {text}" if text else "Docs gap"


def _entry_words(entry: FaqEntry) -> set[str]:
    return set(terms(" ".join((*entry.phrasings, *entry.tags))))


def candidate_pages(gap: Gap, knowledge: KnowledgeBase, *, limit: int = MAX_PAGES) -> tuple[tuple[str, str], ...]:
    """Links of the FAQ entries closest in wording to the cluster (then the owning group's own entries)."""
    asked = set(terms(" ".join(gap.examples)))
    if not asked:
        return ()
    scored = []
    for entry in knowledge.entries:
        overlap = len(asked & _entry_words(entry)) / len(asked)
        owned = entry.owner is not None and entry.owner == gap.route_id
        if overlap >= MIN_OVERLAP or (owned and overlap > 0):
            scored.append((-overlap - (0.1 if owned else 0.0), entry.id, entry))
    pages: list[tuple[str, str]] = []
    for _score, _id, entry in sorted(scored):
        for url in entry.links[:2]:
            if url not in {u for u, _ in pages}:
                pages.append((url, entry.id))
        if len(pages) >= limit:
            break
    return tuple(pages[:limit])


def _owner_line(route: Route | None, route_id: str | None) -> str:
    if route is None:
        return ("No owning group was found for these questions: SIG Security to triage"
                + (f" (route `{route_id}` is no longer in routing.yaml)." if route_id else "."))
    sig = f", SIG directory `{route.sig}`" if route.sig and route.sig != route.id else ""
    return f"**{md_escape(route.name)}** (route `{route.id}`{sig}; `{route.channel}`): {route.link}"


def _body(gap: Gap, route: Route | None, pages: tuple[tuple[str, str], ...], report: Report) -> str:
    reasons = ", ".join(f"{REASONS.get(r, r)} ×{n}" for r, n in gap.reasons.items())
    lines = [
        "## What people asked",
        "",
        *[line for example in gap.examples for line in (f"> {md_escape(example)}", ">")][:-1],
        "",
        "_Examples are redacted: credentials were removed before logging; Slack mentions read @someone._",
        "",
        "| | |",
        "| --- | --- |",
        f"| Questions | {gap.count} |",
        f"| People asking | {gap.askers} |",
        f"| First seen | {_day(gap.first_seen)} |",
        f"| Last seen | {_day(gap.last_seen)} |",
        f"| Why it is a gap | {reasons} |",
        "",
        "## Owning group",
        "",
        _owner_line(route, gap.route_id),
        "",
        "## Candidate doc pages",
        "",
    ]
    if pages:
        lines += [f"- [ ] {url} (linked from FAQ entry `{entry_id}`)" for url, entry_id in pages]
    else:
        lines.append("- [ ] No existing page found: a new page (or FAQ entry) is needed.")
    lines += [
        "",
        "## To do",
        "",
        "- [ ] Write or extend the documentation that answers these questions.",
        "- [ ] Add or update an FAQ entry in `knowledge/` pointing to it, with these phrasings as alternates.",
        "",
        f"_Drafted by sigsec-bot from the question log ({report.days} days up to {_day(report.generated_at)})._",
    ]
    return "\n".join(lines) + "\n"


def draft_issues(report: Report, knowledge: KnowledgeBase, *, limit: int = DEFAULT_LIMIT) -> list[IssueDraft]:
    """A draft for each of the report's top `limit` gap clusters, in the report's order."""
    routes = {route.id: route for route in knowledge.routes}
    drafts = []
    for rank, gap in enumerate(report.gaps[:limit], 1):
        route = routes.get(gap.route_id) if gap.route_id else None
        pages = candidate_pages(gap, knowledge)
        drafts.append(IssueDraft(rank, title_for(gap), _body(gap, route, pages, report), gap, route, pages))
    return drafts


def render_issues(report: Report, knowledge: KnowledgeBase, *, limit: int = DEFAULT_LIMIT) -> str:
    """Every draft as one Markdown text: `# title` then the body, drafts separated by `---`."""
    drafts = draft_issues(report, knowledge, limit=limit)
    if not drafts:
        return f"No gaps in the last {report.days} days: no documentation issues to draft.\n"
    return "\n---\n\n".join(draft.markdown for draft in drafts)


def write_issues(drafts: list[IssueDraft], folder: Path) -> list[Path]:
    """One `NN-slug.md` per draft (first line the title) in `folder`; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for draft in drafts:
        path = folder / f"{draft.slug}.md"
        path.write_text(draft.markdown, encoding="utf-8")
        written.append(path)
    return written
