"""CVE facts inside the core's replies: `Service.answer` with CVE_DATA set (the synthetic fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import load_settings
from bot.core.render import plain_text
from bot.core.reply import ReplyKind
from bot.core.service import Service
from bot.cve import CveAnswer

FIXTURE = Path(__file__).parent / "data" / "cve-fixture.json"


@pytest.fixture(scope="module")
def service() -> Service:
    import asyncio

    return asyncio.run(Service.create(load_settings({"CVE_DATA": str(FIXTURE), "MATCHER": "lexical"})))


def test_a_cve_question_gets_the_facts_for_the_version_and_component_it_names(service):
    reply = service.decide("is CVE-2099-0001 fixed in my v1.29.3-eks-1234 kubelet?")
    assert reply.kind is ReplyKind.ANSWERED and isinstance(reply.cve, CveAnswer)
    assert reply.cve.id == "CVE-2099-0001" and reply.cve.affected is True and reply.cve.version
    patched = service.decide("is CVE-2099-0001 fixed in 1.29.7 kubelet?")
    assert patched.cve.affected is False
    assert "CVE-2099-0001" in plain_text(reply)


def test_an_ordinary_question_mentioning_a_cve_keeps_its_faq_answer_with_the_facts_added(service):
    question = "our scanner flags CVE-2099-0001 in a vendored go module of the kube-apiserver image, will kubernetes fix it?"
    without = Service(service.settings, service.brain).decide(question)  # no advisor
    with_facts = service.decide(question)
    assert without.cve is None
    if without.kind is ReplyKind.ANSWERED:
        assert with_facts.faq_id == without.faq_id and with_facts.cve is not None
    else:
        assert with_facts.kind is ReplyKind.ANSWERED and with_facts.cve is not None and with_facts.faq_id is None


def test_several_ids_give_a_table_and_unknown_ids_are_said_to_be_not_kubernetes_announced(service):
    reply = service.decide("are CVE-2099-0001 and CVE-2023-44487 fixed in 1.28?")
    assert isinstance(reply.cve, list) and [a.id for a in reply.cve] == ["CVE-2099-0001", "CVE-2023-44487"]
    assert [a.found for a in reply.cve] == [True, False]
    assert "CVE-2023-44487" in plain_text(reply)


def test_a_malformed_id_gets_a_clear_private_note(service):
    reply = service.decide("is CVE-23-1234 fixed?")
    assert reply.cve is None and any("does not look like a CVE id" in note for note in reply.private_notes)


def test_a_private_report_naming_a_cve_stays_private(service):
    reply = service.decide("I found a new bypass like CVE-2099-0001 but unpatched in 1.30, PoC ready, not reported "
                           "yet, anyone can read secrets in other namespaces through the kubelet")
    assert reply.kind is ReplyKind.PRIVATE and reply.cve is None


async def test_without_cve_data_there_are_no_cve_replies():
    plain = await Service.create(load_settings({"MATCHER": "lexical"}))
    assert plain.cve is None and plain.decide("is CVE-2099-0001 fixed in 1.29.3?").cve is None
    await plain.close()
