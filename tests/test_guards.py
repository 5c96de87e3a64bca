"""Tests for bot.safety (bounding, redaction, escaping, rate limiting) and bot.logs."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import logs
from bot.safety.bounds import BoundedText, bound_input, is_meaningful
from bot.safety.escaping import escape_mrkdwn, truncate_for_block
from bot.safety.ratelimit import RateLimiter
from bot.safety.secrets import redact_secrets


# Fake credentials, built so the literal strings in this file do not look like live secrets.
SLACK_BOT = "xoxb-" + "123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx"
GITHUB_PAT = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
JWT = ("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9." "eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0."
       "c2lnbmF0dXJlLXNpZ25hdHVyZQ")
PEM_BODY = "MIIEowIBAAKCAQEAx1234567890abcdefghijABCDEFGHIJ\nabcdefghijklmnopqrstuvwxyz0123456789+/ABCD==\n"


# ---------------------------------------------------------------------------------------------
# redact_secrets
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "kind", "secret"),
    [
        (f"bot token is {SLACK_BOT} pls help", "slack_bot_token", SLACK_BOT),
        ("xoxp-" + "2222222222-3333333333-abcdefabcdef", "slack_user_token", "3333333333-abcdef"),
        ("xapp-" + "1-A0123456789-1234567890123-abcdef0123456789", "slack_app_token", "A0123456789"),
        ("xoxa-2-" + "123456789012-abcdefABCDEF", "slack_token", "abcdefABCDEF"),
        (f"export GITHUB_TOKEN={GITHUB_PAT}", "github_token", GITHUB_PAT),
        ("gho_" + "Z" * 36, "github_token", "Z" * 36),
        ("github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123", "github_fine_grained_pat", "11ABCDEFG0123456789"),
        (f"aws key {AWS_KEY_ID} leaked", "aws_access_key_id", AWS_KEY_ID),
        ("ASIA" + "ABCDEFGHIJKLMNOP", "aws_access_key_id", "ASIAABCDEFGHIJKLMNOP"),
        (f"aws_secret_access_key = {AWS_SECRET}", "aws_secret_access_key", AWS_SECRET),
        (f"key {AWS_KEY_ID} secret {AWS_SECRET}", "aws_secret_access_key", AWS_SECRET),
        ("maps key AIza" + "SyD-1234567890abcdefghijklmnopqrstu", "google_api_key", "SyD-1234567890"),
        (f"sa token: {JWT}", "jwt", JWT.split(".")[1]),
        (f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}-----END RSA PRIVATE KEY-----", "private_key", "MIIEow"),
        (f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}", "private_key", "MIIEow"),  # truncated, no END
        (f"-----BEGIN OPENSSH PRIVATE KEY----- {PEM_BODY.replace(chr(10), ' ')}", "openssh_private_key", "abcdefghijkl"),
        ("apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    token: abcdef0123456789abcdef\n",
         "kubeconfig_token", "abcdef0123456789abcdef"),
        ("users:\n- name: admin\n  user:\n    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQ==\n",
         "kubeconfig_client_key", "LS0tLS1CRUdJTiBSU0E"),
        ("users:\n- name: a\n  user:\n    username: admin\n    password: letmein\n", "password", "letmein"),
        ("password=hunter2", "password", "hunter2"),
        ("passwd: S3cr3t!", "password", "S3cr3t!"),
        ('PASSWORD="correct horse battery"', "password", "correct horse"),
        ("mysql --password s3cretpw -u root", "cli_password", "s3cretpw"),
        ("helm install x --set db.password=Tr0ub4dor", "password", "Tr0ub4dor"),
        ("git clone https://alice:s3cr3tpass@git.example.com/repo.git", "url_password", "s3cr3tpass"),
        ("postgresql://bot:pg-pass-123@db:5432/sigsec", "database_url_password", "pg-pass-123"),
        ("curl -H 'Authorization: Bearer abc.def-123456789xyz' https://k8s", "bearer_token", "abc.def-123456789xyz"),
        ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZA==' https://k8s", "basic_auth_header", "dXNlcjpwYXNzd29yZA"),
        ("kubectl --token=kJ8sd7f6g5h4j3k2l1 get pods", "cli_token", "kJ8sd7f6g5h4j3k2l1"),
        ("SLACK_SIGNING_SECRET=8f742231b10e8888abcd99yyyzzz85a5", "secret", "8f742231b10e8888abcd99"),
        ("client_secret: Zx9kLmNoPqRs", "client_secret", "Zx9kLmNoPqRs"),
        ("api_key=sk_live_123456abcdef", "stripe_key", "sk_live_123456abcdef"),
        ("webhook secret: 4f1e2d3c5b6a7980f1e2d3c5b6a7980f1e2d3c5b", "secret", "4f1e2d3c5b6a7980"),
    ],
)
def test_redacts_each_kind(text: str, kind: str, secret: str) -> None:
    result = redact_secrets(text)
    assert kind in result.kinds
    assert f"[redacted {kind}]" in result.text
    assert secret not in result.text


def test_redaction_keeps_surrounding_text_and_sorts_kinds() -> None:
    text = f"hi! {SLACK_BOT} and {GITHUB_PAT}, also password=hunter2. why does auth fail?"
    result = redact_secrets(text)
    assert result.kinds == ("github_token", "password", "slack_bot_token")
    assert result.text.startswith("hi! [redacted slack_bot_token] and [redacted github_token]")
    assert result.text.endswith("why does auth fail?")


def test_pem_block_with_text_after_keeps_the_question() -> None:
    text = f"-----BEGIN EC PRIVATE KEY-----\n{PEM_BODY}-----END EC PRIVATE KEY-----\nwhy is this rejected?"
    assert redact_secrets(text).text == "[redacted private_key]\nwhy is this rejected?"


def test_basic_auth_url_keeps_host() -> None:
    assert redact_secrets("https://u:p4ssw0rd@example.com/x").text == "https://u:[redacted url_password]@example.com/x"


def test_kinds_are_named_readably_to_the_asker() -> None:
    from bot.core import messages
    from bot.safety.secrets import KINDS, LABELS, describe_kinds

    assert set(LABELS) == set(KINDS)
    assert all(label[:2] in ("a ", "an") and "_" not in label for label in LABELS.values())
    kinds = redact_secrets(f"hi! {SLACK_BOT} and {GITHUB_PAT}, also password=hunter2").kinds
    note = messages.SECRET_FOUND.format(kinds=describe_kinds(kinds))
    assert "(a GitHub token, a password, a Slack bot token)" in note and "rotate" in note
    assert describe_kinds(("private_key", "labelled_private_key")) == "a private key"  # each name once


def test_certificate_data_is_not_secret() -> None:
    text = "users:\n- name: a\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJU\n"
    assert redact_secrets(text).kinds == ()


@pytest.mark.parametrize(
    "text",
    [
        "how do i rotate a token",
        "what's the password policy for service accounts?",
        "our password policy says 90 days",
        "token: ",
        "token:",
        "password: <redacted>",
        "password: [REDACTED]",
        "password=",
        "password = true",
        'client_secret: ""',
        "client_secret: ${CLIENT_SECRET}",
        "token: {{ .Values.token }}",
        "password: policy?",
        "token: rotation question",
        "the secret: what is it",
        "is CVE-2024-3177 fixed in 1.29?",
        "fixed upstream in commit 4f1e2d3c5b6a7980f1e2d3c5b6a7980f1e2d3c5b, cherry-picked to 1.30",
        "image digest sha256:4f1e2d3c5b6a7980f1e2d3c5b6a7980f1e2d3c5b4f1e2d3c5b6a7980f1e2d3c",
        "base64 is not encryption: c2VjcmV0IHZhbHVlIGhlcmUgaXMgbm90IGEgc2VjcmV0",
        "data:\n  config.json: eyJhdXRocyI6e319",
        "do bearer tokens expire? Authorization: Bearer <token>",
        "slack tokens start with xoxb- right?",
        "xoxb-your-token-here",
        "https://user@example.com/no-password",
        "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "ghp_ prefix means a personal token",
        "AKIA keys are long-lived, ASIA are temporary",
    ],
)
def test_does_not_redact_look_alikes(text: str) -> None:
    result = redact_secrets(text)
    assert result.kinds == (), result.text
    assert result.text == text


# ---------------------------------------------------------------------------------------------
# escape_mrkdwn / truncate_for_block
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel> look", "&lt;!channel&gt; look"),
        ("<!here>", "&lt;!here&gt;"),
        ("<@U123> ping", "&lt;@U123&gt; ping"),
        ("<https://evil.example|click me>", "&lt;https://evil.example|click me&gt;"),
        ("AT&T & co", "AT&amp;T &amp; co"),
        ("&lt; already", "&amp;lt; already"),
        ("@channel hi", "@\u200bchannel hi"),
        ("hey @here and @Everyone", "hey @\u200bhere and @\u200bEveryone"),
        ("email me@example.com", "email me@example.com"),
    ],
)
def test_escape_mrkdwn(text: str, expected: str) -> None:
    assert escape_mrkdwn(text) == expected


def test_truncate_for_block() -> None:
    assert truncate_for_block("short", 10) == "short"
    out = truncate_for_block("the quick brown fox jumps over the lazy dog", 20)
    assert len(out) <= 20 and out.endswith("\u2026") and out == "the quick brown fox\u2026"
    cut = truncate_for_block(escape_mrkdwn("a" * 18 + " &&&&"), 23)
    assert len(cut) <= 23 and not re.search(r"&[a-z]*\u2026$", cut)


# ---------------------------------------------------------------------------------------------
# bound_input / is_meaningful
# ---------------------------------------------------------------------------------------------

def test_bound_input_cuts_long_text_at_a_word() -> None:
    text = "word " * 2000
    result = bound_input(text, limit=4000)
    assert isinstance(result, BoundedText)
    assert result.truncated and result.original_length == 10_000
    assert len(result.text) <= 4000 and result.text.endswith("word")


def test_bound_input_hard_cuts_text_without_spaces() -> None:
    result = bound_input("x" * 5000, limit=100)
    assert result.truncated and result.text == "x" * 100


def test_bound_input_short_text_untouched() -> None:
    assert bound_input("how do i enable audit logs?") == BoundedText("how do i enable audit logs?", False, 27)


def test_bound_input_strips_control_and_invisible_characters() -> None:
    raw = "pa\x00ss\x07word\u200b \u202eevil\u202c\u2066x\u2069\ufeff and\ttab\r\nnext"
    assert bound_input(raw).text == "password evilx and\ttab\nnext"


def test_bound_input_collapses_whitespace_but_keeps_indentation() -> None:
    raw = "  \nline one    has   gaps   \n\n\n\n\nyaml:\n  key: value\n\n"
    assert bound_input(raw).text == "line one has gaps\n\nyaml:\n  key: value"


def test_bound_input_normalises_but_keeps_mixed_scripts() -> None:
    raw = "ＡＢＣ ﬁle Привет kubelet 中文 안녕 😀"
    assert bound_input(raw).text == "ABC file Привет kubelet 中文 안녕 😀"


@pytest.mark.parametrize("text", ["", "   \n\t ", "🎉🎉🔥", ":wave: :+1:", "?!...", "<@U123ABC>", "👍 :tada: !!"])
def test_not_meaningful(text: str) -> None:
    assert not is_meaningful(text)


@pytest.mark.parametrize("text", ["ok?", "Привет", "中文", "1.29?", "<@U1> how do i enable psa"])
def test_meaningful(text: str) -> None:
    assert is_meaningful(text)


# ---------------------------------------------------------------------------------------------
# RateLimiter
# ---------------------------------------------------------------------------------------------

class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_allows_n_then_denies_and_window_slides() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.allow("U1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("U2")  # other keys are independent
    assert limiter.retry_after("U1") == pytest.approx(60.0)
    clock.now += 30
    assert not limiter.allow("U1")
    assert limiter.retry_after("U1") == pytest.approx(30.0)
    clock.now += 30.001  # the first three calls have left the window
    assert [limiter.allow("U1") for _ in range(4)] == [True, True, True, False]


def test_rate_limiter_slides_per_call_not_per_fixed_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.allow("u")
    clock.now += 40
    assert limiter.allow("u")
    assert not limiter.allow("u")
    clock.now += 20.5  # first call expired, second has not
    assert limiter.allow("u")
    assert not limiter.allow("u")


def test_rate_limiter_memory_is_bounded() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, max_keys=1000)
    for i in range(10_000):
        limiter.allow(f"U{i}")
    assert len(limiter) == 1000
    clock.now += 61  # everything is idle now: the next call evicts it all
    limiter.allow("fresh")
    assert len(limiter) == 1


def test_rate_limiter_rejects_bad_config() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


# ---------------------------------------------------------------------------------------------
# logs
# ---------------------------------------------------------------------------------------------

@pytest.fixture()
def log_stream():
    stream = io.StringIO()
    logs.configure_logging("DEBUG", stream=stream)
    yield stream
    logs.clear_secrets()
    logs.configure_logging("WARNING", stream=io.StringIO())


def test_logs_never_contain_tokens(log_stream: io.StringIO) -> None:
    registered = "signing-secret-" + "f00dfacecafe"
    logs.register_secret(registered)
    logs.register_secret("postgresql+asyncpg://bot:" + "db-pass-4711" + "@db/sigsec")
    log = logging.getLogger("sigsec.test")
    log.info("token %s and %s", SLACK_BOT, registered,
             extra={"headers": {"auth": f"Bearer {JWT}"}, "values": [registered, "db-pass-4711"], "n": 1})
    try:
        raise RuntimeError(f"connect failed password=hunter22 {SLACK_BOT}")
    except RuntimeError:
        log.exception("boom %s", registered)
    out = log_stream.getvalue()
    for secret in (SLACK_BOT, registered, JWT, "db-pass-4711", "hunter22", "123456789012"):
        assert secret not in out
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "sigsec.test" and lines[0]["n"] == 1
    assert "[redacted slack_bot_token]" in lines[0]["msg"] and "[REDACTED:configured_secret]" in lines[0]["msg"]
    assert lines[1]["exc"].startswith("Traceback") and "RuntimeError" in lines[1]["exc"]
    assert {"ts", "level", "logger", "msg"} <= lines[1].keys()


def test_log_event_withholds_private_text(log_stream: io.StringIO) -> None:
    log = logging.getLogger("sigsec.test")
    logs.log_event(log, "private_report", private=True, text="found an rce in the kubelet", user="U1", args=2)
    logs.log_event(log, "answered", text="how do i enable psa", faq_id="psa")
    first, second = (json.loads(line) for line in log_stream.getvalue().splitlines())
    assert first["event"] == "private_report" and "kubelet" not in json.dumps(first)
    assert first["field_args"] == 2 and first["user"] == "U1"
    assert second["text"] == "how do i enable psa" and second["faq_id"] == "psa"


# ---------------------------------------------------------------------------------------------
# Properties: never raise on arbitrary text; escaped output is inert
# ---------------------------------------------------------------------------------------------

_ANY_TEXT = st.text(max_size=600)
_SECRETISH_TEXT = st.lists(
    st.sampled_from(["xoxb-", "ghp_", "AKIA", "eyJ", ".", "-----BEGIN", " PRIVATE KEY-----", "-----END",
                     "password", "=", ":", "token", "\n", " ", "@", "https://", "a1", "Z9", "/", "+", "<!here>",
                     "found", "exploit", "CVE-2024-1", "kubelet", "\u202e", "\x00", "🎉"]),
    max_size=80).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_ANY_TEXT, _SECRETISH_TEXT))
def test_guards_never_raise(text: str) -> None:
    redaction = redact_secrets(text)
    assert redaction.kinds == tuple(sorted(set(redaction.kinds)))
    bounded = bound_input(text, limit=200)
    assert len(bounded.text) <= 200
    assert bounded.original_length == len(text)
    is_meaningful(text)


@settings(max_examples=300, deadline=None)
@given(st.one_of(_ANY_TEXT, _SECRETISH_TEXT))
def test_escape_output_is_inert(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped and ">" not in escaped
    assert not re.search(r"@(?:channel|here|everyone)\b", escaped, re.IGNORECASE)
    assert len(truncate_for_block(escaped, 50)) <= 50


@settings(max_examples=200, deadline=None)
@given(_ANY_TEXT)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact_secrets(text).text
    assert redact_secrets(once).text == once
