"""Matching and routing on the shipped knowledge, with questions written for these tests."""

from __future__ import annotations

import pytest

from bot.core.config import load_settings
from bot.core.knowledge import FaqEntry, OffTopic, load_or_raise
from bot.core.matcher import Decision, Matcher
from bot.core.router import Router
from bot.core.service import Brain
from bot.core.text import Shorthand, normalize, stem, terms


@pytest.fixture(scope="module")
def brain() -> Brain:
    settings = load_settings({})
    return Brain.build(load_or_raise(settings.knowledge_dir, settings.routing_file), settings)


def answer_of(brain: Brain, question: str) -> str | None:
    match = brain.matcher.match(question)
    return match.best.id if match.decision is Decision.ANSWER and match.best else None


@pytest.mark.parametrize("question, expected", [
    ("How can I restrict which syscalls a container may call?", "seccomp-apparmor"),
    ("what replaced PodSecurityPolicy", "pod-security-admission"),
    ("how to write a default deny NetworkPolicy", "network-policies"),
    ("are Secrets encrypted in etcd by default", "secrets-good-practices"),
    ("where do I subscribe to Kubernetes security announcements", "security-announcements"),
])
def test_plain_questions(brain, question, expected):
    assert answer_of(brain, question) == expected


@pytest.mark.parametrize("question, expected", [
    ("how do i configure seccmop profiles for my pods", "seccomp-apparmor"),
    ("networkpolicy default deny egres for a namepsace", "network-policies"),
    ("how to enable encyrption at rest for secrets", "secrets-good-practices"),
])
def test_typos(brain, question, expected):
    assert answer_of(brain, question) == expected


@pytest.mark.parametrize("question, expected", [
    ("psp replacement?", "pod-security-admission"),
    ("netpol default deny", "network-policies"),
    ("should every sa automount its token", "service-accounts"),
])
def test_shorthand(brain, question, expected):
    assert answer_of(brain, question) == expected


def test_long_preamble_and_pasted_log(brain):
    question = (
        "hey folks, quick q, sorry if wrong channel. we're running a self-managed cluster on some VMs, "
        "upgraded last month, everything is fine otherwise.\n"
        "```\nE1126 10:01:02.123 1 reflector.go:138] failed to list *v1.Pod: context deadline exceeded\n```\n"
        "anyway: our pods still run as root. how do i make containers run as non-root and drop capabilities?"
    )
    assert answer_of(brain, question) == "security-context"


def test_pasted_yaml_with_question(brain):
    question = (
        "is this enough to block all ingress traffic into the namespace?\n"
        "```yaml\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n"
        "spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n```"
    )
    assert answer_of(brain, question) == "network-policies"


@pytest.mark.parametrize("question", [
    "thank you!!", "good evening all", "how do i resize a persistent volume",
    "my pod is in ImagePullBackOff", "best way to template helm values per environment",
    "when does sig storage meet?", "", "🚀🚀🚀",
])
def test_off_topic_gets_no_answer(brain, question):
    assert answer_of(brain, question) is None


def test_match_reports_ranked_candidates_and_confidence(brain):
    match = brain.matcher.match("how do i set up audit logging on the api server")
    assert match.decision is Decision.ANSWER
    assert match.best.id == "audit-logging"
    confidences = [c.confidence for c in match.ranked]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.0 <= c <= 1.0 for c in confidences)
    assert len({c.entry.id for c in match.ranked}) == len(match.ranked)


def test_suggest_band_offers_up_to_three(brain):
    matcher = Matcher(brain.matcher.entries, brain.matcher.shorthand, answer_threshold=0.99, suggest_threshold=0.2)
    match = matcher.match("rbac for service accounts")
    assert match.decision is Decision.SUGGEST
    suggestions = match.suggestions(0.2)
    assert 1 <= len(suggestions) <= 3
    assert suggestions[0] is match.best


