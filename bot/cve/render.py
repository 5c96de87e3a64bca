"""CVE answers as Slack mrkdwn.

`as_text(answer)` renders one answer; `as_text([a, b, ...])` with several answers renders a compact
table (one row per id, in a code block) followed by the links. Everything that comes from a person
(the version) or from outside data (summaries, versions, URLs) is escaped for Slack (`&`, `<`, `>`).
"""

from __future__ import annotations

from typing import Sequence

from .advisor import DEPENDENCY_GUIDANCE_ID, FEED_PAGE, CveAnswer

__all__ = ["as_text", "as_table", "escape", "DEPENDENCY_GUIDANCE_ID"]


def escape(text: str) -> str:
    """Slack's three control characters; everything else is shown as written."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, title: str) -> str:
    # `|` would end the URL part of a Slack link early; titles are ours, URLs come from data.
    return f"<{escape(url).replace('|', '%7C')}|{escape(title)}>"


def _severity(answer: CveAnswer) -> str:
    sev = answer.severity
    if sev is None:
        return "not rated (no CVSS vector in the data)"
    return f"{sev.rating} ({sev.score:.1f}, `{escape(sev.vector)}`)"


def _footer(answer: CveAnswer) -> str:
    text = f"Data as of {escape(answer.data_as_of or 'unknown')}"
    if answer.feed_checked_at:
        text += f", official feed checked {escape(answer.feed_checked_at)}"
    text += "."
    if answer.synthetic_data:
        text += " (Synthetic test data: set CVE_DATA to a real snapshot.)"
    return f"_{text}_"


def _verdict_word(affected: bool | None) -> str:
    if affected is True:
        return "*affected*"
    if affected is False:
        return "*not affected*"
    return "*depends on the patch release*"


def _not_found(answer: CveAnswer, dependency_guidance: str | None) -> str:
    lines = [
        f"*{escape(answer.id)}* is not a Kubernetes-announced CVE: it is not in the official Kubernetes CVE feed "
        f"or the Kubernetes OSV data (as of {escape(answer.data_as_of or 'unknown')}).",
        "If a scanner reports it in a Kubernetes image or binary, it is most likely in a dependency "
        "(the Go standard library, base-image packages, or another project such as containerd, runc or etcd), "
        f"which has its own advisory. See the dependency-CVE guidance (FAQ `{DEPENDENCY_GUIDANCE_ID}`).",
    ]
    if dependency_guidance:
        lines.append(dependency_guidance.strip())  # trusted knowledge-base text, already mrkdwn
    lines.append(" · ".join(_link(link.url, link.title) for link in answer.links))
    lines.extend(f"_Note: {escape(n)}_" for n in answer.notes)
    lines.append(_footer(answer))
    return "\n".join(lines)


def _one(answer: CveAnswer, dependency_guidance: str | None) -> str:
    if not answer.found:
        return _not_found(answer, dependency_guidance)
    lines = [f"*{escape(answer.id)}*: {escape(answer.summary or '')}"]
    lines.append(f"*Severity:* {_severity(answer)}")
    if answer.components:
        names = ", ".join(escape(c.display or c.name) for c in answer.components)
        lines.append(f"*Component:* {names}")
    lines.append(f"*Status:* {escape(answer.status or 'unknown')}")
    fixed_parts = []
    for c in answer.components:
        label = escape(c.display or c.name)
        if c.fixed:
            fixed_parts.append(f"{label} {', '.join(escape(v) for v in c.fixed)}")
        elif c.last_affected:
            fixed_parts.append(
                f"{label}: no fixed release named (last affected {', '.join(escape(v) for v in c.last_affected)})"
            )
        else:
            fixed_parts.append(f"{label}: no fix listed")
    if fixed_parts:
        lines.append(f"*Fixed in:* {'; '.join(fixed_parts)}")
    elif answer.found:
        lines.append("*Fixed in:* the data has no version ranges for this CVE; see the tracking issue")
    if answer.version is not None:
        head = f"*Your version {escape(answer.version)}:* {_verdict_word(answer.affected)}"
        if answer.component_asked:
            head += f" (asked for {escape(answer.component_asked)})"
        details = [
            f"{escape(c.display or c.name)}: {escape(c.detail)}" for c in answer.components if c.evaluated and c.detail
        ]
        if details:
            head += " — " + "; ".join(details)
        lines.append(head)
    has_fix = any(c.fixed for c in answer.components)
    upgrade = ("upgrading to a fixed release is the fix." if has_fix and answer.status not in ("open", "unfixed")
               else "no fixed release is listed, so mitigations are what there is for now.")
    where = (f"the {_link(answer.tracking_issue, 'tracking issue')} lists mitigations and detection steps"
             if answer.tracking_issue else f"see the advisory on {_link(_cve_org(answer), 'cve.org')}")
    lines.append(f"*Mitigation:* {where}; {upgrade}")
    lines.append(" · ".join(_link(link.url, link.title) for link in answer.links))
    lines.extend(f"_Note: {escape(n)}_" for n in answer.notes)
    lines.append(_footer(answer))
    return "\n".join(lines)


def _cve_org(answer: CveAnswer) -> str:
    for link in answer.links:
        if "cve.org" in link.url:
            return link.url
    return FEED_PAGE


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def as_table(answers: Sequence[CveAnswer]) -> str:
    """Several answers, one row each, in a code block; then the links and the data date."""
    if not answers:
        return ""
    with_version = any(a.version is not None for a in answers)
    header = ["CVE", "Severity", "Component", "Status", "Fixed in"] + (["Affected"] if with_version else [])
    rows: list[list[str]] = []
    for a in answers:
        if not a.found:
            row = [a.id, "-", "-", "not a Kubernetes CVE", "-"] + (["-"] if with_version else [])
        else:
            sev = f"{a.severity.rating} {a.severity.score:.1f}" if a.severity else "not rated"
            comps = ", ".join(c.display or c.name for c in a.components) or "-"
            fixed = ", ".join(v for c in a.components for v in c.fixed) or (
                "none named" if any(c.last_affected for c in a.components) else "-"
            )
            row = [a.id, sev, _clip(comps, 28), a.status or "unknown", _clip(fixed, 40)]
            if with_version:
                if a.version is None or (a.affected is None and not any(c.evaluated for c in a.components)):
                    row.append("not checked")
                else:
                    row.append({True: "yes", False: "no", None: "depends"}[a.affected])
        rows.append(row)
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]
    fmt = lambda r: "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)).rstrip()  # noqa: E731
    table = "\n".join([fmt(header)] + [fmt(r) for r in rows])
    lines = []
    versions = {a.version for a in answers if a.version is not None}
    if versions:
        lines.append(f"Checked against version {escape(', '.join(sorted(versions)))}:")
    lines.append("```\n" + escape(table) + "\n```")
    for a in answers:
        if a.found:
            links = " · ".join(_link(link.url, link.title) for link in a.links if link.url != FEED_PAGE)
            lines.append(f"*{escape(a.id)}*: {escape(_clip(a.summary or '', 100))} — {links}")
    unknown = [a.id for a in answers if not a.found]
    if unknown:
        several = len(unknown) > 1
        lines.append(
            f"{escape(', '.join(unknown))}: {'not Kubernetes-announced CVEs' if several else 'not a Kubernetes-announced CVE'}; "
            f"if a scanner reports {'them' if several else 'it'} in Kubernetes images or binaries, "
            f"{'they are' if several else 'it is'} most likely in a dependency: see the dependency-CVE guidance "
            f"(FAQ `{DEPENDENCY_GUIDANCE_ID}`)."
        )
    notes = []
    for a in answers:
        notes.extend(n for n in a.notes if n not in notes)
    lines.extend(f"_Note: {escape(n)}_" for n in notes)
    lines.append(_link(FEED_PAGE, "Official Kubernetes CVE feed"))
    lines.append(_footer(answers[0]))
    return "\n".join(lines)


def as_text(answer: CveAnswer | Sequence[CveAnswer], *, dependency_guidance: str | None = None) -> str:
    """One answer as a Slack message; several (a list of two or more) as a compact table."""
    if isinstance(answer, CveAnswer):
        return _one(answer, dependency_guidance)
    answers = list(answer)
    if len(answers) == 1:
        return _one(answers[0], dependency_guidance)
    return as_table(answers)
