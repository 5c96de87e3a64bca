"""Structured JSON-lines logging that cannot leak credentials.

Every record passes a handler filter that runs `bot.safety.secrets.redact_secrets` over the message, every
string in `extra=` fields (nested too) and the formatted exception, and masks the literal values
the app registered with `register_secret` (bot token, app token, signing secret, DB password).
The formatter masks registered values once more on the final line, as a last line of defence.

Logging the text of a private vulnerability report is the caller's decision to avoid; `log_event`
helps by withholding `text`/`question`/`message` fields whenever `private=True` is passed.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from datetime import datetime, timezone
from typing import IO, Any
from urllib.parse import urlsplit

from bot.safety.secrets import redact_secrets

__all__ = ["configure_logging", "log_event", "register_secret", "clear_secrets"]

_MASK = "[REDACTED:configured_secret]"
_MIN_SECRET_LEN = 6  # shorter values would mask ordinary words
_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_ordered: tuple[str, ...] = ()

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message", "asctime", "taskName"}
_PRIVATE_FIELDS = frozenset({"text", "question", "message", "raw", "body"})


def register_secret(value: str | None) -> None:
    """Mask `value` wherever it appears in any later log line. URLs also register their password."""
    global _ordered
    if not value:
        return
    candidates = {value.strip()}
    if "://" in value:
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            candidates.add(password)
    with _secrets_lock:
        _secrets.update(c for c in candidates if len(c) >= _MIN_SECRET_LEN)
        _ordered = tuple(sorted(_secrets, key=len, reverse=True))  # longest first: no partial leftovers


def clear_secrets() -> None:
    """Forget registered secrets (tests)."""
    global _ordered
    with _secrets_lock:
        _secrets.clear()
        _ordered = ()


def _mask(text: str) -> str:
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, _MASK)
    return text


def _scrub(value: Any) -> Any:
    """Redact strings; recurse into containers; stringify anything JSON cannot hold, then redact."""
    if isinstance(value, str):
        return redact_secrets(_mask(value)).text
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {str(_scrub(k)): _scrub(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_scrub(v) for v in value]
    return _scrub(str(value))


class RedactingFilter(logging.Filter):
    """Rewrites each record in place so no handler sees a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-args: log what we can rather than lose the record
            message = f"{record.msg!s} {record.args!r}"
        record.msg = _scrub(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD_ATTRS:
                setattr(record, key, _scrub(value))
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _scrub("".join(traceback.format_exception(*record.exc_info)).rstrip())
            record.exc_info = None  # formatted and redacted above; never re-format the raw one
        elif record.exc_text:
            record.exc_text = _scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = _scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, the `extra=` fields, exc, stack."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in payload:
                payload[key] = value
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exc"] = record.exc_text
        if record.stack_info:
            payload["stack"] = record.stack_info
        return _mask(json.dumps(payload, ensure_ascii=False, default=str))


_handler: logging.Handler | None = None


CHATTY_LIBRARIES = ("aiosqlite", "sqlalchemy", "slack_sdk", "slack_bolt", "asyncpg", "aiohttp.client")


def configure_logging(level: str = "INFO", *, stream: IO[str] | None = None) -> None:
    """Send all logging to `stream` (stderr) as redacted JSON lines; calling again replaces it."""
    global _handler
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    root.setLevel(numeric)
    # These libraries log statements, parameters and payloads (user text) at DEBUG: never below INFO.
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(max(numeric, logging.INFO))
    _handler = handler


def log_event(logger: logging.Logger, event: str, /, *, level: int = logging.INFO, **fields: Any) -> None:
    """Log `event` with `fields` as structured extras (`event=<event>` is added).

    Field names that clash with LogRecord attributes get a `field_` prefix. With `private=True`
    the free-text fields (text, question, message, raw, body) are withheld, not just redacted.
    """
    extra: dict[str, Any] = {"event": event}
    private = bool(fields.get("private"))
    for key, value in fields.items():
        if private and key in _PRIVATE_FIELDS:
            value = "[withheld: private report]"
        name = f"field_{key}" if key in _STANDARD_ATTRS or key == "event" else key
        extra[name] = value
    logger.log(level, event, extra=extra)
