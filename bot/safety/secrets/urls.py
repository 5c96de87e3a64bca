"""URLs (user info, SAS and pre-signed signatures) and HTTP Authorization / Bearer values."""

from __future__ import annotations

import re

from bot.safety.secrets.common import (
    _Ctx,
    _Emit,
    _has_digit,
    _has_upper,
    _is_placeholder,
    _mixed,
    _P_HEADER,
    _P_URL,
    _random_looking,
    shannon_entropy,
)


_URL_USERINFO = re.compile(
    r"(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{1,30})://([^\s/?#@:\"'<>`]{0,128}):([^\s/\"'<>`]{1,256})@(?!sha\d{1,3}:)")
_DB_SCHEMES = ("postgres", "postgresql", "mysql", "mariadb", "mongodb", "mongodb+srv", "redis", "rediss", "amqp",
               "amqps", "mssql", "sqlserver", "oracle", "cockroachdb", "clickhouse", "cassandra", "couchdb",
               "neo4j", "neo4j+s", "bolt", "nats", "memcached", "jdbc", "db2", "snowflake", "influxdb", "elasticsearch")
_SAS_SIG = re.compile(r"(?i)[?&;\s]sig=([A-Za-z0-9%+/=]{16,512}+)")
_SAS_CONTEXT = re.compile(r"\bs[vrepit]=|skoid=|sharedaccesssignature")
_SIGNED_URL = re.compile(r"(?i)[?&](?:x-amz-signature|x-goog-signature|signature|x-amz-security-token)="
                         r"([A-Za-z0-9%+/=_.-]{16,4000}+)")


def _scan_urls(ctx: _Ctx, emit: _Emit) -> None:
    text, low = ctx.text, ctx.low
    if "://" in text and "@" in text:
        for m in _URL_USERINFO.finditer(text):
            password = m.group(3)
            if _is_placeholder(password):  # ${DB_PASS}, $PASSWORD: a variable; "$Xy7kLm9pQ2" is a value
                continue
            scheme = m.group(1).lower()
            base = scheme.split("+")[0] if "+" in scheme and scheme != "mongodb+srv" else scheme
            kind = "database_url_password" if base in _DB_SCHEMES or scheme == "mongodb+srv" else "url_password"
            emit(m.start(3), m.end(3), kind, _P_URL)
    if "sig=" in low:
        for m in _SAS_SIG.finditer(text):
            if ctx.line_has(m.start(), _SAS_CONTEXT):
                emit(m.start(1), m.end(1), "azure_sas_token", _P_URL)
    if "signature=" in low or "security-token=" in low:
        for m in _SIGNED_URL.finditer(text):
            emit(m.start(1), m.end(1), "presigned_url_signature", _P_URL)


# ---------------------------------------------------------------------------------------------
# Authorization headers and bearer tokens
# ---------------------------------------------------------------------------------------------

_AUTH_HEADER = re.compile(
    r"(?i)authorization\\?[\"']?[ \t]{0,8}[:=][ \t]{0,8}\\?[\"']?"
    r"(?=(?:(bearer|token|basic|digest|negotiate|apikey|sso-key|key|dpop)[ \t]{1,8})?([A-Za-z0-9._~+/=-]{6,8000}+))")
_BEARER = re.compile(r"(?i)(?<![A-Za-z0-9_-])bearer[ \t]{1,8}(?=([A-Za-z0-9._~+/-]{16,8000}+=*))")


def _scan_headers(ctx: _Ctx, emit: _Emit) -> None:
    text, low = ctx.text, ctx.low
    if "authorization" in low:
        for m in _AUTH_HEADER.finditer(text):
            scheme = (m.group(1) or "").lower()
            value = m.group(2)
            if _is_placeholder(value):
                continue
            if not scheme and not _random_looking(value):
                continue  # Authorization: <something> with no scheme: only a random-looking value
            emit(m.start(2), m.end(2), "basic_auth_header" if scheme == "basic" else "bearer_token", _P_HEADER)
    if "bearer" in low:
        for m in _BEARER.finditer(text):
            value = m.group(1)
            if _is_placeholder(value):
                continue
            if _has_digit(value) or any(c in "._~+/-" for c in value) or _mixed(value):
                ok = len(value) >= 16 and (_has_digit(value) or _has_upper(value))
            else:  # letters only: no English word is that long
                ok = len(value) >= 20 and shannon_entropy(value) >= 3.5
            if ok:
                emit(m.start(1), m.end(1), "bearer_token", _P_HEADER)
