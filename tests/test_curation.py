"""`sigsec-bot suggest`: alternates from picked suggestions and helpful answers, gated by the eval sets.

Real stores (SQLite and PostgreSQL), the small Slack test knowledge (conftest), lexical matcher.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import textwrap
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.core.config import load_settings
from bot.core.knowledge import load_or_raise
from bot.core.reply import AskContext, Reply, ReplyKind
from bot.curation.suggest import lowered, suggest
from bot.curation.usage import candidates, confirmed_phrasings
from bot.storage import Storage

PICKED = "scramble etcd contents on disk"  # only suggested today; people picked secrets-encryption
HELPFUL = "how to lock down service account permissions with roles"  # answered rbac-least-privilege, rated helpful
STEALER = "Enforcing restricted profiles in my namespaces"  # picked for rbac, but the eval says it is pss


def settings_for(knowledge: tuple[Path, Path], **extra: str):
    folder, routing = knowledge
    return load_settings({"MATCHER": "lexical", "KNOWLEDGE_DIR": str(folder), "ROUTING_FILE": str(routing), **extra})


async def log(store: Storage, text: str, *, user: str, kind: ReplyKind, faq: str | None = None) -> int:
    from bot.core.knowledge import FaqEntry

    entry = FaqEntry(id=faq, question="q", answer="a") if faq else None
    reply = Reply(kind=kind, question=text, message="...", entry=entry, confidence=0.5 if faq else 0.0)
    return await store.questions.log_question(reply, AskContext(user_id=user, channel_id="C1", source="mention"))


async def pick(store: Storage, text: str, faq: str, *, user: str) -> None:
    question = await log(store, text, user=user, kind=ReplyKind.SUGGESTIONS)
    await store.questions.drain()
    await store.questions.record_suggestion_pick(question_id=question, faq_id=faq)


async def rate(store: Storage, text: str, faq: str, *, user: str, votes: tuple[bool, ...]) -> None:
    question = await log(store, text, user=user, kind=ReplyKind.ANSWERED, faq=faq)
    await store.questions.drain()
    for n, helpful in enumerate(votes):
        await store.questions.record_feedback(question_id=question, user_id=f"V{n}", helpful=helpful)


async def seed(store: Storage) -> None:
    await pick(store, PICKED, "secrets-encryption", user="U1")
    await pick(store, PICKED.upper() + "??", "secrets-encryption", user="U2")  # same phrasing, other person
    await pick(store, "How do I report a security vulnerability in Kubernetes?", "report-vulnerability",
               user="U3")  # already the entry's own question
    await pick(store, "rotate ghp_pLIix6MEOLeMa61EqJomTEI1JEzO3joOj37H now encrypt etcd", "secrets-encryption",
               user="U4")  # a credential: never an alternate
    await pick(store, "etcd", "secrets-encryption", user="U5")  # too short to say anything
    await rate(store, HELPFUL, "rbac-least-privilege", user="U6", votes=(True, True, False))
    await rate(store, "rbac is confusing, which roles for my team", "rbac-least-privilege", user="U7",
               votes=(False, False, True))  # more "not helpful": not confirmed


async def test_confirmed_phrasings_are_cleaned_deduplicated_and_counted(store: Storage, slack_knowledge) -> None:
    await seed(store)
    knowledge = load_or_raise(*slack_knowledge)
    rows = await confirmed_phrasings(store.engine, since=store.clock() - dt.timedelta(days=1))
    assert len(rows) == 6  # five picks, one helpful-rated answer
    found = candidates(rows, knowledge)
    assert sorted(found) == ["rbac-least-privilege", "secrets-encryption"]
    [encrypted] = found["secrets-encryption"]
    assert (encrypted.text, encrypted.count, len(encrypted.askers)) == (PICKED, 2, 2)
    assert dict(encrypted.sources) == {"picked": 2}
    [roles] = found["rbac-least-privilege"]
    assert roles.text == HELPFUL and dict(roles.sources) == {"helpful": 1}
    assert candidates(rows, knowledge, min_count=2) == {"secrets-encryption": [encrypted]}


def eval_set(tmp_path: Path) -> Path:
    path = tmp_path / "eval.yaml"
    path.write_text(textwrap.dedent(f"""
        - q: "how do I scramble the etcd contents on disk?"
          faq: [secrets-encryption]
          route: []
        - q: "enforce restricted profiles in a namespace"
          faq: [pod-security-standards]
          route: []
        - q: "where do I send a security bug report?"
          faq: [report-vulnerability]
          route: []
        """), encoding="utf-8")
    return path


def digest(folder: Path) -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(folder.glob("*.yaml")))).hexdigest()


async def test_suggest_proposes_what_helps_and_refuses_what_lowers_a_score(store: Storage, slack_knowledge,
                                                                           tmp_path: Path) -> None:
    await seed(store)
    await pick(store, STEALER, "rbac-least-privilege", user="U8")
    settings = settings_for(slack_knowledge)
    knowledge = load_or_raise(*slack_knowledge)
    untouched = digest(slack_knowledge[0])
    result = await suggest(settings, store, knowledge=knowledge, days=30, eval_files=[eval_set(tmp_path)])

    assert digest(slack_knowledge[0]) == untouched  # the knowledge folder is never edited
    assert list(result.proposed) == ["secrets-encryption"]
    assert [c.text for c in result.proposed["secrets-encryption"]] == [PICKED]
    assert set(result.refused) == {"rbac-least-privilege"}
    assert "eval.yaml: " in result.refused["rbac-least-privilege"]
    assert lowered(result.before, result.after) is None
    assert result.after["eval.yaml"]["answer_accuracy"] > result.before["eval.yaml"]["answer_accuracy"]

    patch = yaml.safe_load(result.patch_yaml())
    [entry] = patch["entries"]
    assert entry == {"id": "secrets-encryption", "file": "knowledge/faq.yaml", "add_alternates": [
        {"text": PICKED, "count": 2, "askers": 2, "sources": {"picked": 2}}]}
    assert patch["refused"][0]["id"] == "rbac-least-privilege"
    assert patch["eval"]["before"]["eval.yaml"]["answer_accuracy"] < patch["eval"]["after"]["eval.yaml"][
        "answer_accuracy"]


async def test_nothing_confirmed_nothing_proposed(store: Storage, slack_knowledge, tmp_path: Path) -> None:
    settings = settings_for(slack_knowledge)
    result = await suggest(settings, store, knowledge=load_or_raise(*slack_knowledge), eval_files=[eval_set(tmp_path)])
    assert result.proposed == {} and result.refused == {} and result.before == {}


def test_lowered_names_the_score() -> None:
    before = {"a.yaml": {"overall": 0.5, "false_answer_rate": 0.1}}
    assert lowered(before, {"a.yaml": {"overall": 0.5, "false_answer_rate": 0.1}}) is None
    assert lowered(before, {"a.yaml": {"overall": 0.6, "false_answer_rate": 0.2}}) == \
        "a.yaml: false_answer_rate 0.1 -> 0.2"
    assert lowered(before, {"a.yaml": {"overall": 0.4, "false_answer_rate": 0.0}}) == "a.yaml: overall 0.5 -> 0.4"


def test_cli_suggest_writes_the_patch_outside_knowledge(tmp_path: Path, slack_knowledge, monkeypatch,
                                                        capsys) -> None:
    folder, routing = slack_knowledge
    url = f"sqlite+aiosqlite:///{tmp_path / 'suggest.db'}"
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("DATABASE_URL", url), ("MATCHER", "lexical"), ("KNOWLEDGE_DIR", str(folder)),
                        ("ROUTING_FILE", str(routing))):
        monkeypatch.setenv(name, value)

    async def fill() -> None:
        async with await Storage.open(url) as store:
            await seed(store)

    asyncio.run(fill())
    out = tmp_path / "patch.yaml"
    assert main(["suggest", "--eval", str(eval_set(tmp_path)), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and PICKED not in printed  # the console names entries, not user text
    patch = yaml.safe_load(out.read_text())
    assert [e["id"] for e in patch["entries"]] == ["rbac-least-privilege", "secrets-encryption"]

    assert main(["suggest", "--eval", str(eval_set(tmp_path)), "--out", str(folder / "x.yaml")]) == 2
    assert "outside the knowledge folder" in capsys.readouterr().err
    assert not (folder / "x.yaml").exists()

