"""Gaps grouped by meaning, and `report --format issues`: ready-to-file doc issues, on real stores."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import string
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.core.config import load_settings
from bot.core.knowledge import FaqEntry, KnowledgeBase, Route
from bot.core.reply import AskContext, Reply, ReplyKind
from bot.core.service import Service
from bot.core.text import normalize
from bot.reports import build_report, report_text
from bot.reports.formats import md_escape
from bot.reports.gaps import group_gaps
from bot.reports.issues import draft_issues, render_issues, write_issues
from bot.storage import Storage

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
SIG_NETWORK = Route(id="sig-network", name="SIG Network", channel="#sig-network", sig="sig-network",
                    link="https://github.com/kubernetes/community/tree/master/sig-network")
MESH = FaqEntry(id="service-mesh-mtls", question="How do I encrypt traffic between pods with mutual TLS?",
                answer="Use a service mesh.", links=("https://kubernetes.io/docs/concepts/services-networking/",),
                tags=("mtls", "istio"), owner="sig-network")
OTHER = FaqEntry(id="audit-logging", question="How do I enable audit logging?", answer="An audit policy.",
                 links=("https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/",), owner="sig-auth")
KB = KnowledgeBase(entries=(MESH, OTHER), routes=(SIG_NETWORK,))
MTLS = ("how do I set up mTLS between istio sidecars and vault",
        "mutual tls between istio sidecars and an external vault?")
FIPS = ("are kubernetes binaries built with FIPS validated cryptography",
        "how do I get a FIPS compliant kubernetes cluster")
APART = [("is there a CVE for runc", "is there a cve for containerd"),
         ("what is pod security admission", "what is pod security policy"),
         ("CVE-2024-1234 affected versions?", "cve-2024-1235 affected versions"),
         ("how do I rotate certificates", "how do I rotate secrets"),
         ("how do I scan images for vulnerabilities", "how do I sign images")]


@pytest.fixture(scope="module")
def embedder() -> Any:
    from bot.core.service import shared_embedder
    from bot.semantic import EmbeddingUnavailable

    try:
        return shared_embedder()
    except EmbeddingUnavailable as exc:  # the model ships with the repository; a broken checkout skips
        pytest.skip(f"embedding model unavailable: {exc}")


def rows(questions: list[str]) -> list[tuple]:
    return [(NOW, "C1", f"user{n}", q, normalize(q), None, "unanswered") for n, q in enumerate(questions)]


def together(gaps: list, a: str, b: str) -> bool:
    [group] = [g for g in gaps if a in g.examples]
    return b in group.examples


def test_meaning_merges_rephrasings_words_alone_miss(embedder: Any) -> None:
    questions = [*MTLS, *FIPS, *(q for pair in APART for q in pair)]
    by_words = group_gaps(rows(questions))
    by_meaning = group_gaps(rows(questions), embedder=embedder)
    for a, b in (MTLS, FIPS):
        assert not together(by_words, a, b), (a, b)  # what the issue reported
        assert together(by_meaning, a, b), (a, b)
    for a, b in APART:  # same frame, different subject: kept apart
        assert not together(by_meaning, a, b), (a, b)
    assert sum(g.count for g in by_meaning) == len(questions)
    mtls = [g for g in by_meaning if MTLS[0] in g.examples][0]
    assert (mtls.count, mtls.askers) == (2, 2)


async def ask(store: Storage, question: str, *, user: str, days_ago: float = 1,
              kind: ReplyKind = ReplyKind.ROUTED, route: Route | None = SIG_NETWORK) -> None:
    reply = Reply(kind=kind, question=question, message="...", route=route, normalized=normalize(question))
    await store.questions.log_question(reply, AskContext(user_id=user, channel_id="C1", source="mention"),
                                       asked_at=NOW - dt.timedelta(days=days_ago))


async def test_issue_drafts_from_a_real_store(store: Storage, embedder: Any) -> None:
    await ask(store, MTLS[0], user="U1", days_ago=9)
    await ask(store, MTLS[1], user="U2", days_ago=2)
    await ask(store, MTLS[1], user="U2", days_ago=1)
    await ask(store, "<@U0ADMIN> is kubernetes FIPS 140-3 validated?", user="U3", route=None, kind=ReplyKind.UNKNOWN)
    report = await build_report(store, knowledge=KB, days=30, now=NOW, embedder=embedder)
    drafts = draft_issues(report, KB)
    assert [d.rank for d in drafts] == [1, 2]
    mesh = drafts[0]
    assert mesh.title == "Docs gap: mutual tls between istio sidecars and an external vault"
    assert mesh.route == SIG_NETWORK and "**SIG Network** (route `sig-network`; `#sig-network`)" in mesh.body
    assert "| Questions | 3 |" in mesh.body and "| People asking | 2 |" in mesh.body
    assert "| First seen | 2025-02-20 |" in mesh.body and "| Last seen | 2025-02-28 |" in mesh.body
    assert "> how do I set up mTLS between istio sidecars and vault" in mesh.body
    assert mesh.pages == (("https://kubernetes.io/docs/concepts/services-networking/", "service-mesh-mtls"),)
    fips = drafts[1]
    assert "no owning group" in fips.body.lower() and "SIG Security to triage" in fips.body
    assert "140-3" in fips.body and "U0ADMIN" not in fips.body and "@\u200bsomeone" in fips.body
    assert "No existing page found" in fips.body

    text = await report_text(store, knowledge=KB, days=3650, stale_days=365, fmt="issues", embedder=embedder)
    assert text.count("\n---\n") == 1 and text.startswith("# Docs gap: ")


async def test_no_gaps_no_issues(store: Storage) -> None:
    report = await build_report(store, knowledge=KB, now=NOW)
    assert draft_issues(report, KB) == [] and "no documentation issues" in render_issues(report, KB)


def test_markdown_escapes_only_what_needs_it() -> None:
    assert md_escape("is kubernetes FIPS 140-3 validated (really)?") == "is kubernetes FIPS 140-3 validated (really)?"
    assert md_escape("- not a list") == "\\- not a list" and md_escape("1. not a list") == "1\\. not a list"
    assert md_escape("*bold* [x](y) | a_b") == "\\*bold\\* \\[x\\](y) \\| a\\_b"
    assert md_escape("see #123 @me") == "see #\u200b123 @\u200bme"


def test_cli_report_format_issues_with_redacted_examples(tmp_path: Path, monkeypatch, capsys) -> None:
    rng = random.Random(3)
    token = "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))
    url = f"sqlite+aiosqlite:///{tmp_path / 'issues.db'}"
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MATCHER", "lexical")
    question = f"my token {token} leaked in a keyless cosign signing workflow of release artifacts, what now"

    async def log_through_the_service() -> None:
        storage = await Storage.open(url)
        service = await Service.create(load_settings(), storage=storage)
        try:
            for user in ("U1", "U2"):
                await service.answer(question, context=AskContext(user_id=user, channel_id="C1", source="mention"))
        finally:
            await service.close()
            await storage.close()

    asyncio.run(log_through_the_service())
    assert main(["report", "--format", "issues"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Docs gap: ") and "## What people asked" in out and "| People asking | 2 |" in out
    assert token not in out and "> my token \\[redacted github\\_token\\] leaked" in out

    assert main(["report", "--format", "issues", "--out", str(tmp_path / "drafts")]) == 0
    files = sorted((tmp_path / "drafts").glob("*.md"))
    assert files and files[0].name.startswith("01-")
    assert files[0].read_text().startswith("# Docs gap: ") and token not in files[0].read_text()
    assert main(["report", "--format", "json", "--out", str(tmp_path / "x")]) == 2  # --out is for issues


def test_write_issues_names_files_by_rank(tmp_path: Path) -> None:
    report_gaps = group_gaps(rows([MTLS[0], MTLS[0] + "?"]))
    from bot.reports.build import Report

    report = Report(days=30, generated_at=NOW, since=NOW - dt.timedelta(days=30), gaps=report_gaps, gap_groups=1,
                    top_answered=[], worst_rated=[], stale=[], stale_days=365, private_count=0, kinds={},
                    low_confidence=0.7)
    [path] = write_issues(draft_issues(report, KB), tmp_path)
    assert path.name == "01-how-do-i-set-up-mtls-between-istio-sidecars-and-vault.md"


def test_the_heading_of_a_draft_is_escaped_like_its_body() -> None:
    from bot.reports.issues import IssueDraft

    draft = IssueDraft(1, "Docs gap: ping @security-team about <b>#123</b>", "body", None, None, ())  # type: ignore[arg-type]
    heading = draft.markdown.splitlines()[0]
    assert heading.startswith("# Docs gap:")
    assert "<b>" not in heading and "@security-team" not in heading and "#123" not in heading
