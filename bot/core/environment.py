"""The environment variables the bot reads: one table, from which `load_settings` knows which names exist
and docs/configuration.md is generated (`python scripts/configuration_doc.py`; a test fails on drift)."""

from __future__ import annotations

from dataclasses import dataclass, fields

# One entry per environment variable: load_settings reads only names listed here, the defaults
# shown come from the Settings fields, and docs/configuration.md is generated from this table
# (`python scripts/configuration_doc.py`; tests/test_configuration_doc.py fails when it drifts).


@dataclass(frozen=True)
class EnvSetting:
    """One environment variable: the Settings fields it sets and what it means."""

    name: str
    group: str
    meaning: str
    fields: tuple[str, ...] = ()  # empty: read outside Settings (see `meaning`)
    default: str | None = None  # shown instead of the field's default (paths, secrets, derived values)


ENVIRONMENT: tuple[EnvSetting, ...] = (
    # Slack
    EnvSetting("SLACK_BOT_TOKEN", "Slack", "Bot token (`xoxb-...`). With `SLACK_APP_TOKEN`: Socket Mode; with "
               "`SLACK_SIGNING_SECRET`: HTTP mode. Without any token `run` opens the offline console on a "
               "terminal and exits with an error otherwise.", ("bot_token",)),
    EnvSetting("SLACK_APP_TOKEN", "Slack", "App-level token (`xapp-...`) with `connections:write`: Socket Mode. "
               "Needs `SLACK_BOT_TOKEN`.", ("app_token",)),
    EnvSetting("SLACK_SIGNING_SECRET", "Slack", "Verifies every HTTP request (HTTP mode). Needs `SLACK_BOT_TOKEN`.",
               ("signing_secret",)),
    EnvSetting("SLACK_API_URL", "Slack", "Web API base URL (tests, proxies).", ("slack_api_url",),
               default="`https://slack.com/api/`"),
    EnvSetting("WATCH_CHANNELS", "Slack", "Channel ids (comma or space separated) where confident answers are "
               "posted unasked (needs `channels:history`).", ("watch_channels",)),
    EnvSetting("SHADOW", "Slack", "Handle and log everything, post nothing in channels (DMs are still answered).",
               ("shadow",)),
    EnvSetting("MAINTAINERS", "Slack", "User ids allowed `/sigsec report` and `/sigsec reload`; they also see "
               "the report on App Home.", ("maintainers",)),
    EnvSetting("ONBOARD_CHANNEL", "Slack", "Channel id: people joining it get the welcome DM, once per person, "
               "ever.", ("onboard_channel",)),
    EnvSetting("REPORT_CHANNEL", "Slack", "Channel id for the weekly gap digest (the bot must be invited).",
               ("report_channel",)),
    EnvSetting("FOLLOWUP_MINUTES", "Slack", "After the bot answers in a channel thread, the asker's follow-ups "
               "there are answered without a mention for this many minutes (each answer starts it again) unless "
               "someone else replied in the thread meanwhile; `0` turns follow-ups off (public channels only: "
               "`message.channels`).", ("followup_minutes",)),
    # HTTP server
    EnvSetting("HOST", "HTTP server and metrics", "Address the HTTP server (and the metrics port) binds: an IP "
               "address or a host name. The container image sets `0.0.0.0`.", ("host",)),
    EnvSetting("PORT", "HTTP server and metrics", "HTTP port: `POST /slack/events` (HTTP mode), `GET /healthz` "
               "(liveness), `GET /readyz` (readiness), and `GET /metrics` unless `METRICS_PORT` is set.", ("port",)),
    EnvSetting("METRICS_PORT", "HTTP server and metrics", "Serve Prometheus `GET /metrics` on this port only "
               "(keep it off any public Ingress); unset: `/metrics` is on `PORT`.", ("metrics_port",)),
    EnvSetting("LOG_LEVEL", "HTTP server and metrics", "`DEBUG`, `INFO`, `WARNING` or `ERROR` (JSON lines on "
               "stderr).", ("log_level",)),
    # Storage and privacy
    EnvSetting("DATABASE_URL", "Storage and privacy", "SQLAlchemy URL: SQLite for one replica, `postgresql://...` "
               "(asyncpg) for several.", ("database_url",)),
    EnvSetting("RETENTION_DAYS", "Storage and privacy", "Logged questions, feedback, suggestion picks and event "
               "claims older than this are deleted (daily, and by `sigsec-bot db purge`).", ("retention_days",)),
    EnvSetting("STALE_DAYS", "Storage and privacy", "FAQ entries not reviewed for this long are flagged in "
               "reports.", ("stale_days",)),
    EnvSetting("KEEP_USER_IDS", "Storage and privacy", "Store raw Slack user ids instead of HMACs.",
               ("keep_user_ids",)),
    EnvSetting("USER_ID_SALT", "Storage and privacy", "Secret key of the user-id HMACs; set a long random value "
               "and keep it stable (the bot warns while it is the public default).", ("user_id_salt",),
               default="a public default"),
    # Knowledge and matching
    EnvSetting("KNOWLEDGE_DIR", "Knowledge and matching", "Folder of FAQ files (`*.yaml`, `shorthand.yaml` "
               "included).", ("knowledge_dir", "shorthand_file"), default="`knowledge/` of the checkout or install"),
    EnvSetting("ROUTING_FILE", "Knowledge and matching", "Routes to the owning groups.", ("routing_file",),
               default="`routing.yaml` of the checkout or install"),
    EnvSetting("ANSWER_THRESHOLD", "Knowledge and matching", "Matcher confidence at or above which the bot "
               "answers (see `docs/matching.md`).", ("answer_threshold",)),
    EnvSetting("SUGGEST_THRESHOLD", "Knowledge and matching", "Confidence from which \"did you mean\" "
               "suggestions are offered; not above `ANSWER_THRESHOLD`.", ("suggest_threshold",)),
    EnvSetting("MATCHER", "Knowledge and matching", "`fused` (lexical and semantic scores combined) or "
               "`lexical` (semantic model off).", ("matcher",)),
    EnvSetting("FUSION_WEIGHT", "Knowledge and matching", "Weight of the semantic score in the fused confidence.",
               ("fusion_weight",)),
    EnvSetting("FUSED_ANSWER_THRESHOLD", "Knowledge and matching", "Answer threshold of the fused confidence.",
               ("fused_answer_threshold",)),
    EnvSetting("FUSION_MARGIN", "Knowledge and matching", "Margin the fused best entry needs over the runner-up.",
               ("fusion_margin",)),
    # Limits
    EnvSetting("RATE_LIMIT_PER_MINUTE", "Limits", "Questions per user per minute, shared by every replica through "
               "the database (per process while it is unreachable); a limited question is still logged.",
               ("rate_limit_per_minute",)),
    EnvSetting("MAX_INPUT_CHARS", "Limits", "Longer messages are cut for matching (100 to 40000), with a note to "
               "the asker.", ("max_input_chars",)),
    # Delivery
    EnvSetting("INBOX_LEASE_SECONDS", "Delivery", "How long a replica holds an event it works on without a "
               "heartbeat; a crashed replica's events are taken over after this.", ("inbox_lease_seconds",)),
    EnvSetting("INBOX_CAPACITY", "Delivery", "Events one process works at once; the rest wait in the inbox "
               "(backpressure).", ("inbox_capacity",)),
    EnvSetting("DELIVERY_RETRY_MINUTES", "Delivery", "How long a reply Slack refuses with 429 / 5xx / timeouts is "
               "retried (backoff with jitter) before the event is marked failed.", ("delivery_retry_minutes",)),
    EnvSetting("LATE_REPLY_MINUTES", "Delivery", "A reply later than this starts with a short apology.",
               ("late_reply_minutes",)),
    # CVE advisor
    EnvSetting("CVE_DATA", "CVE advisor", "OSV snapshot file built by `scripts/build_cve_snapshot.py` (see "
               "`docs/cve-advisor.md`). Unset: the bot gives no CVE replies; `sigsec-bot cve` uses the synthetic "
               "test fixture and says so.", ("cve_data",), default="unset"),
    EnvSetting("CVE_FEED_URL", "CVE advisor", "The official Kubernetes CVE feed (JSON Feed) the CVE advisor refreshes "
               "from at run time; unset: no refresh.", ("cve_feed_url",), default="unset"),
    EnvSetting("ANNOUNCE_CHANNEL", "CVE advisor", "Channel id where new items of the refreshed official feed are "
               "announced, once across replicas.", ("announce_channel",), default="unset"),
)
ENVIRONMENT_BY_NAME = {setting.name: setting for setting in ENVIRONMENT}

