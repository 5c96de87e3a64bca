"""Command lines: password, token and secret flags, `mysql -p`, `curl -u`, `--from-literal`, registry logins."""

from __future__ import annotations

import re

from bot.safety.secrets.common import (
    _Ctx,
    _Emit,
    _is_code_reference,
    _is_placeholder,
    _LOWER,
    _P_CLI,
)


# Values are captured inside a look-ahead: a rejected value (another flag, a placeholder) is not
# consumed, so finditer still sees the flag or label that follows it.
# A bare value runs to a shell separator; Slack's &amp; &lt; &gt; escapes are part of it.
_FLAG_VALUE = r"(?=(\"[^\"\n]{1,500}\"|'[^'\n]{1,500}'|(?:[^\s\"'`;|&<>]|&(?:amp|lt|gt);){1,500}+))"
_PASSWORD_FLAG = re.compile(r"(?<![\w-])--((?:[a-z0-9]{1,20}-){0,4})(?:password|passwd|pass|pwd)(?:=|[ \t]{1,8})"
                            + _FLAG_VALUE)
_SECRET_FLAG = re.compile(
    r"(?<![\w-])--((?:[a-z0-9]{1,20}-){0,4})(token|client-secret|consumer-secret|api-key|apikey|secret-key"
    r"|secret-access-key|access-key-secret|signing-secret|webhook-secret|app-secret|secret-id)(?:=|[ \t]{1,8})"
    + _FLAG_VALUE)
_SHORT_P = re.compile(r"(?<![\w-])-([paw])(?=([^\s\"'`-][^\s\"'`;|&<>]{0,499}+|\"[^\"\n]{1,500}\"|'[^'\n]{1,500}')"
                      r"|[ \t]{1,8}([^\s\"'`-][^\s\"'`;|&<>]{0,499}+|\"[^\"\n]{1,500}\"|'[^'\n]{1,500}'))")
_OPENSSL_PASS = re.compile(r"(?<![\w-])-pass(?:in|out)?[ \t]{1,8}[\"']?pass:([^\s\"']{1,500})")
_CURL_USER = re.compile(r"(?<![\w-])(?:-u|--user)(?:=|[ \t]{0,8})(?=([\"']?)[^\s:\"'@]{0,128}:([^\s\"']{1,500}))")
_FROM_LITERAL = re.compile(r"--from-literal(?:=|[ \t]{1,8})([\"']?)([A-Za-z0-9_.-]{1,253})=")
_MYSQL = re.compile(r"\b(?:mysql|mariadb|mysqldump|mysqladmin|mysqlsh|mysqlimport|mysqlcheck|mysqlpump)\b")
_REGISTRY_LOGIN = re.compile(r"\b(?:docker|podman|nerdctl|helm|oras|skopeo|buildah|crane|finch)\b[^\n]{0,80}?\blogin\b")
_SECRET_WORD = re.compile(r"password|passwd|pwd|secret|token|key|auth|cred|pass")
_SECRET_ONLY = re.compile("secret")
_BARE_RUN = re.compile(r"[^\s\"'`]*+")
_SSHPASS = re.compile("sshpass")
_HTTP_CLIENT = re.compile(r"\b(?:curl|wget|http|https|httpie|etcdctl)\b")
_SPACED_P = re.compile(r"\b(?:sshpass|cqlsh)\b")
_REDIS_CLI = re.compile(r"\bredis-cli\b")
_LDAP = re.compile(r"\bldap(?:search|modify|add|delete|whoami|passwd|compare)\b")


def _unquote(ctx: _Ctx, start: int, end: int) -> tuple[int, int]:
    """Shrink a flag value span to inside its quotes."""
    text = ctx.text
    if end - start >= 2 and text[start] in "\"'" and text[end - 1] == text[start]:
        return start + 1, end - 1
    return start, end


def _flag_ok(value: str) -> bool:
    value = value.strip("\"'")
    return (len(value) >= 3 and not _is_placeholder(value) and not value.startswith("-")
            and not _is_code_reference(value))