def test_off_topic_anchor_beats_a_shared_word():
    entries = [FaqEntry(id="secrets", question="How do I protect Secrets with encryption at rest?", answer="a",
                        alternates=("are secrets encrypted",))]
    anchors = (OffTopic("kubectl", ("create a secret from a file with kubectl create",)),)
    with_anchor = Matcher(entries, Shorthand(), off_topics=anchors, answer_threshold=0.3, suggest_threshold=0.2)
    without = Matcher(entries, Shorthand(), answer_threshold=0.3, suggest_threshold=0.2)
    question = "kubectl create secret from a file?"
    assert without.match(question).decision is not Decision.NONE
    assert with_anchor.match(question).decision is Decision.NONE


def test_text_pipeline():
    shorthand = Shorthand({"psp": ("podsecuritypolicy",), "k8s": ("kubernetes",)})
    assert terms("How do I migrate PSPs in k8s?", shorthand) == ["migrat", "psps", "kubernet"]
    assert terms("psp in k8s", shorthand) == ["podsecuritypolicy", "kubernet"]
    assert stem("policies") == stem("policy")
    assert stem("rotating") == stem("rotate")
    assert normalize("Hi <!channel> see https://x.io/a ```code``` 1.25", shorthand) == "hi see code 1.25"


# --------------------------------------------------------------------------- router


@pytest.mark.parametrize("question, expected", [
    ("oidc issuer discovery with the structured authentication config", "sig-auth"),
    ("containerd runtime handler for gvisor on the kubelet", "sig-node"),
    ("gateway api httproute tls termination", "sig-network"),
    ("validatingadmissionpolicy cel expression help", "sig-api-machinery"),
    ("kubeadm certificate renewal before expiration", "sig-cluster-lifecycle"),
    ("etcd defrag and compaction schedule", "sig-etcd"),
    ("how do I translate a page of the website (localization)", "sig-docs"),
])
def test_router_by_terms(brain, question, expected):
    route = brain.router.route(normalize(question, brain.matcher.shorthand))
    assert route is not None and route.id == expected


def test_router_silent_without_evidence(brain):
    assert brain.router.route("what a lovely day") is None


def test_router_owner_prior_scales_with_belief(brain):
    entry = brain.knowledge.entry("network-policies")
    assert brain.router.route("hello there", hint=entry, belief=1.0).id == "sig-network"
    assert brain.router.route("hello there", hint=entry, belief=0.2) is None
    assert brain.router.route("hello there", hint=entry) is None  # no belief, no prior


def test_an_answer_is_routed_to_its_entrys_owner_whatever_the_words(brain):
    text = "rbac role binding oidc token webhook authorizer"  # SIG Auth's vocabulary
    assert brain.router.route(text).id == "sig-auth"
    entry = brain.knowledge.entry("security-context")  # owned by SIG Node
    assert brain.router.route(text, answer=entry).id == entry.owner == "sig-node"
    assert brain.router.route(text, hint=entry, belief=0.5).id == "sig-auth"  # a suggestion only hints
    assert brain.router.route(text, hint=entry, belief=1.0).id == "sig-auth"  # even a sure hint is not an answer


def test_router_shared_terms_are_split():
    from bot.core.knowledge import Route

    routes = [Route(id="a", name="A", channel="#a", link="https://a.example", terms=("shared", "alpha")),
              Route(id="b", name="B", channel="#b", link="https://b.example", terms=("shared",))]
    router = Router(routes, Shorthand())
    assert router.scores("shared") == {"a": 0.5, "b": 0.5}
    assert router.route("shared alpha").id == "a"


def test_coverage_is_the_share_of_the_questions_information_an_entry_holds(brain):
    matcher = brain.matcher
    own = matcher.coverage("How do I restrict pod traffic with NetworkPolicy?", "network-policies")
    assert own == pytest.approx(1.0)
    # The same words with a term no entry uses: that term is the rarest, so the share drops.
    diluted = matcher.coverage("How do I restrict pod traffic with NetworkPolicy on zorblax?", "network-policies")
    assert 0.2 < diluted < own
    assert matcher.coverage("How do I restrict pod traffic with NetworkPolicy?", "kubeadm-certificates") < 0.3
    assert matcher.coverage("How do I restrict pod traffic?", "no-such-entry") == 0.0
    assert matcher.coverage("how do i", "network-policies") == 0.0  # no content words