def shown_default(setting: EnvSetting) -> str:
    """The default as docs/configuration.md shows it."""
    from bot.core.config import Settings  # the defaults live on the Settings fields

    if setting.default is not None:
        return setting.default
    value = next(f.default for f in fields(Settings) if f.name == setting.fields[0])
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, frozenset):
        return "none" if not value else f"`{' '.join(sorted(value))}`"
    return f"`{value}`"


def configuration_markdown() -> str:
    """docs/configuration.md, generated from ENVIRONMENT (never edit the file by hand)."""
    lines = [
        "# Configuration",
        "",
        "<!-- Generated from bot/core/environment.py (ENVIRONMENT) by `python scripts/configuration_doc.py`;",
        "     do not edit by hand: tests/test_configuration_doc.py fails when this file drifts. -->",
        "",
        "Every setting is an environment variable. Empty means unset. A malformed value stops the bot with",
        "one line naming the variable (`sigsec-bot: configuration error: ...`, exit status 2); secret",
        "values are never printed.",
    ]
    groups: dict[str, list[EnvSetting]] = {}
    for setting in ENVIRONMENT:
        groups.setdefault(setting.group, []).append(setting)
    for group, settings in groups.items():
        lines += ["", f"## {group}", "", "| variable | default | meaning |", "|---|---|---|"]
        for setting in settings:
            meaning = setting.meaning.replace("|", "\\|")
            lines.append(f"| `{setting.name}` | {shown_default(setting)} | {meaning} |")
    return "\n".join(lines) + "\n"
