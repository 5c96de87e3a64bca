"""The knowledge JSON Schemas: shipped content conforms, broken documents are reported by JSON path."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from bot.schemas import KINDS, SCHEMA_FILES, kind_for_file, load_schema, schema_problems

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_FILES = sorted((ROOT / "knowledge").glob("*.yaml"))

GOOD_ENTRY = {
    "id": "network-policies",
    "question": "How do I restrict pod traffic with NetworkPolicy?",
    "alternates": ["default deny all ingress in a namespace"],
    "answer": "Use a default-deny NetworkPolicy per namespace.\n",
    "links": ["https://kubernetes.io/docs/concepts/services-networking/network-policies/"],
    "tags": ["networkpolicy"],
    "owner": "sig-network",
    "reviewed": dt.date(2026, 11, 26),  # as yaml.safe_load gives it
}
GOOD_ROUTE = {
    "id": "sig-network",
    "name": "SIG Network",
    "sig": "sig-network",
    "channel": "#sig-network",
    "link": "https://github.com/kubernetes/community/tree/main/sig-network",
    "owns": "networking",
    "terms": ["cni", "10250"],
    "phrases": ["network policy"],
}


DELETE = object()  # marks a key to remove in broken_entry / the route cases


def faq(*entries: dict) -> dict:
    return {"entries": [copy.deepcopy(GOOD_ENTRY), *entries]}


def broken_entry(**changes: object) -> dict:
    entry = copy.deepcopy(GOOD_ENTRY) | {"id": "broken-entry"}
    for key, value in changes.items():
        if value is DELETE:
            del entry[key]
        else:
            entry[key] = value
    return entry


def test_schema_files_are_valid_draft_2020_12_and_shipped_as_package_data() -> None:
    for name in SCHEMA_FILES:
        schema = load_schema(name)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schemas/*.json"' in pyproject


@pytest.mark.parametrize("path", KNOWLEDGE_FILES, ids=lambda p: p.name)
def test_every_shipped_knowledge_file_conforms(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert schema_problems(kind_for_file(path), document) == []
    assert schema_problems("knowledge", document) == []


def test_shipped_routing_file_conforms() -> None:
    document = yaml.safe_load((ROOT / "routing.yaml").read_text(encoding="utf-8"))
    assert schema_problems("routing", document) == []


def test_the_three_knowledge_file_kinds_are_all_present() -> None:
    assert {kind_for_file(p) for p in KNOWLEDGE_FILES} == {"faq", "shorthand", "off-topic"}
    assert kind_for_file("knowledge/shorthand.yaml") == "shorthand"
    assert kind_for_file(Path("/x/not-security.yaml")) == "off-topic"
    assert kind_for_file("hardening.yaml") == "faq"


def test_good_documents_have_no_problems() -> None:
    assert schema_problems("faq", faq()) == []
    assert schema_problems("knowledge", faq()) == []
    assert schema_problems("routing", {"routes": [GOOD_ROUTE]}) == []
    assert schema_problems("shorthand", {"shorthand": {"k8s": "kubernetes", "1.25": "release"}}) == []
    assert schema_problems("off-topic", {"topics": [{"id": "storage", "phrasings": ["pvc pending"]}]}) == []


E1 = "$.entries[1]"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        pytest.param(broken_entry(id=DELETE), f"{E1}: missing required key 'id'", id="missing-id"),
        pytest.param(broken_entry(reviewed=DELETE), f"{E1} (broken-entry): missing required key 'reviewed'",
                     id="missing-reviewed"),
        pytest.param(broken_entry(id="Network_Policies"),
                     f"{E1}.id (Network_Policies): value 'Network_Policies' must be a kebab-case id",
                     id="id-underscore"),
        pytest.param(broken_entry(id="double--hyphen"),
                     f"{E1}.id (double--hyphen): value 'double--hyphen' must be a kebab-case id",
                     id="id-double-hyphen"),
        pytest.param(broken_entry(tags="networkpolicy"),
                     f"{E1}.tags (broken-entry): expected a list, got the text 'networkpolicy'", id="tags-not-list"),
        pytest.param(broken_entry(question=42),
                     f"{E1}.question (broken-entry): expected text, got the number 42", id="question-number"),
        pytest.param(broken_entry(alternates=["fine", None]),
                     f"{E1}.alternates[1] (broken-entry): expected text, got nothing (null)", id="alternate-null"),
        pytest.param(broken_entry(answer="   "),
                     f"{E1}.answer (broken-entry): value '   ' must be non-empty text", id="blank-answer"),
        pytest.param(broken_entry(colour="blue"),
                     f"{E1}.colour (broken-entry): unknown key 'colour'; expected one of: alternates, answer",
                     id="unknown-key"),
        pytest.param(broken_entry(links=["kubernetes.io/docs"]),
                     f"{E1}.links[0] (broken-entry): value 'kubernetes.io/docs' must be an http(s) URL",
                     id="link-not-url"),
        pytest.param(broken_entry(reviewed="2026-13-01"),
                     f"{E1}.reviewed (broken-entry): value '2026-13-01' must be a date YYYY-MM-DD", id="bad-date"),
        pytest.param(broken_entry(reviewed=dt.datetime(2026, 11, 26, 10, 0)),
                     f"{E1}.reviewed (broken-entry): value '2026-11-26T10:00:00' must be a date", id="datetime"),
        pytest.param(broken_entry(owner="SIG Network"),
                     f"{E1}.owner (broken-entry): value 'SIG Network' must be a kebab-case id", id="owner-not-id"),
    ],
)
def test_broken_faq_entries_are_reported_with_their_path(entry: dict, expected: str) -> None:
    for kind in ("faq", "knowledge"):
        problems = schema_problems(kind, faq(entry))
        assert len(problems) == 1, problems
        assert problems[0].startswith(expected), problems


def test_every_problem_of_a_document_is_reported_in_path_order() -> None:
    problems = schema_problems("faq", faq(broken_entry(tags="x", colour=1), broken_entry(id="Bad")))
    assert [p.split(":")[0] for p in problems] == [
        "$.entries[1].colour (broken-entry)", "$.entries[1].tags (broken-entry)", "$.entries[2].id (Bad)"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (None, "$: expected a mapping, got nothing (null)"),
        ([GOOD_ENTRY], "$: expected a mapping, got a list"),
        ({"entries": GOOD_ENTRY}, "$.entries: expected a list, got a mapping"),
        ({"entry": [GOOD_ENTRY]}, "$.entry: unknown key 'entry'; expected one of: entries"),
    ],
    ids=["empty", "list", "entries-mapping", "misspelt-top-level"],
)
def test_broken_faq_files_are_reported(document: object, expected: str) -> None:
    problems = schema_problems("faq", document)
    assert any(p.startswith(expected) for p in problems), problems


def test_a_knowledge_file_has_exactly_one_known_top_level_key() -> None:
    both = {"entries": [GOOD_ENTRY], "topics": []}
    assert schema_problems("knowledge", both) == [
        "$: expected exactly one top-level key, one of: entries, shorthand, topics"]
    assert schema_problems("knowledge", {"faq": []})[0].startswith("$.faq: unknown key 'faq'")
    wrong_kind = schema_problems("faq", {"shorthand": {"k8s": "kubernetes"}})
    assert wrong_kind[0].startswith("$: missing required key 'entries'")


def test_broken_shorthand_is_reported() -> None:
    document = yaml.safe_load("shorthand:\n  no: nope\n  Net Pol: network policy\n  netpol:\n  k8s: kubernetes\n")
    assert schema_problems("shorthand", document) == [
        "$.shorthand.False: key False is not text (YAML read it as the boolean false); quote it",
        ("$.shorthand: key 'Net Pol' must be a single lowercase token"
         " (letters and digits, versions such as 1.25 allowed)"),
        "$.shorthand.netpol: expected text, got nothing (null)",
    ]


def test_broken_off_topics_are_reported() -> None:
    document = {"topics": [{"id": "storage", "phrasings": []}, {"phrasings": ["x"], "why": "?"}]}
    assert schema_problems("off-topic", document) == [
        "$.topics[0].phrasings (storage): [] should be non-empty",
        "$.topics[1]: missing required key 'id'",
        "$.topics[1].why: unknown key 'why'; expected one of: id, phrasings",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"link": None}, "$.routes[0].link (sig-network): expected text, got nothing (null)"),
        ({"link": "github.com/kubernetes"},
         "$.routes[0].link (sig-network): value 'github.com/kubernetes' must be an http(s) URL"),
        ({"id": "SIG_Network"}, "$.routes[0].id (SIG_Network): value 'SIG_Network' must be a kebab-case id"),
        ({"terms": [10250]}, "$.routes[0].terms[0] (sig-network): expected text, got the number 10250"),
        ({"slack": "#x"}, "$.routes[0].slack (sig-network): unknown key 'slack'"),
        ({"channel": DELETE}, "$.routes[0] (sig-network): missing required key 'channel'"),
    ],
    ids=["null-link", "link-not-url", "bad-id", "unquoted-number", "unknown-key", "missing-channel"],
)
def test_broken_routes_are_reported_with_their_path(change: dict, expected: str) -> None:
    route = copy.deepcopy(GOOD_ROUTE)
    for key, value in change.items():
        if value is DELETE:
            del route[key]
        else:
            route[key] = value
    problems = schema_problems("routing", {"routes": [route]})
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown schema kind 'faqs'"):
        schema_problems("faqs", {})
    assert set(KINDS) == {"knowledge", "faq", "shorthand", "off-topic", "routing"}


def test_schemas_are_plain_json_editors_can_load() -> None:
    # Published for editors: the files must stand alone (no external $ref).
    for name in SCHEMA_FILES:
        text = (ROOT / "bot" / "schemas" / name).read_text(encoding="utf-8")
        refs = [value for value in _walk(json.loads(text)) if isinstance(value, str) and value.startswith("#/")]
        assert refs and all(ref.startswith("#/$defs/") for ref in refs)


def _walk(node: object):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)
