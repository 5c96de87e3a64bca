"""/metrics end to end: real signed Slack requests into the real app (tests/conftest.py `slack_factory`),
then a Prometheus scrape over HTTP, parsed with prometheus_client's own parser, shows the counters moving.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.signed_client import mention_event, message_event

from bot.metrics import Metrics

ALLOWED_LABELS = {"kind", "verdict", "method", "version", "python", "le"}  # never a user, channel or text


async def scrape(app: Any, port: int | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics over HTTP: {(sample name, sorted labels): value}."""
    url = f"http://127.0.0.1:{port or app.bot.port}/metrics"
    async with app.session.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def settled(app: Any) -> None:
    """Every accepted event handled (tracked tasks drained) and no Slack call still arriving."""
    for _ in range(100):
        if not app.bot.deps.tasks.tasks:
            break
        await asyncio.sleep(0.05)
    await app.mock.settle(0.2)


async def test_metrics_move_with_real_events(slack_factory) -> None:
    app = await slack_factory()
    before = await scrape(app)
    assert value(before, "sigsec_questions_total", kind="answered") == 0
    assert value(before, "sigsec_knowledge_entries") == 6
    assert value(before, "sigsec_inbox_depth") == 0
    [(build_name, build_labels)] = [key for key in before if key[0] == "sigsec_build_info"]
    assert dict(build_labels)["version"] and before[(build_name, build_labels)] == 1

    # An answered mention, an unknown DM, a slash-command ask, then a "helpful" click on the answer.
    await app.event(mention_event("what are the pod security standards?", channel="C1"))
    [answer] = await app.mock.wait_for("chat.postMessage", channel="C1")
    await app.event(message_event("how do I tune the flux capacitor of my quantum pipeline?", channel="D1",
                                  channel_type="im"))
    await app.mock.wait_for("chat.postMessage", channel="D1")
    await app.command("ask how do I set up rbac with least privilege?")
    await app.mock.wait_for("response_url")
    yes = [b for b in answer.blocks if b["type"] == "actions"][0]["elements"][0]
    await app.action(yes["action_id"], yes["value"])
    await app.mock.wait_for("response_url", count=2)
    # A Web API call Slack refuses.
    app.mock.fail_next["chat.postMessage"] = "channel_not_found"
    await app.event(mention_event("how do I encrypt secrets at rest in etcd?", channel="CGONE"))
    await app.mock.wait_for("chat.postMessage", channel="CGONE")
    await settled(app)

    after = await scrape(app)
    kinds = {dict(labels)["kind"]: v - before.get((name, labels), 0.0)
             for (name, labels), v in after.items() if name == "sigsec_questions_total"}
    assert kinds["answered"] == 3  # the mention, the command, the refused one
    assert kinds["unknown"] + kinds["off_topic"] + kinds["routed"] + kinds["suggestions"] == 1  # the DM
    assert sum(kinds.values()) == 4
    assert value(after, "sigsec_feedback_total", verdict="helpful") == 1
    assert value(after, "sigsec_feedback_total", verdict="not_helpful") == 0
    assert value(after, "sigsec_decision_seconds_count") == 4
    assert 0 < value(after, "sigsec_decision_seconds_sum") < 10
    # Replies Slack accepted: the mention, the DM, the command's answer (not the refused post).
    assert value(after, "sigsec_reply_seconds_count") == 3
    assert value(after, "sigsec_slack_api_errors_total", method="chat.postMessage") == 1
    assert value(after, "sigsec_inbox_depth") == 0 and value(after, "sigsec_inbox_oldest_age_seconds") == 0
    assert value(after, "sigsec_socket_mode_connected") == 0  # HTTP mode

    # No user, channel or message text in any label.
    for name, labels in after:
        assert name.startswith("sigsec_"), name
        assert {k for k, _ in labels} <= ALLOWED_LABELS, (name, labels)
        for _, label_value in labels:
            assert not label_value.startswith(("U1", "C1", "D1", "CGONE")), (name, labels)


async def test_inbox_depth_and_age_show_work_in_flight(slack_factory) -> None:
    app = await slack_factory()
    await app.event(mention_event("what are the pod security standards?"))  # warms up auth.test
    await app.mock.wait_for("chat.postMessage")
    await settled(app)
    app.mock.rate_limit(1, retry_after=1)  # the next reply waits a second for Slack
    await app.event(mention_event("how do I set up rbac with least privilege?"))
    await asyncio.sleep(0.5)
    during = await scrape(app)
    assert value(during, "sigsec_inbox_depth") == 1
    assert 0.3 < value(during, "sigsec_inbox_oldest_age_seconds") < 5
    await app.mock.wait_for("chat.postMessage", count=3, timeout=6)
    await settled(app)
    after = await scrape(app)
    assert value(after, "sigsec_inbox_depth") == 0
    assert value(after, "sigsec_reply_seconds_count") == 2
    assert value(after, "sigsec_reply_seconds_bucket", le="0.5") == 1  # the second waited out Retry-After


async def test_metrics_port_serves_metrics_only_there(slack_factory) -> None:
    app = await slack_factory(METRICS_PORT="0")  # 0: any free port (tests); deployments use 9090
    metrics_port = app.bot.server.metrics_port
    assert metrics_port and metrics_port != app.bot.port
    assert (await app.get("/metrics"))[0] == 404  # not on the main (possibly public) port
    assert (await app.get("/readyz"))[0] == 200
    samples = await scrape(app, metrics_port)
    assert value(samples, "sigsec_knowledge_entries") == 6
    async with app.session.get(f"http://127.0.0.1:{metrics_port}/readyz") as response:
        assert response.status == 404  # the metrics port serves nothing else


def test_each_bot_has_its_own_registry() -> None:
    from prometheus_client import REGISTRY

    first, second = Metrics(), Metrics()
    first.questions.labels(kind="answered").inc()
    assert second.questions.labels(kind="answered")._value.get() == 0
    assert "sigsec_questions_total" not in {m.name for m in REGISTRY.collect()}  # never the global registry
    text = first.exposition().decode()
    assert 'sigsec_questions_total{kind="answered"} 1.0' in text


@pytest.mark.parametrize("kind", ["answered", "suggestions", "routed", "unknown", "private", "limited"])
def test_every_reply_kind_has_a_series(kind: str) -> None:
    from bot.core.reply import ReplyKind

    assert kind in {k.value for k in ReplyKind}
    assert f'sigsec_questions_total{{kind="{kind}"}} 0.0' in Metrics().exposition().decode()
