"""Report formats: text (Slack and terminal), GitHub Markdown, CSV, JSON."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import re
from typing import Any

from bot.reports.build import Report
from bot.reports.gaps import Gap, scrub

FORMATS = ("text", "markdown", "csv", "json")
REASONS = {
    "unanswered": "no FAQ answer",
    "low_confidence": "low-confidence answer",
    "suggestions_unpicked": "suggestions nobody picked",
    "not_helpful": "answer rated not helpful",
}


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()


def _private_line(report: Report) -> str:
    n = report.private_count
    return f"{n} private report{'s' if n != 1 else ''} redirected to private disclosure"


def _reasons(gap: Gap) -> str:
    return ", ".join(f"{REASONS.get(r, r)} ×{n}" if len(gap.reasons) > 1 else REASONS.get(r, r)
                     for r, n in gap.reasons.items())


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON document (also what the other renderers show)."""
    return {
        "days": report.days,
        "generated_at": _iso(report.generated_at),
        "since": _iso(report.since),
        "total_questions": report.total_questions,
        "kinds": dict(sorted(report.kinds.items())),
        "private_redirected": report.private_count,
        "undelivered": [{"kind": kind, "reason": reason} for kind, reason in report.undelivered],
        "not_helpful_reasons": dict(sorted(report.not_helpful_reasons.items())),
        "low_confidence_threshold": report.low_confidence,
        "gap_groups": report.gap_groups,
        "gaps": [
            {
                "example": gap.example,
                "examples": list(gap.examples),
                "count": gap.count,
                "askers": gap.askers,
                "first_seen": _iso(gap.first_seen),
                "last_seen": _iso(gap.last_seen),
                "channels": list(gap.channels),
                "route_id": gap.route_id,
                "reasons": gap.reasons,
            }
            for gap in report.gaps
        ],
        "top_answered": [{"faq_id": faq_id, "count": n} for faq_id, n in report.top_answered],
        "worst_rated": [{"faq_id": faq_id, "not_helpful": bad, "helpful": good}
                        for faq_id, bad, good in report.worst_rated],
        "stale": [{"id": s.id, "reviewed": s.reviewed.isoformat() if s.reviewed else None, "days_old": s.days_old}
                  for s in report.stale],
    }


# Inline markup anywhere; block markup only where a line starts ("140-3" stays as written).
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^([-+>#=]|\d+(?=[.)]))")


def md_escape(text: str) -> str:
    """User text safe inside GitHub Markdown: no HTML, no formatting, no @mentions or #refs."""
    text = html.escape(scrub(text), quote=False)  # & < > first; the entities' '&' and ';' are inert
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), text)
    # A zero-width space after '@' / '#' stops GitHub from notifying people or linking issues.
    return text.replace("@", "@\u200b").replace("#", "#\u200b")


def _md_code(value: str) -> str:
    return "`" + value.replace("`", "'") + "`"


def _render_text(report: Report) -> str:
    lines = [
        f"SIG Security question report: last {report.days} days "
        f"({_day(report.since)} to {_day(report.generated_at)}, generated {_iso(report.generated_at)})",
        f"{report.total_questions} questions; {_private_line(report)}.",
        *([f"{len(report.undelivered)} accepted event(s) could not be answered: "
           + "; ".join(f"{kind} ({reason})" for kind, reason in report.undelivered[:10])] if report.undelivered else []),
        "",
        f"Gaps ({report.gap_groups} groups{f', top {len(report.gaps)} shown' if report.gap_groups > len(report.gaps) else ''}):",
    ]
    if not report.gaps:
        lines.append("  none")
    for rank, gap in enumerate(report.gaps, 1):
        where = f"route {gap.route_id}" if gap.route_id else "no route"
        lines.append(f"{rank:3}. \"{gap.example}\"")
        lines.append(f"     {gap.count} asked by {gap.askers} people; {where}; {_reasons(gap)}; "
                     f"{_day(gap.first_seen)} to {_day(gap.last_seen)}"
                     + (f"; channels {', '.join(gap.channels)}" if gap.channels else ""))
        for other in gap.examples[1:]:
            lines.append(f"     also: \"{other}\"")
    lines += ["", "Most-asked answered entries:"]
    lines += [f"  {n:6}  {faq_id}" for faq_id, n in report.top_answered] or ["  none"]
    lines += ["", "Entries rated not helpful (not helpful / helpful):"]
    lines += [f"  {bad:4} / {good:<4} {faq_id}" for faq_id, bad, good in report.worst_rated] or ["  none"]
    if report.not_helpful_reasons:
        lines.append("  reasons: " + ", ".join(f"{reason} {n}" for reason, n in sorted(report.not_helpful_reasons.items())))
    lines += ["", f"Stale entries (not reviewed in {report.stale_days} days):"]
    lines += [f"  {s.id}: " + (f"reviewed {s.reviewed.isoformat()} ({s.days_old} days ago)" if s.reviewed
                               else "never reviewed") for s in report.stale] or ["  none"]
    return "\n".join(lines) + "\n"


