"""The offline console: commands, plain-text rendering, honesty without a log, one asker; on real stores."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from sqlalchemy import func, select, text

from bot.console import CONSOLE_USER, HELP, REPORT_UNAVAILABLE, Console, onboarding_text
from bot.core import messages as M
from bot.core.config import load_settings
from bot.core.render import NOT_RECORDED, plain
from bot.core.service import Service
from bot.reports import build_report
from bot.storage import Storage
from bot.storage.schema import questions

UNANSWERABLE = "how do I set up mTLS between istio sidecars and vault"


GAP_QUESTION = "what is the recommended way to do keyless cosign signing of release artifacts"


async def make_service(storage: Storage | None, knowledge: tuple[Path, Path]) -> Service:
    """The core over the small Slack test knowledge (conftest), lexical matcher for speed."""
    folder, routing = knowledge
    settings = load_settings({"MATCHER": "lexical", "KNOWLEDGE_DIR": str(folder), "ROUTING_FILE": str(routing)})
    return await Service.create(settings, storage=storage)


@pytest.fixture
async def console(store: Storage, slack_knowledge: tuple[Path, Path]) -> AsyncIterator[tuple[Console, io.StringIO]]:
    service = await make_service(store, slack_knowledge)
    out = io.StringIO()
    try:
        yield Console(service, out=out), out
    finally:
        await service.close()


async def logged(store: Storage) -> int:
    await store.questions.drain()
    async with store.engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(questions))).scalar_one())


async def say(console: Console, out: io.StringIO, line: str) -> str:
    out.seek(0)
    out.truncate()
    assert await console.handle(line)
    return out.getvalue()


async def test_commands_and_empty_lines_are_not_questions(console: Any, store: Storage) -> None:
    session, out = console
    for line in ("", "   ", "help", "/help", "onboard", "/onboard", "report", "/report 7 json", "/cve",
                 "/nonsense", "REPORT 3"):
        await say(session, out, line)
    assert await logged(store) == 0
    assert "/onboard" in await say(session, out, "/help")
    assert "I don't know /nonsense" in await say(session, out, "/nonsense")
    # Words that merely start like a command are questions.
    await say(session, out, "help me with RBAC permissions")
    await say(session, out, "report a vulnerability in the kubelet")
    assert await logged(store) == 2
    assert not await session.handle("quit")


async def test_onboard_is_plain_text_with_links_spelled_out() -> None:
    shown = onboarding_text()
    assert M.SLACK_ONBOARD_TITLE in shown and "biweekly" in shown
    assert "*" not in shown and "<http" not in shown and "&lt;" not in shown
    assert "security docs issues (https://github.com/kubernetes/website/issues" in shown
    assert "(mailto:" not in shown and "security@kubernetes.io" in shown  # a mailto link is the address once
    for _title, steps in M.SLACK_INTERESTS.values():  # every interest's next steps
        assert plain(steps) in shown


def test_plain_rendering_of_mrkdwn() -> None:
    assert plain("ask *SIG Auth* (<#C123|sig-auth>; <https://x.example/a|about SIG Auth>)") == \
        "ask SIG Auth (#sig-auth; about SIG Auth (https://x.example/a))"
    assert plain("_try_ <@U1> or <!here>: `snake_case_name` &lt;q&gt;") == "try @U1 or @here: `snake_case_name` <q>"
    assert plain(":lock: Please *do not share*") == "Please do not share"


async def test_console_questions_count_as_one_asker_in_the_report(console: Any, store: Storage) -> None:
    session, out = console
    for line in (UNANSWERABLE, UNANSWERABLE + "?", "How do I set up mTLS between Istio sidecars and Vault!"):
        assert "[" in await say(session, out, line)
    report = await build_report(store, knowledge=session.service.knowledge, days=30)
    gap = [g for g in report.gaps if "istio" in g.example.lower()]
    assert len(gap) == 1 and (gap[0].count, gap[0].askers) == (3, 1)
    assert gap[0].channels == ("console",)
    async with store.engine.connect() as connection:
        users = (await connection.execute(text("SELECT DISTINCT user_hash, source FROM questions"))).all()
    assert users == [(store.user_key(CONSOLE_USER), "console")]
    shown = await say(session, out, "/report 30 json")
    document = json.loads(shown.removeprefix("bot> ").replace("\n     ", "\n"))
    assert document["total_questions"] == 3 and document["gaps"][0]["askers"] == 1


async def test_recorded_promise_only_when_recorded(console: Any, store: Storage) -> None:
    session, out = console
    shown = await say(session, out, GAP_QUESTION)
    assert "I've recorded the question" in shown and NOT_RECORDED not in shown
    async with store.engine.begin() as connection:  # the log breaks: inserts now fail
        await connection.execute(text("DROP TABLE questions CASCADE" if store.dialect == "postgresql"
                                      else "DROP TABLE questions"))
    shown = await say(session, out, GAP_QUESTION)
    assert "I've recorded" not in shown and NOT_RECORDED in shown.replace("\n     ", " ")


async def test_without_a_log_the_console_says_so(slack_knowledge: tuple[Path, Path]) -> None:
    service = await make_service(None, slack_knowledge)
    out = io.StringIO()
    try:
        session = Console(service, out=out)
        shown = await say(session, out, GAP_QUESTION)
        assert "I've recorded" not in shown and NOT_RECORDED in shown.replace("\n     ", " ")
        assert REPORT_UNAVAILABLE in await say(session, out, "/report")
        assert HELP.splitlines()[0] in await say(session, out, "help")
    finally:
        await service.close()


async def test_cve_command_uses_the_advisor(console: Any, store: Storage, monkeypatch) -> None:
    monkeypatch.delenv("CVE_DATA", raising=False)  # the synthetic fixture, as `sigsec-bot cve` uses
    session, out = console
    shown = await say(session, out, "/cve CVE-2099-0001 1.29.3")
    assert "CVE-2099-0001" in shown and "affected" in shown
    assert "is not a valid CVE id" in await say(session, out, "/cve CVE-20-1")
    assert await logged(store) == 0
