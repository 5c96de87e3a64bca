"""Knowledge loading and validation: every kind of problem is reported with its file and entry."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.core.config import PROJECT_ROOT
from bot.core.knowledge import KnowledgeError, load_knowledge, load_or_raise
from bot.core.validation import check_catalog, check_sigs

SHARED = PROJECT_ROOT.parent / "shared"

GOOD_ENTRY = """
  - id: {id}
    question: {question}
    alternates: ["{alternate}"]
    answer: An answer.
    links: [https://kubernetes.io/docs/concepts/security/]
    tags: [security]
    owner: sig-auth
    reviewed: 2026-01-01
"""
ROUTING = """
routes:
  - id: sig-auth
    name: SIG Auth
    sig: sig-auth
    channel: "#sig-auth"
    link: https://github.com/kubernetes/community/tree/main/sig-auth
    terms: [rbac]
"""


def write(folder: Path, files: dict[str, str]) -> tuple[Path, Path]:
    knowledge = folder / "knowledge"
    knowledge.mkdir(exist_ok=True)
    routing = folder / "routing.yaml"
    for name, text in files.items():
        (folder / name if name == "routing.yaml" else knowledge / name).write_text(textwrap.dedent(text))
    if "routing.yaml" not in files:
        routing.write_text(ROUTING)
    return knowledge, routing


def entry(id: str = "a-topic", question: str = "What is it?", alternate: str = "what's that") -> str:
    return GOOD_ENTRY.format(id=id, question=question, alternate=alternate)


def messages(problems) -> list[str]:
    return [str(p) for p in problems]


def test_good_knowledge_loads(tmp_path):
    knowledge, routing = write(tmp_path, {"a.yaml": "entries:" + entry()})
    kb, problems = load_knowledge(knowledge, routing)
    assert problems == []
    assert [e.id for e in kb.entries] == ["a-topic"]
    assert kb.entry("a-topic").phrasings == ("What is it?", "what's that")
    assert kb.route("sig-auth").channel == "#sig-auth"


def test_duplicate_ids_across_files(tmp_path):
    knowledge, routing = write(tmp_path, {"a.yaml": "entries:" + entry(),
                                          "b.yaml": "entries:" + entry(question="Another?", alternate="x y")})
    _, problems = load_knowledge(knowledge, routing)
    assert any("b.yaml: a-topic" in m and "duplicate id" in m for m in messages(problems))


def test_missing_fields_named_with_entry(tmp_path):
    text = "entries:\n  - id: no-answer\n    question: Where?\n    reviewed: 2026-01-01\n"
    knowledge, routing = write(tmp_path, {"a.yaml": text})
    _, problems = load_knowledge(knowledge, routing)
    assert "error: a.yaml: no-answer: missing required field 'answer'" in messages(problems)


def test_unknown_owner_malformed_url_and_long_answer(tmp_path):
    text = ("entries:" + entry().replace("owner: sig-auth", "owner: sig-nowhere")
            .replace("https://kubernetes.io/docs/concepts/security/", "htp:/broken")
            .replace("answer: An answer.", "answer: " + "x" * 3001))
    knowledge, routing = write(tmp_path, {"a.yaml": text})
    found = messages(load_knowledge(knowledge, routing)[1])
    assert any("unknown owner 'sig-nowhere'" in m for m in found)
    assert any("malformed URL 'htp:/broken'" in m for m in found)
    assert any("answer has 3001 characters" in m for m in found)


def test_alternate_shared_by_two_entries(tmp_path):
    text = "entries:" + entry("one", alternate="How do I do it") + entry("two", "Other?", "how do i do it?")
    knowledge, routing = write(tmp_path, {"a.yaml": text})
    found = messages(load_knowledge(knowledge, routing)[1])
    assert any("a.yaml: two" in m and "also used by entry 'one'" in m for m in found)


def test_broken_yaml_is_a_clear_error_not_a_traceback(tmp_path):
    knowledge, routing = write(tmp_path, {"a.yaml": "entries:\n  - id: [unclosed\n"})
    found = messages(load_knowledge(knowledge, routing)[1])
    assert any(m.startswith("error: ") and "a.yaml:" in m and "YAML syntax error" in m for m in found)
    with pytest.raises(KnowledgeError) as raised:
        load_or_raise(knowledge, routing)
    assert "YAML syntax error" in str(raised.value)


def test_wrong_shapes_and_unknown_fields(tmp_path):
    knowledge, routing = write(tmp_path, {"a.yaml": "- just a list\n", "b.yaml": "entries:\n  - 42\n",
                                          "c.yaml": "entries:" + entry("c-topic", "C?", "c c") + "    colour: red\n"})
    found = messages(load_knowledge(knowledge, routing)[1])
    assert any("a.yaml" in m and "expected a top-level 'entries:' list" in m for m in found)
    assert any("b.yaml: entry #1" in m and "must be a mapping" in m for m in found)
    assert any("c.yaml: c-topic" in m and "unknown field 'colour'" in m for m in found)


def test_bad_id_and_date(tmp_path):
    text = "entries:" + entry("Not_Kebab").replace("reviewed: 2026-01-01", "reviewed: last tuesday")
    knowledge, routing = write(tmp_path, {"a.yaml": text})
    found = messages(load_knowledge(knowledge, routing)[1])
    assert any("not kebab-case" in m for m in found)
    assert any("'reviewed' must be a date" in m for m in found)


def test_catalog_missing_ids_and_links(tmp_path):
    knowledge, routing = write(tmp_path, {"a.yaml": "entries:" + entry()})
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(textwrap.dedent("""
        faq:
          a-topic: {links: [https://kubernetes.io/missing/]}
          absent-topic: {links: []}
        routes:
          sig-auth: {link: https://github.com/kubernetes/community/tree/main/sig-auth}
          sig-node: {link: https://github.com/kubernetes/community/tree/main/sig-node}
    """))
    kb, _ = load_knowledge(knowledge, routing)
    found = messages(check_catalog(kb, catalog))
    assert any("a-topic" in m and "missing canonical link https://kubernetes.io/missing/" in m for m in found)
    assert any("absent-topic" in m and "no entry" in m for m in found)
    assert any("sig-node" in m and "missing from routing.yaml" in m for m in found)
    assert not any("sig-auth" in m for m in found)


def test_stale_channel_against_sigs(tmp_path):
    stale = ROUTING.replace('"#sig-auth"', '"#sig-authentication"')
    knowledge, routing = write(tmp_path, {"a.yaml": "entries:" + entry(), "routing.yaml": stale})
    sigs = tmp_path / "sigs.yaml"
    sigs.write_text("sigs:\n  - dir: sig-auth\n    contact:\n      slack: sig-auth\n")
    kb, _ = load_knowledge(knowledge, routing)
    found = messages(check_sigs(kb, sigs))
    assert found == ["error: routing.yaml: sig-auth: channel #sig-authentication is stale: sigs.yaml says #sig-auth"]


def test_shipped_knowledge_is_valid():
    kb, problems = load_knowledge(PROJECT_ROOT / "knowledge", PROJECT_ROOT / "routing.yaml")
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert len(kb.entries) >= 31


@pytest.mark.skipif(not (SHARED / "knowledge-catalog.yaml").exists(), reason="shared/ catalog not beside the repo")
def test_shipped_knowledge_covers_catalog_and_sigs():
    kb, _ = load_knowledge(PROJECT_ROOT / "knowledge", PROJECT_ROOT / "routing.yaml")
    assert messages(check_catalog(kb, SHARED / "knowledge-catalog.yaml")) == []
    assert messages(check_sigs(kb, SHARED / "data" / "sigs.yaml")) == []
