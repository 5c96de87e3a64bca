"""Prometheus metrics: one `Metrics` per running bot, on its own registry (never the global one).

Built by the composition root (`bot.bootstrap`) and handed to what records: the listeners (through
`bot.slack.deps.Listeners`), the gateway, the Socket Mode connection and the server, which serves
`/metrics` on `METRICS_PORT` when set, else on `PORT`. Names start with `sigsec_`, follow the
prometheus_client conventions (`_total` counters, `_seconds` histograms, `_info`) and carry no user,
channel or message labels: every label value comes from a small fixed set.

    sigsec_questions_total{kind}                    replies by kind, as the question log stores it
    sigsec_feedback_total{verdict}                  "Was this helpful?" clicks: helpful | not_helpful
    sigsec_decision_seconds                         Service.answer: bounds, redaction, models, log
    sigsec_reply_seconds                            event received -> reply accepted by Slack
    sigsec_slack_api_errors_total{method}           failed Web API calls (after the client's retries)
    sigsec_inbox_depth                              work accepted and not finished
    sigsec_inbox_oldest_age_seconds                 age of the oldest such item (0 when none)
    sigsec_socket_mode_connected                    1 while the Socket Mode connection is up
    sigsec_socket_mode_reconnects_total             connections re-established after a drop or refresh
    sigsec_knowledge_entries                        FAQ entries loaded (follows /sigsec reload)
    sigsec_build_info{version,python}               always 1

The inbox gauges read the durable inbox (`bot.delivery.worker.InboxWorker.backlog`), refreshed by one
query when /metrics is scraped (`Metrics.scrape`), not on the reply path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import platform
import time
from contextlib import contextmanager
from typing import Any, Awaitable, Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.exposition import choose_encoder

__all__ = ["Metrics", "REPLY_KINDS"]

# bot.core.reply.ReplyKind values plus the log's off_topic, pre-created so every series exists (at 0).
REPLY_KINDS = ("answered", "suggestions", "routed", "unknown", "private", "limited", "off_topic")
VERDICTS = ("helpful", "not_helpful")
# Seconds: the decision is milliseconds (models, one batched log write); a reply waits on Slack.
DECISION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
REPLY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
REFRESH_SECONDS = 1.0  # the longest a scrape waits for the gauges' query (a slow database keeps old values)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("sigsec-bot")
    except Exception:  # noqa: BLE001 - running from a checkout that was never installed
        return "unknown"


class Metrics:
    """Every metric of one bot, registered on `registry` (a fresh CollectorRegistry by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._refresh: Callable[[], Awaitable[None]] | None = None
        self.questions = Counter("sigsec_questions", "Questions answered, by reply kind.", ["kind"], registry=r)
        self.feedback = Counter("sigsec_feedback", "Answer feedback clicks, by verdict.", ["verdict"], registry=r)
        self.decision_seconds = Histogram("sigsec_decision_seconds", "Time to decide a reply (Service.answer).",
                                          buckets=DECISION_BUCKETS, registry=r)
        self.reply_seconds = Histogram("sigsec_reply_seconds", "From an event's arrival to its reply accepted "
                                       "by Slack.", buckets=REPLY_BUCKETS, registry=r)
        self.slack_api_errors = Counter("sigsec_slack_api_errors", "Failed Slack Web API calls, by method.",
                                        ["method"], registry=r)
        self.inbox_depth = Gauge("sigsec_inbox_depth", "Accepted work not finished yet.", registry=r)
        self.inbox_oldest_age = Gauge("sigsec_inbox_oldest_age_seconds", "Age of the oldest unfinished work "
                                      "item (0 when there is none).", registry=r)
        self.socket_mode_connected = Gauge("sigsec_socket_mode_connected", "1 while the Socket Mode connection "
                                           "is up with recent pongs (0 in HTTP mode).", registry=r)
        self.socket_mode_reconnects = Counter("sigsec_socket_mode_reconnects", "Socket Mode connections "
                                              "re-established after a drop or a refresh.", registry=r)
        self.knowledge_entries = Gauge("sigsec_knowledge_entries", "FAQ entries loaded.", registry=r)
        self.build = Info("sigsec_build", "Version of the running bot.", registry=r)
        self.build.info({"version": _version(), "python": platform.python_version()})
        for kind in REPLY_KINDS:
            self.questions.labels(kind=kind)
        for verdict in VERDICTS:
            self.feedback.labels(verdict=verdict)

    # ------------------------------------------------------------------ wiring (composition root)

    def observe_live(self, *, inbox: Callable[[], tuple[int, float]] | None = None,
                     knowledge_entries: Callable[[], int] | None = None,
                     socket_mode_connected: Callable[[], bool] | None = None,
                     refresh: Callable[[], Awaitable[None]] | None = None) -> None:
        """Gauges read at scrape time: inbox() -> (depth, oldest age in s), the entry count, the connection.
        `refresh` is awaited before each scrape (at most REFRESH_SECONDS; a failure keeps the last values)."""
        self._refresh = refresh
        if inbox is not None:
            self.inbox_depth.set_function(lambda: float(inbox()[0]))
            self.inbox_oldest_age.set_function(lambda: float(inbox()[1]))
        if knowledge_entries is not None:
            self.knowledge_entries.set_function(lambda: float(knowledge_entries()))
        if socket_mode_connected is not None:
            self.socket_mode_connected.set_function(lambda: 1.0 if socket_mode_connected() else 0.0)

    # ------------------------------------------------------------------ recording

    def question(self, reply: Any) -> None:
        """One reply (a bot.core.reply.Reply), by its kind as the question log stores it."""
        value = "off_topic" if getattr(reply, "off_topic", False) else str(getattr(reply.kind, "value", reply.kind))
        self.questions.labels(kind=value if value in REPLY_KINDS else "unknown").inc()

    def verdict(self, helpful: bool) -> None:
        self.feedback.labels(verdict="helpful" if helpful else "not_helpful").inc()

    def slack_api_error(self, method: str) -> None:
        """A failed Web API call; `method` is the API method name (e.g. chat.postMessage) or response_url."""
        self.slack_api_errors.labels(method=method).inc()

    @contextmanager
    def deciding(self) -> Iterator[None]:
        """Time a decision (the body of `with metrics.deciding(): reply = await service.answer(...)`)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.decision_seconds.observe(time.perf_counter() - started)

    def replied_since(self, received_at: dt.datetime) -> None:
        """Slack accepted every reply to an event received at `received_at` (UTC, as stored in the inbox)."""
        self.reply_seconds.observe(max(0.0, (dt.datetime.now(dt.UTC) - received_at).total_seconds()))

    # ------------------------------------------------------------------ exposition

    def exposition(self) -> bytes:
        """The classic text exposition format."""
        return generate_latest(self.registry)

    async def scrape(self, accept: str = "") -> tuple[bytes, str]:
        """`render`, after refreshing the gauges that need a query."""
        if self._refresh is not None:
            try:
                await asyncio.wait_for(self._refresh(), timeout=REFRESH_SECONDS)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a gauge keeps its last value; the scrape still answers
                pass
        return self.render(accept)

    def render(self, accept: str = "") -> tuple[bytes, str]:
        """(body, Content-Type) for GET /metrics: the format the scraper's Accept header asks for
        (OpenMetrics for Prometheus by default, the classic text format for anything else)."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type
