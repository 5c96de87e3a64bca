"""bot.slack.blocks: every view renders through slack_sdk models, escapes user text and stays within Slack limits."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from bot.slack import blocks as B
from bot.core import messages as M
from bot.core.knowledge import FaqEntry, Route
from bot.core.reply import Reply, ReplyKind

ROUTE = Route(id="sig-auth", name="SIG Auth", channel="#sig-auth", link="https://example.org/sig-auth")
ENTRY = FaqEntry(id="pss", question="What are the <b>Pod Security</b> Standards & modes?",
                 answer="Use <!channel> restricted & baseline profiles @here.",
                 links=("https://kubernetes.io/docs/concepts/security/pod-security-standards/?a=1&b=2",),
                 owner="sig-auth")


def dumped(blocks) -> str:
    return json.dumps(B.as_dicts(blocks))


def test_answer_view_has_answer_links_owner_and_feedback_buttons() -> None:
    reply = Reply(ReplyKind.ANSWERED, question="q", message="t", entry=ENTRY, route=ROUTE, question_id=42)
    blocks = B.reply_blocks(reply)
    assert B.validate_blocks(blocks) == []
    data = B.as_dicts(blocks)
    text = json.dumps(data)
    assert "restricted &amp; baseline" in text and "&lt;!channel&gt;" in text
    assert "@\u200bhere" in data[1]["text"]["text"]  # broadcasts defused
    assert "?a=1&amp;b=2" in text  # links escaped too
    assert "#sig-auth" in text and "SIG Auth" in text
    actions = [b for b in data if b["type"] == "actions"][0]["elements"]
    assert [a["action_id"] for a in actions] == [B.FEEDBACK_YES, B.FEEDBACK_NO]
    assert B.decode_value(actions[0]["value"]) == {"q": 42, "f": "pss"}
    assert M.SLACK_HELPFUL_PROMPT in text


def test_suggestions_view_has_at_most_three_buttons_within_limits() -> None:
    long = FaqEntry(id="x" * 40, question="How " + "very " * 40 + "long?", answer="a")
    reply = Reply(ReplyKind.SUGGESTIONS, question="q", message="t", suggestions=(ENTRY, long, ENTRY, long),
                  question_id=7)
    blocks = B.reply_blocks(reply)
    assert B.validate_blocks(blocks) == []
    buttons = [b for b in B.as_dicts(blocks) if b["type"] == "actions"][0]["elements"]
    assert len(buttons) == 3
    assert all(len(b["text"]["text"]) <= 75 for b in buttons)
    assert buttons[0]["text"]["text"].startswith("Did you mean")
    assert B.decode_value(buttons[1]["value"]) == {"e": "x" * 40, "q": 7}


@pytest.mark.parametrize("kind", [ReplyKind.ROUTED, ReplyKind.UNKNOWN])
def test_routed_and_unknown_are_honest_and_name_a_human_channel(kind: ReplyKind) -> None:
    route = ROUTE if kind is ReplyKind.ROUTED else None
    reply = Reply(kind, question="q", message="", route=route)
    text = dumped(B.reply_blocks(reply))
    assert "recorded" in text
    assert ("#sig-auth" if route else "#sig-security") in text
    assert B.validate_blocks(B.reply_blocks(reply)) == []


def test_private_view_explains_private_reporting() -> None:
    reply = Reply(ReplyKind.PRIVATE, question="q", message=M.PRIVATE_REPORT, private_only=True)
    text = dumped(B.reply_blocks(reply))
    assert "security@kubernetes.io" in text and "delete or edit" in text
    assert B.validate_blocks(B.reply_blocks(reply)) == []


def test_limited_view_and_notes() -> None:
    reply = Reply(ReplyKind.LIMITED, question="q", message=M.RATE_LIMITED.format(limit=10), private_only=True)
    assert "wait" in dumped(B.reply_blocks(reply))
    notes = B.notes_blocks(["found <secret> & more"])
    assert "&lt;secret&gt; &amp; more" in dumped(notes)


def test_onboarding_interests_home_and_report_views_validate() -> None:
    onboarding = B.onboarding_blocks()
    assert B.validate_blocks(onboarding) == []
    text = dumped(onboarding)
    for needle in ("biweekly", "Fridays", "8:00 PT", "#sig-security", "kubernetes-sig-security",
                   "security-audit", "#sig-security-docs", "#sig-security-assessments", "#sig-security-tooling"):
        assert needle in text, needle
    buttons = [b for b in B.as_dicts(onboarding) if b["type"] == "actions"][0]["elements"]
    assert {b["action_id"] for b in buttons} == {f"onboard_{k}" for k in B.INTERESTS}
    for key in B.INTERESTS:
        assert B.validate_blocks(B.interest_blocks(key)) == []
        assert "http" in dumped(B.interest_blocks(key))
    view = B.home_view(popular=[(ENTRY, 3)], report_text="gap <1>\n" * 2000)
    assert B.validate_blocks(view) == []
    assert B.home_view(popular=[]).blocks
    report = B.report_blocks("line & <x>\n" * 5000, title="Report")
    assert B.validate_blocks(report) == []


def test_validate_blocks_catches_limits() -> None:
    too_many = [B.section("x")] * 51
    assert any("51 blocks" in p for p in B.validate_blocks(too_many))
    raw = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    assert B.validate_blocks(raw)
    raw_button = [{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                                     "text": {"type": "plain_text", "text": "y" * 80}}]}]
    assert B.validate_blocks(raw_button)
    with pytest.raises(ValueError):
        B.button("b", "a", "v" * 2001)


def test_plain_text_rendering_has_no_markup() -> None:
    from bot.core.render import plain_text

    reply = Reply(ReplyKind.ANSWERED, question="q", message="t", entry=ENTRY, route=ROUTE, private_notes=("note",))
    text = plain_text(reply)
    assert ENTRY.answer in text and "&amp;" not in text and "#sig-auth" in text and "note" in text
    assert "*" not in text.replace(ENTRY.answer, "")  # mrkdwn of our own sentences is made plain
    sugg = Reply(ReplyKind.SUGGESTIONS, question="q", message="t", suggestions=(ENTRY,))
    assert "Did you mean" in plain_text(sugg)
    unknown = Reply(ReplyKind.UNKNOWN, question="q", message="I don't know.")
    assert plain_text(unknown).splitlines()[0] == "I don't know."


@settings(max_examples=150, deadline=None)
@given(question=st.text(max_size=400), answer=st.text(min_size=1, max_size=3000))
def test_any_text_renders_valid_blocks(question: str, answer: str) -> None:
    entry = FaqEntry(id="e", question=question or "q", answer=answer, links=())
    for reply in (Reply(ReplyKind.ANSWERED, question=question, message="", entry=entry, question_id=1),
                  Reply(ReplyKind.SUGGESTIONS, question=question, message="", suggestions=(entry,) * 3),
                  Reply(ReplyKind.UNKNOWN, question=question, message="", private_notes=(question,))):
        blocks = B.reply_blocks(reply) + B.notes_blocks(reply.private_notes)
        assert B.validate_blocks(blocks) == []
    answer_texts = [b["text"]["text"] for b in B.as_dicts(B.answer_blocks(entry))[:2]]
    assert not any(c in t for t in answer_texts for c in "<>")  # user text never carries raw markup


def test_private_reply_with_fallback_answers_renders_buttons():
    from bot.slack.blocks import as_dicts, decode_value, reply_blocks, validate_blocks
    from bot.core.knowledge import FaqEntry
    from bot.core.reply import Reply, ReplyKind

    entry = FaqEntry(id="kubelet-security", question="How is the kubelet secured?", answer="a")
    reply = Reply(ReplyKind.PRIVATE, question="x", message="t", suggestions=(entry,), private_only=True, question_id=7)
    blocks = as_dicts(reply_blocks(reply))
    validate_blocks(blocks)
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1
    assert decode_value(actions[0]["elements"][0]["value"]) == {"e": "kubelet-security", "q": 7}


def test_a_reply_carrying_cve_facts_renders_them_first_on_both_surfaces() -> None:
    from pathlib import Path

    from bot.core.render import plain_text
    from bot.cve import CveAdvisor

    advisor = CveAdvisor.from_env({"CVE_DATA": str(Path(__file__).parent / "data" / "cve-fixture.json")})
    facts = advisor.lookup("CVE-2099-0001", version="<1.29.3>")
    alone = Reply(ReplyKind.ANSWERED, question="is CVE-2099-0001 fixed?", cve=facts, confidence=1.0)
    blocks = B.as_dicts(B.reply_blocks(alone))
    assert len(blocks) == 1 and "CVE-2099-0001" in blocks[0]["text"]["text"]
    assert "<1.29.3>" not in blocks[0]["text"]["text"]  # what the asker typed is escaped
    assert B.validate_blocks(blocks) == []
    assert "CVE-2099-0001" in plain_text(alone) and "don't have a good answer" not in plain_text(alone)
    with_entry = Reply(ReplyKind.ANSWERED, question="q", cve=facts, entry=ENTRY, route=ROUTE, question_id=1)
    rendered = B.as_dicts(B.reply_blocks(with_entry))
    assert "CVE-2099-0001" in rendered[0]["text"]["text"]
    assert rendered[1:] == B.as_dicts(B.answer_blocks(ENTRY, question_id=1, route=ROUTE))  # then the FAQ answer


def test_a_quoted_question_cannot_close_a_report_code_block() -> None:
    """Gap examples quote askers; a ``` in one closed the report's preformatted block and the rest
    rendered as mrkdwn (bold, links)."""
    from bot.slack.blocks import home_view, report_blocks

    text = "Top gaps\n- ``` *urgent: re-verify SSO at* <https://evil.example|here> ```"
    sections = [b.to_dict()["text"]["text"] for b in report_blocks(text, title="Report") if b.type == "section"]
    home = [b.to_dict()["text"]["text"] for b in home_view(popular=[], report_text=text).blocks
            if b.type == "section" and b.to_dict()["text"]["text"].startswith("```")]
    for rendered in sections + home:
        assert rendered.startswith("```") and rendered.endswith("```") and rendered.count("```") == 2
        assert "<https://evil.example" not in rendered and "&lt;https://evil.example|here&gt;" in rendered


def test_the_private_hint_keeps_its_link_and_other_notes_are_escaped() -> None:
    from bot.core import messages as M
    from bot.slack.blocks import notes_blocks

    [block] = notes_blocks([M.PRIVATE_HINT, "malformed id <!channel>"])
    text = block.to_dict()["text"]["text"]
    assert "<https://kubernetes.io/docs/reference/issues-security/security/|how>" in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
