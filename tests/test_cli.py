"""The `sigsec-bot` command line: JSON contracts, eval scoring, validation and clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from bot.cli import main
from bot.core.config import PROJECT_ROOT
from bot.evaluation import Item, score, summarize

CATALOG = PROJECT_ROOT.parent / "shared" / "knowledge-catalog.yaml"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL", "ANSWER_THRESHOLD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_json_is_one_object_with_the_contract_keys(capsys):
    code, out, _ = run(capsys, "ask", "how do I apply a default deny network policy?", "--json")
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 1
    reply = json.loads(lines[0])
    assert set(reply) == {"question", "kind", "faq_id", "confidence", "route_id", "suggestions", "private_score",
                          "private_reasons"}
    assert 0.0 <= reply["private_score"] <= 1.0 and isinstance(reply["private_reasons"], list)
    assert reply["kind"] == "answered"
    assert reply["faq_id"] == "network-policies"
    assert reply["route_id"] == "sig-network"
    assert 0.0 < reply["confidence"] <= 1.0
    assert reply["suggestions"] == []


def test_ask_json_for_suggestions_has_no_faq_id(capsys, monkeypatch):
    monkeypatch.setenv("ANSWER_THRESHOLD", "0.99")
    monkeypatch.setenv("FUSED_ANSWER_THRESHOLD", "0.99")
    _, out, _ = run(capsys, "ask", "rbac permissions for service account tokens", "--json")
    reply = json.loads(out)
    assert reply["kind"] == "suggestions"
    assert reply["faq_id"] is None
    assert 1 <= len(reply["suggestions"]) <= 3


def test_ask_json_private_report(capsys):
    _, out, _ = run(capsys, "ask", "I found an unauthenticated RCE in the kubelet, PoC attached below, not reported yet",
                    "--json")
    reply = json.loads(out)
    assert reply["kind"] == "private"
    assert reply["faq_id"] == "report-vulnerability"
    assert reply["route_id"] == "security-response-committee"


def test_ask_plain_text(capsys):
    code, out, _ = run(capsys, "ask", "thanks!")
    assert code == 0 and "[unknown" in out


def eval_file(tmp_path, text: str):
    path = tmp_path / "items.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_eval_json_lines_then_summary(capsys, tmp_path):
    path = eval_file(tmp_path, """
        - q: "how do i write a default deny networkpolicy"
          faq: [network-policies]
          route: [sig-network]
        - q: "thanks a lot!"
          faq: []
          route: []
          note: ignored key
    """)
    code, out, _ = run(capsys, "eval", str(path), "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.strip().splitlines()]
    assert [set(line) for line in lines[:2]] == [{"q", "kind", "faq_id", "route_id", "confidence"}] * 2
    assert lines[0]["q"].startswith("how do i write") and lines[0]["faq_id"] == "network-policies"
    summary = lines[2]["summary"]
    assert summary["answer_accuracy"] == 1.0
    assert summary["false_answer_rate"] == 0.0
    assert summary["route_accuracy"] == 1.0
    assert summary["overall"] == 1.0


def test_eval_reports_wrong_items_and_exits_zero(capsys, tmp_path):
    path = eval_file(tmp_path, """
        - q: "how do i write a default deny networkpolicy"
          faq: [audit-logging]
          route: [sig-auth]
    """)
    code, out, _ = run(capsys, "eval", str(path))
    assert code == 0
    assert "answer accuracy:   0.0%" in out and "1 wrong" in out


@pytest.mark.parametrize("content", ["not: a list", "- {faq: [x]}", "- q: hi\n  faq: notalist", "[unclosed"])
def test_eval_invalid_file_exits_nonzero(capsys, tmp_path, content):
    code, out, _ = run(capsys, "eval", str(eval_file(tmp_path, content)))
    assert code != 0
    assert "sigsec-bot eval:" in out


def test_scoring_rules():
    catalog = frozenset({"network-policies", "audit-logging"})
    answerable = Item("q", ("network-policies",), ("sig-network",))
    off_topic = Item("q", (), ())
    route_only = Item("q", (), ("sig-auth",))
    right = score(answerable, kind="answered", faq_id="network-policies", route_id="sig-network", confidence=0.9,
                  catalog=catalog)
    wrong_route = score(answerable, kind="answered", faq_id="network-policies", route_id="sig-node",
                        confidence=0.9, catalog=catalog)
    false_answer = score(off_topic, kind="answered", faq_id="audit-logging", route_id=None, confidence=0.9,
                         catalog=catalog)
    extra_entry = score(route_only, kind="answered", faq_id="oidc-authentication", route_id="sig-auth",
                        confidence=0.9, catalog=catalog)
    extra_without_catalog = score(route_only, kind="answered", faq_id="oidc-authentication", route_id="sig-auth",
                                  confidence=0.9, catalog=None)
    assert right.correct and not wrong_route.correct and wrong_route.answer_ok
    assert false_answer.false_answer and not false_answer.correct
    assert extra_entry.correct and not extra_entry.false_answer
    assert extra_without_catalog.false_answer
    summary = summarize([right, wrong_route, false_answer, extra_entry])
    assert summary["answer_accuracy"] == 1.0
    assert summary["false_answer_rate"] == 0.5
    assert summary["route_accuracy"] == round(2 / 3, 4)
    assert summary["overall"] == 0.5


def test_validate_ok_and_catalog(capsys):
    args = ["validate"] + (["--catalog", str(CATALOG)] if CATALOG.exists() else [])
    code, out, _ = run(capsys, *args)
    assert code == 0 and out.strip().splitlines()[-1].startswith("OK:")


def test_validate_broken_knowledge_exits_nonzero(capsys, monkeypatch, tmp_path):
    (tmp_path / "bad.yaml").write_text("entries:\n  - id: x\n    question: [broken\n")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path))
    code, out, _ = run(capsys, "validate")
    assert code == 1
    assert "YAML syntax error" in out and "FAILED" in out


def test_bad_setting_is_one_clear_line(capsys, monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    code, _, err = run(capsys, "ask", "hi")
    assert code == 2
    assert err.strip() == "sigsec-bot: configuration error: PORT must be a whole number, got 'eighty'"


def test_secret_setting_never_printed(capsys, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "not-a-bot-token-SECRETVALUE")
    code, _, err = run(capsys, "ask", "hi")
    assert code == 2 and "SECRETVALUE" not in err and "SLACK_BOT_TOKEN" in err


def test_console_script_runs_offline_console(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "console"], input="what is the cve feed?\nquit\n",
                          capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "offline console" in done.stdout
    assert "cve-feed" in done.stdout
    report = subprocess.run([sys.executable, "-m", "bot.cli", "report", "--format", "json"], capture_output=True,
                            text=True, env=env, cwd=PROJECT_ROOT, timeout=60)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["top_answered"][0]["faq_id"] == "cve-feed"  # the console logged it


def test_run_without_tokens_and_without_a_terminal_fails_with_one_line(tmp_path):
    """A container or service manager starting `run` without tokens must not look like a success."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db"}
    done = subprocess.run([sys.executable, "-m", "bot.cli", "run"], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, env=env, cwd=PROJECT_ROOT, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "sigsec-bot: configuration error: no Slack tokens set: set SLACK_BOT_TOKEN with SLACK_APP_TOKEN "
        "(Socket Mode) or with SLACK_SIGNING_SECRET (HTTP); `sigsec-bot console` chats offline"]


