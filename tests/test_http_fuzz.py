"""Malformed requests at /slack/events: always a 4xx (or 200 for validly signed odd payloads), never a 5xx,
and the server keeps serving /healthz afterwards.

Hypothesis generates the cases up front (a plain `@given` collector), then one running app receives them
all over real HTTP.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from hypothesis import HealthCheck, Phase, given, settings, strategies as st
from support.signed_client import sign

SECRET = "test-signing-secret"  # conftest: SLACK_SIGNING_SECRET
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data",
                 "application/json; charset=latin-1", "", "garbage/type"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
event_types = st.sampled_from(["app_mention", "message", "app_home_opened", "member_joined_channel",
                               "reaction_added", "", "x" * 300])
odd_events = st.fixed_dictionaries(
    {"type": event_types},
    optional={"text": st.one_of(st.text(max_size=200), json_values), "user": st.one_of(st.text(max_size=12),
              json_values), "channel": st.one_of(st.text(max_size=12), json_values),
              "subtype": st.one_of(st.none(), st.text(max_size=20)), "ts": json_values,
              "thread_ts": json_values, "channel_type": st.text(max_size=5), "tab": json_values,
              "bot_id": json_values})
odd_envelopes = st.fixed_dictionaries(
    {"type": st.sampled_from(["event_callback", "url_verification", "block_actions", "nonsense", ""])},
    optional={"event": st.one_of(odd_events, json_values), "event_id": json_values,
              "team_id": json_values, "challenge": json_values, "api_app_id": json_values})
odd_actions = st.fixed_dictionaries(
    {"type": st.sampled_from(["block_actions", "view_submission", "shortcut", "interactive_message", "??"])},
    optional={"actions": st.one_of(json_values, st.lists(st.fixed_dictionaries(
        {"action_id": st.sampled_from(["feedback_yes", "feedback_no", "suggest_0", "onboard_docs",
                                       "home_onboard", "unknown"]),
         "value": st.one_of(st.text(max_size=60), json_values)}), max_size=3)),
        "user": st.one_of(json_values, st.fixed_dictionaries({"id": st.text(max_size=10)})),
        "container": json_values, "channel": json_values, "message": json_values,
        "response_url": st.sampled_from(["http://127.0.0.1:9/nowhere", "not a url", ""])})
odd_commands = st.dictionaries(
    st.sampled_from(["command", "text", "user_id", "channel_id", "response_url", "trigger_id", "team_id"]),
    st.text(max_size=80), max_size=7)


def collect(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """Draw `count` examples with Hypothesis' generator (shrinking off: this is input generation)."""
    drawn: list[Any] = []

    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def draw(value: Any) -> None:
        drawn.append(value)

    draw()
    return drawn


def signed(body: bytes, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign(SECRET, ts, body)}


def cases() -> list[tuple[str, bytes, dict[str, str]]]:
    out: list[tuple[str, bytes, dict[str, str]]] = []
    # 1. unsigned or badly signed garbage
    for raw, ctype in collect(st.tuples(st.binary(max_size=300), st.sampled_from(CONTENT_TYPES)), 60):
        out.append(("unsigned", raw, {"Content-Type": ctype} if ctype else {}))
    header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255, blacklist_categories=("Cc",)),
                          max_size=80)
    for raw, ts, sig in collect(st.tuples(st.binary(max_size=200), header_text, header_text), 60):
        headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
        out.append(("bad-headers", raw, headers))
    # 2. validly signed bytes that are not a Slack payload (bad JSON, bad forms, not UTF-8)
    for raw, ctype in collect(st.tuples(st.binary(max_size=300), st.sampled_from(CONTENT_TYPES)), 80):
        out.append(("signed-garbage", raw, signed(raw, ctype)))
    for raw in [b"{", b"{\"type\":", b"[1,2,3]", b"null", b"\"str\"", b"payload=%7B", b"payload=not-json",
                b"payload=%5B1%5D", b"\xff\xfe\x00", b"a=b&c", b"payload=" + b"%00" * 50]:
        for ctype in ("application/json", "application/x-www-form-urlencoded"):
            out.append(("signed-malformed", raw, signed(raw, ctype)))
    # 3. validly signed, well-formed but odd payloads
    for envelope in collect(odd_envelopes, 120):
        raw = json.dumps(envelope).encode()
        out.append(("signed-event", raw, signed(raw, "application/json")))
    for payload in collect(odd_actions, 80):
        raw = urlencode({"payload": json.dumps(payload)}).encode()
        out.append(("signed-action", raw, signed(raw, "application/x-www-form-urlencoded")))
    for form in collect(odd_commands, 60):
        raw = urlencode(form).encode()
        out.append(("signed-command", raw, signed(raw, "application/x-www-form-urlencoded")))
    return out


async def test_malformed_requests_never_5xx_and_server_survives(slack_app) -> None:
    failures: list[str] = []
    for label, raw, headers in cases():
        async with slack_app.session.post(slack_app.url + "/slack/events", data=raw, headers=headers) as response:
            await response.read()
            ok = 400 <= response.status < 500 or (response.status == 200 and label.startswith("signed"))
            if not ok:
                failures.append(f"{label}: {response.status} for {raw[:80]!r} {headers.get('Content-Type')}")
    assert failures == []
    await slack_app.bot.deps.tasks.drain(timeout=5)  # background work from odd-but-valid payloads finishes
    slack_app.bot.deps.tasks.closing = False
    assert (await slack_app.get("/healthz"))[0] == 200


async def test_huge_and_odd_http_requests(slack_app) -> None:
    big = b"x" * (2 * 1024 * 1024)
    async with slack_app.session.post(slack_app.url + "/slack/events", data=big,
                                      headers=signed(big, "application/json")) as response:
        assert response.status == 413
    async with slack_app.session.get(slack_app.url + "/slack/events") as response:
        assert response.status == 405
    async with slack_app.session.post(slack_app.url + "/nope", data=b"{}") as response:
        assert response.status in (404, 405)
    headers = signed(b"{}", "application/json")
    headers["X-Slack-Signature"] = "v0=" + "a" * 8000
    async with slack_app.session.post(slack_app.url + "/slack/events", data=b"{}", headers=headers) as response:
        assert 400 <= response.status < 500
    assert (await slack_app.get("/healthz"))[0] == 200
