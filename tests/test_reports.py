"""Maintainers' reports over real stores (SQLite and PostgreSQL): gaps, ranking, formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from bot.core.knowledge import FaqEntry, KnowledgeBase, Route
from bot.core.reply import AskContext, Reply, ReplyKind
from bot.reports import FORMATS, build_report, render_report
from bot.reports.formats import md_escape
from bot.reports.gaps import cluster_keys, content_key
from bot.storage import Storage
from bot.storage.schema import feedback

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
SIG_AUTH = Route(id="sig-auth", name="SIG Auth", channel="#sig-auth", link="https://github.com/kubernetes/community")
SIG_NODE = Route(id="sig-node", name="SIG Node", channel="#sig-node", link="https://github.com/kubernetes/community")
FRESH = FaqEntry(id="report-vulnerability", question="How do I report a vulnerability?", answer="Privately.",
                 reviewed=dt.date(2025, 1, 10))
OLD = FaqEntry(id="rotate-certs", question="How do I rotate certificates?", answer="kubeadm certs renew.",
               reviewed=dt.date(2023, 6, 1))
BORDER = FaqEntry(id="psa", question="What is Pod Security Admission?", answer="A built-in admission controller.",
                  reviewed=(NOW - dt.timedelta(days=365)).date())
KB = KnowledgeBase(entries=(FRESH, OLD, BORDER), routes=(SIG_AUTH, SIG_NODE))
PRIVATE_TEXT = "0day RCE in kubelet, exploit attached"


async def ask(store: Storage, question: str, *, user: str | None = "U1", kind: ReplyKind = ReplyKind.UNKNOWN,
              days_ago: float = 1, channel: str | None = "C1", route: Route | None = None,
              entry: FaqEntry | None = None, confidence: float = 0.0, suggestions: tuple = (),
              normalized: str | None = None) -> int:
    reply = Reply(kind=kind, question=question, message="...", entry=entry, confidence=confidence,
                  suggestions=suggestions, route=route,
                  normalized=question.lower().strip("?! ") if normalized is None else normalized)
    return await store.questions.log_question(reply, AskContext(user_id=user, channel_id=channel, source="mention"),
                                    asked_at=NOW - dt.timedelta(days=days_ago))


async def seed(store: Storage) -> dict[str, int]:
    ids: dict[str, int] = {}
    # Four people, three phrasings (one misspelt) of one question.
    await ask(store, "How do I report a vulnerability?", user="U1", route=SIG_AUTH, days_ago=20)
    await ask(store, "How do I report a vulnerability?", user="U2", route=SIG_AUTH, channel="C2")
    await ask(store, "How can I report a vulnerability?", user="U3", kind=ReplyKind.ROUTED, route=SIG_NODE)
    await ask(store, "hi all, how do i report a vulnerabilty please", user="U4", route=SIG_AUTH, days_ago=3)
    # One person asking five times: ranks below two distinct askers.
    for n in range(5):
        await ask(store, "Is there a CVE for runc?", user="U9", days_ago=2 + n)
    await ask(store, "is there a cve for containerd", user="U5")
    ids["psa"] = await ask(store, "What is pod security admission?", user="U6", kind=ReplyKind.ANSWERED,
                           entry=BORDER, confidence=0.5)  # low confidence
    await ask(store, "what is pod security admission", user="U7", kind=ReplyKind.SUGGESTIONS,
              suggestions=(BORDER, OLD), confidence=0.4)  # nobody picked
    # Served well: excluded.
    await ask(store, "How do I rotate certificates?", user="U8", kind=ReplyKind.ANSWERED, entry=OLD, confidence=0.95)
    await ask(store, "how do I rotate certs", user="U8", kind=ReplyKind.ANSWERED, entry=OLD, confidence=0.9)
    ids["picked"] = await ask(store, "cert rotation?", user="U8", kind=ReplyKind.SUGGESTIONS,
                              suggestions=(OLD,), confidence=0.4)
    await store.questions.record_suggestion_pick(question_id=ids["picked"], faq_id="rotate-certs")
    # Confident, but rated not helpful: a gap.
    ids["unhelpful"] = await ask(store, "how to renew kubelet serving certificates", user="U10",
                                 kind=ReplyKind.ANSWERED, entry=OLD, confidence=0.92)
    for user, helpful in (("U10", False), ("U11", False), ("U12", True)):
        await store.questions.record_feedback(question_id=ids["unhelpful"], user_id=user, helpful=helpful)
    await store.questions.record_feedback(question_id=ids["psa"], user_id="U12", helpful=True)
    async with store.engine.begin() as connection:  # votes are stamped "now"; move them into the window
        await connection.execute(update(feedback).values(created_at=NOW - dt.timedelta(hours=1)))
    # Outside the window, and a private report.
    await ask(store, "how do I report a vulnerability", user="U20", days_ago=45)
    await ask(store, PRIVATE_TEXT, user="U21", kind=ReplyKind.PRIVATE, entry=FRESH)
    await ask(store, PRIVATE_TEXT, user="U22", kind=ReplyKind.PRIVATE, entry=FRESH, days_ago=2)
    return ids


def by_example(report, needle: str):
    matches = [gap for gap in report.gaps if any(needle in e.lower() for e in gap.examples)]
    assert len(matches) == 1, [g.examples for g in report.gaps]
    return matches[0]


async def test_gaps_are_grouped_ranked_and_explained(store: Storage) -> None:
    await seed(store)
    report = await build_report(store, knowledge=KB, days=30, now=NOW)

    vuln = by_example(report, "report a vulnerab")
    assert (vuln.count, vuln.askers) == (4, 4)
    assert len(vuln.examples) == 3 and vuln.example == "How do I report a vulnerability?"
    assert vuln.route_id == "sig-auth"  # the most common route in the group
    assert vuln.channels == ("C1", "C2")
    assert vuln.first_seen == NOW - dt.timedelta(days=20) and vuln.last_seen == NOW - dt.timedelta(days=1)
    assert vuln.reasons == {"unanswered": 4}

    psa = by_example(report, "pod security admission")
    assert (psa.count, psa.askers) == (2, 2)
    assert psa.reasons == {"low_confidence": 1, "suggestions_unpicked": 1}

    runc, containerd = by_example(report, "runc"), by_example(report, "containerd")  # kept apart
    assert (runc.count, runc.askers, containerd.count) == (5, 1, 1)
    assert by_example(report, "kubelet serving").reasons == {"not_helpful": 1}

    # Distinct askers first, then questions.
    order = [report.gaps.index(gap) for gap in (vuln, psa, runc, containerd)]
    assert order == sorted(order)
    assert not any("rotate" in e.lower() or "cert rotation" in e.lower() for g in report.gaps for e in g.examples)
    assert report.gap_groups == len(report.gaps) == 5
    assert report.private_count == 2 and report.kinds["private"] == 2
    assert report.total_questions == 18  # the 45-day-old question is outside the window


async def test_top_answered_worst_rated_and_stale(store: Storage) -> None:
    await seed(store)
    report = await build_report(store, knowledge=KB, days=30, stale_days=365, now=NOW)
    assert report.top_answered == [("rotate-certs", 3), ("psa", 1)]
    assert report.worst_rated[0] == ("rotate-certs", 2, 1)
    assert [row[0] for row in report.worst_rated] == ["rotate-certs"]  # psa only has praise
    assert [(s.id, s.reviewed, s.days_old) for s in report.stale] == [
        ("rotate-certs", dt.date(2023, 6, 1), (NOW.date() - dt.date(2023, 6, 1)).days)]
    # Exactly stale_days old is not yet stale; one day later it is.
    later = await build_report(store, knowledge=KB, days=30, stale_days=364, now=NOW)
    assert {s.id for s in later.stale} == {"rotate-certs", "psa"}


async def test_limit_and_threshold(store: Storage) -> None:
    await seed(store)
    strict = await build_report(store, knowledge=KB, now=NOW, low_confidence=0.3, limit=2)
    assert len(strict.gaps) == 2 and strict.gap_groups == 5
    psa = [g for g in (await build_report(store, knowledge=KB, now=NOW, low_confidence=0.3)).gaps
           if "pod security" in g.example.lower()]
    assert psa[0].reasons == {"suggestions_unpicked": 1}  # 0.5 is confident enough at 0.3


async def test_every_format_parses_and_carries_the_fields(store: Storage) -> None:
    await seed(store)
    await ask(store, "=HYPERLINK(\"http://evil\") how do I <@U0ADMIN> get <!channel> *scanned*?", user="U30")
    report = await build_report(store, knowledge=KB, days=30, now=NOW)
    outputs = {fmt: render_report(report, fmt) for fmt in FORMATS}
    for output in outputs.values():
        assert PRIVATE_TEXT not in output and "0day" not in output
        assert "U0ADMIN" not in output and "<!channel>" not in output

    document = json.loads(outputs["json"])
    assert {"days", "generated_at", "gaps", "top_answered", "worst_rated", "stale"} <= set(document)
    assert document["days"] == 30 and document["generated_at"] == "2025-03-01T12:00:00Z"
    assert document["private_redirected"] == 2
    gap = document["gaps"][0]
    assert set(gap) >= {"example", "examples", "count", "askers", "first_seen", "last_seen", "channels", "route_id"}
    assert (gap["count"], gap["askers"], gap["route_id"]) == (4, 4, "sig-auth")
    assert dt.datetime.fromisoformat(gap["first_seen"]) < dt.datetime.fromisoformat(gap["last_seen"])
    assert document["top_answered"][0] == {"faq_id": "rotate-certs", "count": 3}
    assert document["worst_rated"][0] == {"faq_id": "rotate-certs", "not_helpful": 2, "helpful": 1}
    assert document["stale"][0] == {"id": "rotate-certs", "reviewed": "2023-06-01", "days_old": 639}

    rows = list(csv.DictReader(io.StringIO(outputs["csv"])))
    assert len(rows) == len(document["gaps"])
    assert rows[0]["example"] == gap["example"] and rows[0]["count"] == "4" and rows[0]["askers"] == "4"
    assert {"rank", "first_seen", "last_seen", "channels", "route_id", "examples"} <= set(rows[0])
    assert all(not row["example"].startswith(("=", "+", "-", "@")) for row in rows)  # no spreadsheet formulas

    markdown = outputs["markdown"]
    assert markdown.startswith("# ") and "- [ ] **4 asked by 4 people**" in markdown
    assert "  > How do I report a vulnerability?" in markdown
    assert "2 private reports redirected" in markdown
    assert "`rotate-certs`" in markdown and "reviewed 2023-06-01" in markdown
    assert "<!" not in markdown and "*scanned*" not in markdown and "\\*scanned\\*" in markdown
    assert re.search(r"@(?!\u200b)", markdown) is None  # no live @mention anywhere

    text = outputs["text"]
    assert "2 private reports redirected" in text and "How do I report a vulnerability?" in text
    assert "rotate-certs" in text


async def test_empty_store_renders(store: Storage) -> None:
    report = await build_report(store, knowledge=KnowledgeBase(entries=(), routes=()), now=NOW)
    assert report.gaps == [] and report.total_questions == 0
    for fmt in FORMATS:
        assert render_report(report, fmt)
    assert json.loads(render_report(report, "json"))["gaps"] == []
    with pytest.raises(ValueError, match="unknown report format"):
        render_report(report, "html")


async def test_without_normalized_text_falls_back_to_the_question(store: Storage) -> None:
    await ask(store, "How do I scan images?", user="U1", normalized="")
    await ask(store, "how do i scan images", user="U2", normalized="")
    report = await build_report(store, knowledge=KB, now=NOW)
    assert [(g.count, g.askers) for g in report.gaps] == [(2, 2)]


# --------------------------------------------------------------------------- clustering (pure)


def test_clustering_merges_rephrasings_and_separates_topics() -> None:
    questions = [
        "how do I report a vulnerability?", "How can I report a vulnerability", "how do i report a vulnerabilty",
        "what is pod security admission", "what is pod security policy", "is there a CVE for runc",
        "is there a cve for containerd", "CVE-2024-1234 affected versions?", "cve-2024-1235 affected versions",
        "how to enable audit logging", "audit logging, how to enable", "how do I rotate certificates",
        "how do I rotate secrets", "how do I scan images for vulnerabilities", "how do I sign images",
    ]
    keys = [content_key(None, q) for q in questions]
    leader = cluster_keys(keys)
    group = lambda i: leader[keys[i]]  # noqa: E731
    assert group(0) == group(1) == group(2)
    assert group(9) == group(10)
    for a, b in ((3, 4), (5, 6), (7, 8), (11, 12), (13, 14), (0, 3)):
        assert group(a) != group(b), (questions[a], questions[b])


def test_clustering_scales() -> None:
    topics = ["rotate kubelet certificates", "report vulnerability", "enable audit logging", "scan images",
              "encrypt secrets rest etcd", "restrict egress traffic", "pod security admission", "sign releases"]
    words = [f"thing{n}" for n in range(4000)]
    keys = [f"{topics[n % len(topics)]} {words[n % 4000]} {words[(n * 7) % 4000]}" for n in range(40_000)]
    started = time.perf_counter()
    leader = cluster_keys(keys)
    assert time.perf_counter() - started < 10
    assert len(leader) == len(set(keys))


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_md_escape_never_leaves_live_markup(text: str) -> None:
    escaped = md_escape(text)
    assert "<" not in escaped and "\n" not in escaped
    assert re.search(r"@(?!\u200b)", escaped) is None
    assert re.search(r"(?<!\\)[*_`\[\]|]", escaped) is None


async def test_grouping_by_meaning_keeps_the_seeded_topics_apart(store: Storage) -> None:
    """With the embedding model the same five groups come out: rephrasings were already merged, topics stay apart."""
    from bot.core.service import shared_embedder

    await seed(store)
    words = await build_report(store, knowledge=KB, days=30, now=NOW)
    meaning = await build_report(store, knowledge=KB, days=30, now=NOW, embedder=shared_embedder())
    assert [(g.count, g.askers, g.examples) for g in meaning.gaps] == [(g.count, g.askers, g.examples)
                                                                        for g in words.gaps]
    assert (by_example(meaning, "runc").count, by_example(meaning, "containerd").count) == (5, 1)


async def test_not_helpful_reasons_appear_in_every_format(store: Storage) -> None:
    import dataclasses

    report = await build_report(store, knowledge=KnowledgeBase(entries=(), routes=()), now=NOW)
    report = dataclasses.replace(report, not_helpful_reasons={"outdated": 3, "wrong_answer": 1})
    assert json.loads(render_report(report, "json"))["not_helpful_reasons"] == {"outdated": 3, "wrong_answer": 1}
    for fmt in ("text", "markdown"):
        rendered = render_report(report, fmt)
        assert "outdated 3" in rendered and ("wrong_answer 1" in rendered or "wrong\\_answer 1" in rendered), fmt


def test_gap_keys_and_markup_scrubbing_stay_linear_on_hostile_text() -> None:
    """A 40,000-character digit-free word and runs of unclosed Slack markup once cost seconds (quadratic
    rescans) in the report's gap grouping; the same results, in milliseconds."""
    import time

    from bot.reports.gaps import _numbers, scrub

    assert _numbers("upgrade to 1.29.3 from v1.28 now, cve-2024-1234?") == {"1.29.3", "v1.28", "cve-2024-1234?"}
    assert "<@U1>" not in scrub("ping <@U1> and <@W2|bob> in <#C3|general>, see <https://x.example|x>")
    for text in ("a" * 40_000, ("<@U1|" * 8_000)[:40_000], ("<http:a" * 6_000)[:40_000], ("<#C1|" * 8_000)[:40_000]):
        start = time.perf_counter()
        _numbers(text)
        scrub(text)
        assert time.perf_counter() - start < 0.5  # a few ms; seconds before
