"""The one entry point, `Service.answer`: every reply kind, notes, logging and reloads."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.config import PROJECT_ROOT, load_settings
from bot.core.reply import AskContext, ReplyKind
from bot.core.render import plain_text
from bot.core.service import Service
from bot.storage import Storage

SLACK_TOKEN = "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"


@pytest.fixture
async def service(tmp_path):
    settings = load_settings({"RATE_LIMIT_PER_MINUTE": "3"})
    storage = await Storage.open(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    service = await Service.create(settings, storage=storage)
    yield service
    await service.close()
    await storage.close()


async def logged_kinds(service: Service) -> list[str]:
    from sqlalchemy import select

    from bot.storage.schema import questions

    async with service.storage.engine.connect() as connection:
        rows = await connection.execute(select(questions.c.kind, questions.c.text).order_by(questions.c.id))
        return [f"{kind}:{text}" for kind, text in rows]


async def test_answer_carries_entry_route_and_logs(service):
    reply = await service.answer("how do I write a default deny network policy?", context=AskContext(user_id="U1"))
    assert reply.kind is ReplyKind.ANSWERED and reply.faq_id == "network-policies"
    assert reply.route_id == "sig-network" and reply.question_id is not None
    assert reply.entry.answer.strip()[:40] in plain_text(reply) and "#sig-network" in plain_text(reply)
    assert all(link in plain_text(reply) for link in reply.entry.links)
    assert await logged_kinds(service) == ["answered:how do I write a default deny network policy?"]


async def test_off_topic_is_unknown_but_logged_apart(service):
    reply = await service.answer("thanks!!")
    assert reply.kind is ReplyKind.UNKNOWN and reply.off_topic and reply.route is None
    assert "#kubernetes-users" in plain_text(reply)
    chatter = await service.answer("my pod is stuck in ImagePullBackOff on a private image")
    assert chatter.off_topic
    assert await logged_kinds(service) == ["off_topic:thanks!!",
                                           "off_topic:my pod is stuck in ImagePullBackOff on a private image"]


async def test_unknown_security_question_is_a_gap(service):
    reply = await service.answer("zxqv wibble frobnication")
    assert reply.kind is ReplyKind.UNKNOWN and not reply.off_topic
    assert "#sig-security" in plain_text(reply)


async def test_routed_without_faq(service):
    reply = await service.answer("cgroup v2 and swap support in the kubelet, which version made it stable?")
    assert reply.kind in (ReplyKind.ROUTED, ReplyKind.SUGGESTIONS)
    assert reply.route_id == "sig-node"


async def test_private_report_keeps_no_text(service):
    reply = await service.answer("I found an unauthenticated RCE in the kubelet, PoC attached, not reported yet",
                                 context=AskContext(user_id="U9", channel_id="C1"))
    assert reply.kind is ReplyKind.PRIVATE and reply.private_only
    assert reply.faq_id == "report-vulnerability" and reply.route_id == "security-response-committee"
    assert await logged_kinds(service) == ["private:None"]


async def test_secret_is_redacted_everywhere_and_noted_privately(service):
    reply = await service.answer(f"is it safe to paste my token {SLACK_TOKEN} in a configmap?")
    assert SLACK_TOKEN not in reply.question and "[redacted slack_bot_token]" in reply.question
    assert any("rotate" in note for note in reply.private_notes)
    assert SLACK_TOKEN not in "".join(await logged_kinds(service))


async def test_long_input_is_cut_with_a_note(service):
    reply = await service.answer("how do I enable audit logging? " + "very long context " * 400)
    assert len(reply.question) <= service.settings.max_input_chars
    assert any("first 4,000 characters" in note for note in reply.private_notes)


async def test_rate_limit_is_per_user_shared_across_replicas_and_limited_questions_are_logged(service, tmp_path):
    context = AskContext(user_id="U-flood")
    kinds = [(await service.answer("what is rbac", context=context)).kind for _ in range(2)]
    # A second replica on the same database sees the same person's count.
    replica = Service(service.settings, service.brain, storage=service.storage)
    kinds += [(await replica.answer("what is rbac", context=context)).kind for _ in range(2)]
    assert ReplyKind.LIMITED not in kinds[:3] and kinds[3] is ReplyKind.LIMITED
    assert (await service.answer("what is rbac", context=AskContext(user_id="U-other"))).kind is not ReplyKind.LIMITED
    logged = await logged_kinds(service)
    assert len(logged) == 5 and logged[3] == "limited:what is rbac"  # still logged, marked limited
    await replica.close()


async def test_empty_and_emoji_only(service):
    for text in ("", "   ", "🚀🔥"):
        reply = await service.answer(text)
        assert reply.kind is ReplyKind.UNKNOWN and "Ask me a security question" in plain_text(reply)


async def test_answer_entry_records_the_pick(service):
    asked = await service.answer("rbac service account tokens", context=AskContext(user_id="U1"))
    picked = await service.answer_entry("service-accounts", question_id=asked.question_id)
    assert picked.kind is ReplyKind.ANSWERED and picked.faq_id == "service-accounts"
    assert await service.answer_entry("no-such-entry") is None


async def test_reload_keeps_old_knowledge_on_error(tmp_path):
    knowledge = tmp_path / "knowledge"
    shutil.copytree(PROJECT_ROOT / "knowledge", knowledge)
    routing = tmp_path / "routing.yaml"
    shutil.copy(PROJECT_ROOT / "routing.yaml", routing)
    service = await Service.create(load_settings({"KNOWLEDGE_DIR": str(knowledge), "ROUTING_FILE": str(routing)}))
    before = len(service.knowledge.entries)
    (knowledge / "broken.yaml").write_text("entries:\n  - id: [oops\n")
    problems = await service.reload()
    assert problems and "YAML syntax error" in str(problems[0])
    assert len(service.knowledge.entries) == before
    (knowledge / "broken.yaml").unlink()
    assert await service.reload() == []


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=600))
def test_decide_never_raises_and_stays_in_limits(text):
    service = _plain_service()
    reply = service.decide(text)
    assert reply.kind in ReplyKind
    assert 0.0 <= reply.confidence <= 1.0
    assert len(reply.question) <= service.settings.max_input_chars
    assert len(plain_text(reply)) <= 3000 + sum(len(e.question) for e in reply.suggestions)
    assert len(reply.suggestions) <= 3


_CACHE: dict[str, Service] = {}


def _plain_service() -> Service:
    if "service" not in _CACHE:
        import asyncio

        _CACHE["service"] = asyncio.run(Service.create(load_settings({})))
    return _CACHE["service"]


async def test_private_reply_offers_ordinary_answers_privately(service):
    reply = await service.answer("I found that any pod can read other namespaces' secrets through the kubelet "
                                 "read-only port, not reported yet, PoC ready")
    assert reply.kind is ReplyKind.PRIVATE and reply.private_only
    assert "kubelet-security" in reply.suggestion_ids
    assert "report-vulnerability" not in reply.suggestion_ids
    assert "general question" in plain_text(reply)
    nothing_ordinary = await service.answer("I found a zero day, PoC ready, not reported yet, zxqv wibble")
    assert nothing_ordinary.kind is ReplyKind.PRIVATE
    assert (not nothing_ordinary.suggestions) == ("general question" not in plain_text(nothing_ordinary))