def test_run_without_tokens_on_a_terminal_opens_the_console(tmp_path):
    """The README's quick start: `sigsec-bot run` in a terminal chats offline."""
    import os
    import pty

    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/c.db"}
    leader, follower = pty.openpty()
    try:
        child = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], stdin=follower, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT)
        os.write(leader, b"what is the cve feed?\nquit\n")
        out, err = child.communicate(timeout=60)
    finally:
        os.close(leader)
        os.close(follower)
    assert child.returncode == 0, err
    assert "No Slack tokens set: starting the offline console" in out and "cve-feed" in out


@pytest.mark.parametrize("name, value", [("SLACK_APP_TOKEN", "xapp-1-A0001-0000-x"),
                                         ("SLACK_SIGNING_SECRET", "s3cr3t-signing")])
def test_slack_credential_without_the_bot_token_is_one_clear_line(capsys, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    code, out, err = run(capsys, "run")
    assert code == 2 and out == ""
    assert err.strip() == f"sigsec-bot: configuration error: {name} is set but SLACK_BOT_TOKEN is not: set the bot " \
                          "token (xoxb-...) too"
    assert value not in err


def test_validate_checks_the_published_schema(capsys, monkeypatch, tmp_path):
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "faq.yaml").write_text(
        "entries:\n  - id: ok-entry\n    question: How do I do a thing?\n    answer: Like this.\n"
        "    links: [https://example.org/a]\n    colour: blue\n", encoding="utf-8")
    routing = tmp_path / "routing.yaml"
    routing.write_text("routes:\n  - id: sig-x\n    name: SIG X\n    channel: '#sig-x'\n    link: https://example.org/x\n",
                       encoding="utf-8")
    monkeypatch.setenv("KNOWLEDGE_DIR", str(folder))
    monkeypatch.setenv("ROUTING_FILE", str(routing))
    code, out, _ = run(capsys, "validate")
    assert code == 1 and "schema:" in out and "colour" in out


def test_cve_command_answers_from_the_snapshot_and_rejects_malformed_ids(capsys, monkeypatch):
    monkeypatch.delenv("CVE_DATA", raising=False)  # the synthetic fixture
    code, out, _ = run(capsys, "cve", "CVE-2099-0001", "--version", "v1.29.3", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["found"] is True and answer["affected"] is True
    assert {"id", "found", "summary", "status", "severity", "components", "version", "affected", "links"} <= set(answer)
    code, _, err = run(capsys, "cve", "CVE-20-1")
    assert code == 2 and "not a valid CVE id" in err
