"""Settings read from the environment once, validated, with secrets masked when printed."""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Mapping

from bot.core.environment import ENVIRONMENT_BY_NAME

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
    fusion_weight: float = 0.4  # chosen on the tune half by benchmarks/tune_fusion.py --full (docs/matching.md)
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


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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
            raise LookupError(f"{name} is not in bot.core.environment.ENVIRONMENT: add it there (with its meaning)")
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
