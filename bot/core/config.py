"""Settings read from the environment once, validated, with secrets masked when printed."""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the source checkout (or editable install)
INSTALLED_CONTENT = Path(sys.prefix) / "share" / "sigsec-bot"  # where a regular install puts knowledge/


def content_root() -> Path:
    """Where the default knowledge/ and routing.yaml live: the checkout, else the installed data files."""
    for root in (PROJECT_ROOT, INSTALLED_CONTENT):
        if (root / "knowledge").is_dir() and (root / "routing.yaml").is_file():
            return root
    return PROJECT_ROOT  # nothing found: loading names these paths and KNOWLEDGE_DIR / ROUTING_FILE


CONTENT_ROOT = content_root()
DEFAULT_USER_ID_SALT = "sigsec-bot"  # public: deployments must set their own (the app warns)
SECRET_FIELDS = frozenset({"bot_token", "app_token", "signing_secret", "user_id_salt", "database_url"})


class ConfigError(ValueError):
    """A setting is missing or malformed; the message is one line meant for the operator."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be told through its environment."""

    knowledge_dir: Path = CONTENT_ROOT / "knowledge"
    routing_file: Path = CONTENT_ROOT / "routing.yaml"
    shorthand_file: Path = CONTENT_ROOT / "knowledge" / "shorthand.yaml"

    # Slack
    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None
    slack_api_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 3000
    metrics_port: int | None = None
    watch_channels: frozenset[str] = frozenset()
    shadow: bool = False
    maintainers: frozenset[str] = frozenset()
    onboard_channel: str | None = None
    report_channel: str | None = None
    followup_minutes: int = 30  # the asker's follow-ups in the bot's answer threads need no mention

    # Storage and reports
    database_url: str = "sqlite+aiosqlite:///sigsec-bot.db"
    retention_days: int = 180
    stale_days: int = 365
    keep_user_ids: bool = False
    user_id_salt: str = DEFAULT_USER_ID_SALT

    # Matching thresholds (chosen from data; see docs/matching.md)
    answer_threshold: float = 0.52
    suggest_threshold: float = 0.35
    # Semantic + lexical fusion (MATCHER=lexical turns it off; chosen on the real corpus's tune half)
    matcher: str = "fused"
    fusion_weight: float = 0.4
    fused_answer_threshold: float = 0.54
    fusion_margin: float = 0.0

    # Delivery (the durable inbox)
    inbox_lease_seconds: int = 30
    inbox_capacity: int = 32
    delivery_retry_minutes: int = 10
    late_reply_minutes: int = 15

    # CVE advisor
    cve_data: Path | None = None
    cve_feed_url: str | None = None
    announce_channel: str | None = None

    # Abuse limits
    rate_limit_per_minute: int = 10
    max_input_chars: int = 4000

    log_level: str = "INFO"

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in SECRET_FIELDS and value:
                value = mask(str(value))
            shown.append(f"{f.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__

    @property
    def slack_mode(self) -> str:
        """'socket', 'http' or 'offline', from which tokens are set."""
        if self.bot_token and self.app_token:
            return "socket"
        if self.bot_token and self.signing_secret:
            return "http"
        return "offline"


def mask(secret: str) -> str:
    """Show only that a secret is set, never any of its characters beyond a short prefix kind."""
    if "://" in secret:  # a URL: keep scheme and host, hide credentials
        scheme, _, rest = secret.partition("://")
        creds, at, host = rest.rpartition("@")
        return f"{scheme}://{'***@' if at else ''}{host}"
    return secret[:4] + "***" if secret.startswith("xox") else "***"


# --------------------------------------------------------------------------- the environment, documented
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
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def shown_default(setting: EnvSetting) -> str:
    """The default as docs/configuration.md shows it."""
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
        "<!-- Generated from bot/core/config.py (ENVIRONMENT) by `python scripts/configuration_doc.py`;",
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


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _int(name: str, raw: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name} must be at least {minimum}{upper}, got {value}")
    return value


def _float(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number between 0 and 1, got {raw!r}") from None
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"{name} must be between 0 and 1, got {value}")
    return value


def _ids(raw: str) -> frozenset[str]:
    return frozenset(part.strip() for part in raw.replace(" ", ",").split(",") if part.strip())


def _token(name: str, raw: str, prefix: str) -> str:
    value = raw.strip()
    if not value.startswith(prefix):
        raise ConfigError(f"{name} must start with {prefix!r} (value hidden)")
    return value


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                       r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")


def _host(name: str, raw: str) -> str:
    """An IP address (v4 or v6, brackets allowed) or a DNS host name to bind."""
    value = raw.strip()
    bare = value[1:-1] if value.startswith("[") and value.endswith("]") else value
    try:
        return str(ipaddress.ip_address(bare))
    except ValueError:
        pass
    if _HOSTNAME.match(value) and not value.replace(".", "").isdigit():
        return value
    raise ConfigError(f"{name} must be an IP address (e.g. 127.0.0.1, 0.0.0.0, ::) or a host name, got {raw!r}")


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; raise ConfigError with one clear line on bad input."""
    env = os.environ if environ is None else environ


    def get(name: str) -> str | None:
        if name not in ENVIRONMENT_BY_NAME:  # a programming error, caught by every test that loads settings
            raise LookupError(f"{name} is not in bot.core.config.ENVIRONMENT: add it there (with its meaning)")
        return (env.get(name) or "").strip() or None

    values: dict[str, object] = {}

    if raw := get("KNOWLEDGE_DIR"):
        values["knowledge_dir"] = Path(raw)
        values["shorthand_file"] = Path(raw) / "shorthand.yaml"
    if raw := get("ROUTING_FILE"):
        values["routing_file"] = Path(raw)
    if raw := get("SLACK_BOT_TOKEN"):
        values["bot_token"] = _token("SLACK_BOT_TOKEN", raw, "xoxb-")
    if raw := get("SLACK_APP_TOKEN"):
        values["app_token"] = _token("SLACK_APP_TOKEN", raw, "xapp-")
    if raw := get("SLACK_SIGNING_SECRET"):
        values["signing_secret"] = raw
    if raw := get("SLACK_API_URL"):
        if not raw.startswith(("http://", "https://")):
            raise ConfigError(f"SLACK_API_URL must be an http(s) URL, got {raw!r}")
        values["slack_api_url"] = raw if raw.endswith("/") else raw + "/"
    if raw := get("HOST"):
        values["host"] = _host("HOST", raw)
    if raw := get("PORT"):
        values["port"] = _int("PORT", raw, minimum=0, maximum=65535)
    if raw := get("METRICS_PORT"):
        values["metrics_port"] = _int("METRICS_PORT", raw, minimum=0, maximum=65535)
    if raw := get("LOG_LEVEL"):
        if raw.upper() not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {raw!r}")
        values["log_level"] = raw.upper()
    if raw := get("WATCH_CHANNELS"):
        values["watch_channels"] = _ids(raw)
    if raw := get("SHADOW"):
        values["shadow"] = _bool("SHADOW", raw)
    if raw := get("MAINTAINERS"):
        values["maintainers"] = _ids(raw)
    if raw := get("ONBOARD_CHANNEL"):
        values["onboard_channel"] = raw
    if raw := get("REPORT_CHANNEL"):
        values["report_channel"] = raw
    if raw := get("FOLLOWUP_MINUTES"):
        values["followup_minutes"] = _int("FOLLOWUP_MINUTES", raw, minimum=0, maximum=1440)
    if raw := get("DATABASE_URL"):
        if "://" not in raw:
            raise ConfigError("DATABASE_URL must be a SQLAlchemy URL such as sqlite+aiosqlite:///bot.db")
        values["database_url"] = _async_driver(raw)
    if raw := get("RETENTION_DAYS"):
        values["retention_days"] = _int("RETENTION_DAYS", raw, minimum=1)
    if raw := get("STALE_DAYS"):
        values["stale_days"] = _int("STALE_DAYS", raw, minimum=1)
    if raw := get("KEEP_USER_IDS"):
        values["keep_user_ids"] = _bool("KEEP_USER_IDS", raw)
    if raw := get("USER_ID_SALT"):
        values["user_id_salt"] = raw
    if raw := get("ANSWER_THRESHOLD"):
        values["answer_threshold"] = _float("ANSWER_THRESHOLD", raw)
    if raw := get("SUGGEST_THRESHOLD"):
        values["suggest_threshold"] = _float("SUGGEST_THRESHOLD", raw)
    if raw := get("MATCHER"):
        if raw.lower() not in ("fused", "lexical"):
            raise ConfigError(f"MATCHER must be fused or lexical, got {raw!r}")
        values["matcher"] = raw.lower()
    if raw := get("FUSION_WEIGHT"):
        values["fusion_weight"] = _float("FUSION_WEIGHT", raw)
    if raw := get("FUSED_ANSWER_THRESHOLD"):
        values["fused_answer_threshold"] = _float("FUSED_ANSWER_THRESHOLD", raw)
    if raw := get("FUSION_MARGIN"):
        values["fusion_margin"] = _float("FUSION_MARGIN", raw)
    if raw := get("INBOX_LEASE_SECONDS"):
        values["inbox_lease_seconds"] = _int("INBOX_LEASE_SECONDS", raw, minimum=2, maximum=600)
    if raw := get("INBOX_CAPACITY"):
        values["inbox_capacity"] = _int("INBOX_CAPACITY", raw, minimum=1, maximum=1000)
    if raw := get("DELIVERY_RETRY_MINUTES"):
        values["delivery_retry_minutes"] = _int("DELIVERY_RETRY_MINUTES", raw, minimum=1, maximum=1440)
    if raw := get("LATE_REPLY_MINUTES"):
        values["late_reply_minutes"] = _int("LATE_REPLY_MINUTES", raw, minimum=1, maximum=1440)
    if raw := get("CVE_DATA"):
        values["cve_data"] = Path(raw)
    if raw := get("CVE_FEED_URL"):
        if not raw.startswith(("http://", "https://")):
            raise ConfigError(f"CVE_FEED_URL must be an http(s) URL, got {raw!r}")
        values["cve_feed_url"] = raw
    if raw := get("ANNOUNCE_CHANNEL"):
        values["announce_channel"] = raw
    if raw := get("RATE_LIMIT_PER_MINUTE"):
        values["rate_limit_per_minute"] = _int("RATE_LIMIT_PER_MINUTE", raw, minimum=1)
    if raw := get("MAX_INPUT_CHARS"):
        values["max_input_chars"] = _int("MAX_INPUT_CHARS", raw, minimum=100, maximum=40000)

    settings = Settings(**values)  # type: ignore[arg-type]
    if settings.suggest_threshold > min(settings.answer_threshold, settings.fused_answer_threshold):
        raise ConfigError("SUGGEST_THRESHOLD must not be above ANSWER_THRESHOLD or FUSED_ANSWER_THRESHOLD")
    for other in ("SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        if get(other) and not settings.bot_token:
            raise ConfigError(f"{other} is set but SLACK_BOT_TOKEN is not: set the bot token (xoxb-...) too")
    if settings.metrics_port and settings.metrics_port == settings.port:
        raise ConfigError(f"METRICS_PORT must differ from PORT (both {settings.port}); unset it to serve "
                          "/metrics on PORT")
    if settings.bot_token and not (settings.app_token or settings.signing_secret):
        raise ConfigError("SLACK_BOT_TOKEN is set: also set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP)")
    return settings


def _async_driver(url: str) -> str:
    """Accept plain postgres/sqlite URLs and pick the async driver the bot uses."""
    for plain, async_ in (("postgresql://", "postgresql+asyncpg://"), ("postgres://", "postgresql+asyncpg://"),
                          ("sqlite://", "sqlite+aiosqlite://")):
        if url.startswith(plain):
            return async_ + url[len(plain):]
    return url