def _scan_cli(ctx: _Ctx, emit: _Emit) -> None:
    text, low = ctx.text, ctx.low
    if "--" in text:
        if "pass" in low or "pwd" in low:
            covered = -1
            for m in _PASSWORD_FLAG.finditer(low):
                if m.start() < covered:
                    continue
                start, end = _unquote(ctx, m.start(2), m.end(2))
                if not _flag_ok(text[start:end]):
                    continue
                kind = "docker_registry_password" if "docker" in m.group(1) or ctx.line_has(
                    m.start(), _REGISTRY_LOGIN) else "cli_password"
                emit(start, end, kind, _P_CLI)
                covered = end
        covered = -1
        for m in _SECRET_FLAG.finditer(low):
            if m.start() < covered:
                continue
            start, end = _unquote(ctx, m.start(3), m.end(3))
            value = text[start:end]
            if not _flag_ok(value) or value.startswith(("/", "./", "~/")) or value.endswith((".pem", ".key", ".json")):
                continue
            emit(start, end, "cli_token" if m.group(2) == "token" else "cli_secret", _P_CLI)
            covered = end
        if "--from-literal" in low:
            covered = -1
            for m in _FROM_LITERAL.finditer(text):
                if m.start() < covered:
                    continue
                key = m.group(2).translate(_LOWER)
                if not ctx.line_has(m.start(), _SECRET_ONLY) and not _SECRET_WORD.search(key):
                    continue
                quote = m.group(1)
                vstart = m.end()
                if not quote and vstart < len(text) and text[vstart] in "\"'":
                    quote = text[vstart]
                    vstart += 1
                close = text.find(quote, vstart, vstart + 1000) if quote else -1
                vend = close if close != -1 else _BARE_RUN.match(text, vstart, vstart + 1000).end()
                if vend > vstart and not _is_placeholder(text[vstart:vend]):
                    emit(vstart, vend, "kubectl_from_literal", _P_CLI)
                    covered = vend
    if "-p" in text or "-a" in text or "-w" in text:
        covered = -1
        for m in _SHORT_P.finditer(text):
            if m.start() < covered:
                continue
            flag = m.group(1)
            if m.group(2) is not None:  # glued: mysql -pSECRET
                if flag != "p" or not ctx.line_has(m.start(), _MYSQL):
                    continue
                start, end, kind = m.start(2), m.end(2), "cli_password"
            else:
                start, end = m.start(3), m.end(3)
                if flag == "a":
                    if not ctx.line_has(m.start(), _REDIS_CLI):
                        continue
                    kind = "cli_password"
                elif flag == "w":
                    if not ctx.line_has(m.start(), _LDAP):
                        continue
                    kind = "cli_password"
                elif ctx.line_has(m.start(), _REGISTRY_LOGIN):
                    kind = "docker_registry_password"
                elif ctx.line_has(m.start(), _SPACED_P):
                    before = low[max(ctx.line_span(m.start())[0], m.start() - 200):m.start()]
                    at = max(before.rfind("sshpass"), before.rfind("cqlsh"))
                    if at < 0 or " ssh " in before[at:]:
                        continue
                    kind = "cli_password"
                else:
                    continue
            start, end = _unquote(ctx, start, end)
            if _flag_ok(text[start:end]):
                emit(start, end, kind, _P_CLI)
                covered = end
    if "-pass" in low:
        for m in _OPENSSL_PASS.finditer(text):
            if not _is_placeholder(m.group(1)):
                emit(m.start(1), m.end(1), "cli_password", _P_CLI)
    if ("-u" in text or "--user" in text) and ("curl" in low or "wget" in low or "http" in low or "etcdctl" in low):
        covered = -1
        for m in _CURL_USER.finditer(text):
            if m.start() < covered or not ctx.line_has(m.start(), _HTTP_CLIENT):
                continue
            value = m.group(2)
            if m.group(1) and value.endswith(m.group(1)):
                value = value[:-1]
            if value and not _is_placeholder(value):
                emit(m.start(2), m.start(2) + len(value), "curl_basic_auth", _P_CLI)
                covered = m.start(2) + len(value)