def _render_markdown(report: Report) -> str:
    out = [
        f"# FAQ gaps from Slack questions: {_day(report.since)} to {_day(report.generated_at)}",
        "",
        f"Generated by sigsec-bot at {_iso(report.generated_at)} from {report.total_questions} questions "
        f"asked in the last {report.days} days. {_private_line(report)} (not listed).",
        "",
        "## Questions the FAQ does not answer well",
        "",
    ]
    if not report.gaps:
        out.append("No gaps in this period.")
    for gap in report.gaps:
        route = f"; routed to {_md_code(gap.route_id)}" if gap.route_id else ""
        out.append(f"- [ ] **{gap.count} asked by {gap.askers} people**{route}; {_reasons(gap)}; "
                   f"first {_day(gap.first_seen)}, last {_day(gap.last_seen)}")
        for index, example in enumerate(gap.examples):
            if index:
                out.append("  >")
            out.append(f"  > {md_escape(example)}")
    if report.gap_groups > len(report.gaps):
        out += ["", f"_{report.gap_groups - len(report.gaps)} smaller groups not shown._"]

    out += ["", "## Most-asked answered entries", ""]
    if report.top_answered:
        out += ["| Entry | Answers |", "| --- | ---: |"]
        out += [f"| {_md_code(faq_id)} | {n} |" for faq_id, n in report.top_answered]
    else:
        out.append("None.")
    out += ["", "## Entries rated not helpful", ""]
    if report.worst_rated:
        out += ["| Entry | Not helpful | Helpful |", "| --- | ---: | ---: |"]
        out += [f"| {_md_code(faq_id)} | {bad} | {good} |" for faq_id, bad, good in report.worst_rated]
    else:
        out.append("None.")
    if report.not_helpful_reasons:
        out += ["", "Why: " + ", ".join(f"{md_escape(reason)} {n}" for reason, n in sorted(report.not_helpful_reasons.items()))]
    out += ["", f"## Entries not reviewed in {report.stale_days} days", ""]
    if report.stale:
        for s in report.stale:
            age = f"reviewed {s.reviewed.isoformat()} ({s.days_old} days ago)" if s.reviewed else "never reviewed"
            out.append(f"- [ ] {_md_code(s.id)}: {age}")
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


CSV_FIELDS = ("rank", "count", "askers", "first_seen", "last_seen", "route_id", "channels", "reasons",
              "example", "examples")


def _csv_cell(value: str) -> str:
    """Stop spreadsheets from evaluating user text as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _render_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for rank, gap in enumerate(report.gaps, 1):
        writer.writerow([
            rank, gap.count, gap.askers, _iso(gap.first_seen), _iso(gap.last_seen), gap.route_id or "",
            " ".join(gap.channels), ";".join(f"{r}={n}" for r, n in gap.reasons.items()),
            _csv_cell(gap.example), _csv_cell(" | ".join(gap.examples)),
        ])
    return buffer.getvalue()


def render_report(report: Report, fmt: str) -> str:
    """The report as text | markdown | csv (the gaps) | json."""
    if fmt == "json":
        return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _render_markdown(report)
    if fmt == "csv":
        return _render_csv(report)
    if fmt == "text":
        return _render_text(report)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
