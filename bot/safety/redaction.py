"""Credential redaction: replace pasted secrets before anything is matched, stored, logged or echoed.

Every regular expression is linear-time on the inputs the bot sees (bounded gaps, no nested unbounded
quantifiers; PEM blocks are scanned procedurally). `benchmarks/bench_guards.py` times the worst cases.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Redaction:
    """Text with credentials replaced by `[REDACTED:<kind>]`, and the sorted kinds found."""

    text: str
    kinds: tuple[str, ...]


def _marker(kind: str) -> str:
    return f"[REDACTED:{kind}]"


# Values that are clearly not secrets: placeholders, booleans, already-redacted text.
_PLACEHOLDER = re.compile(
    r"""(?ix)
    (?: [<\[{$*%]            # <redacted>, [REDACTED:..], {{ .Values.x }}, ${VAR}, ***, %s
      | (?:x+|\.+|-+|_+)$    # xxxx, ..., ----
      | (?:null|none|nil|true|false|yes|no|empty|required|optional|redacted|hidden|secret
          |password|passwd|token|changeme?|example|placeholder|your[_-]?\w*|my[_-]?\w*
          |foo|bar|baz|test|string|value|here|there|is|are|was|the|a|an|and|or|of|to|for
          |in|on|with|from|it|this|that)$
    )""")

_SLACK_TOKEN = re.compile(r"\b(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,250}")
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,255}|github_pat_[A-Za-z0-9_]{30,255})\b")
_AWS_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
_AWS_SECRET_LABELLED = re.compile(
    r"(?i)(\baws[_ -]?secret[_ -]?(?:access[_ -]?)?key(?:[_ -]?id)?\b[\"']?\s{0,5}[:=]\s{0,5}[\"']?)"
    r"([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")
_AWS_LABEL = re.compile(r"(?i)aws|AKIA|ASIA|secret[_ -]?access[_ -]?key")
_B64_40 = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_GCP_API_KEY = re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,4000}\.eyJ[A-Za-z0-9_-]{5,4000}\.[A-Za-z0-9_-]{0,4000}")
_PEM_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END[A-Z0-9 ]{0,40}PRIVATE KEY-----")
# Body of a truncated PEM block: base64 chunks (>= 8 chars) or RFC 1421 headers, any spacing.
_PEM_BODY = re.compile(r"(?:\s++(?:[A-Za-z0-9+/=]{8,}+|Proc-Type:[^\n]{0,80}|DEK-Info:[^\n]{0,120}))*+")
_BASIC_AUTH_URL = re.compile(r"\b([a-z][a-z0-9+.-]{1,20}://)([^\s/:@<>\"']{1,256}):([^\s/@<>\"']{1,256})@",
                             re.IGNORECASE)
_AUTH_HEADER = re.compile(r"(?i)(\bauthorization\b[\"']?\s{0,5}[:=]\s{0,5}[\"']?(bearer|basic|token)\s{1,5})"
                          r"([A-Za-z0-9._~+/=-]{8,4000})")
_BEARER = re.compile(r"(?i)(\bbearer\s{1,5})([A-Za-z0-9._~+/-]{16,4000}=*)")
_KUBECONFIG_CONTEXT = re.compile(
    r"(?i)\b(?:kind:\s*config|clusters:|contexts:|users:|current-context:|certificate-authority-data:"
    r"|client-certificate-data:|client-key-data:|kubeconfig)")
# YAML keys at the start of a line (optionally in a list item), the kubeconfig user fields.
_YAML_SECRET_KEY = re.compile(
    r"(?im)^([ \t]{0,16}(?:-[ \t]{1,4})?[\"']?(token|id-token|refresh-token|access-token|client-key-data"
    r"|client-secret|password)[\"']?[ \t]{0,4}:[ \t]{0,4}[\"']?)([^\s\"']{1,8000})")
_VALUE = r"(\"[^\"\n]{1,500}(?=\")|'[^'\n]{1,500}(?=')|[^\s\"',;&]{1,500})"  # quoted (may hold spaces) or bare
_PASSWORD_ASSIGN = re.compile(
    r"(?i)(\b(?:[a-z0-9]{1,30}[_-])?(?:password|passwd|pwd|pass)\b[\"']?[ \t]{0,4}(=|:)[ \t]{0,4}()())" + _VALUE)
_PASSWORD_FLAG = re.compile(r"(?i)(--(?:[a-z0-9-]{1,30}-)?(?:password|passwd)(?:=|[ \t]{1,4}))([\"']?)([^\s\"']{1,500})")
_LABELLED_SECRET = re.compile(
    r"(?i)(\b(?:[a-z0-9]{1,30}[_-])?(?:api[_-]?key|apikey|signing[_-]?secret|client[_-]?secret|secret[_-]?key"
    r"|app[_-]?secret|webhook[_-]?secret|access[_-]?token|auth[_-]?token|refresh[_-]?token|bot[_-]?token"
    r"|app[_-]?token|api[_-]?token|private[_-]?key|secret|token)\b[\"']?[ \t]{0,4}(=|:)[ \t]{0,4}())" + _VALUE)
_TOKEN_FLAG = re.compile(r"(?i)(--(?:[a-z0-9-]{1,30}-)?(?:token|client-secret|api-key|secret)(?:=|[ \t]{1,4}))"
                         r"([\"']?)([^\s\"']{1,500})")


def _secretish(value: str, *, strict: bool) -> bool:
    """Whether a labelled value looks like a credential rather than a word or a placeholder.

    `strict` (for `label: value` in prose) additionally wants a digit, a symbol or mixed case,
    or at least 20 characters, so "the token: rotation" is left alone.
    """
    value = value.strip("\"'`").rstrip("?!.,):")
    if len(value) < 3 or _PLACEHOLDER.match(value):
        return False
    if not strict:
        return True
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() for c in value)
    mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
    return len(value) >= 6 and (has_digit or has_symbol or mixed or len(value) >= 20)


def _redact_pem(text: str, found: set[str]) -> str:
    """Replace every private-key block, complete or truncated, in one left-to-right pass."""
    begins = list(_PEM_BEGIN.finditer(text))
    if not begins:
        return text
    ends = list(_PEM_END.finditer(text))
    end_starts = [m.start() for m in ends]
    out: list[str] = []
    pos = 0
    for begin in begins:
        if begin.start() < pos:
            continue  # inside a block already redacted
        i = bisect.bisect_left(end_starts, begin.end())
        if i < len(ends):
            stop = ends[i].end()
        else:
            stop = _PEM_BODY.match(text, begin.end()).end()  # truncated: eat the base64 body
        out.append(text[pos:begin.start()])
        out.append(_marker("private_key"))
        pos = stop
        found.add("private_key")
    out.append(text[pos:])
    return "".join(out)


def redact_secrets(text: str) -> Redaction:
    """Replace credentials with `[REDACTED:<kind>]`; see the kinds below.

    Kinds: private_key, slack_token, github_token, aws_access_key, aws_secret_key, gcp_api_key,
    jwt, basic_auth, bearer_token, kubeconfig, password, labelled_secret. Ordinary words,
    placeholders, CVE ids and unlabelled hex (commit ids) are left alone.
    """
    found: set[str] = set()

    def sub(pattern: re.Pattern[str], kind: str, text: str,
            keep: Callable[[re.Match[str]], str] | None = None,
            accept: Callable[[re.Match[str]], bool] | None = None, suffix: str = "") -> str:
        def repl(m: re.Match[str]) -> str:
            if accept is not None and not accept(m):
                return m.group(0)
            found.add(kind)
            return (keep(m) if keep else "") + _marker(kind) + suffix
        return pattern.sub(repl, text)

    out = _redact_pem(text, found)
    out = sub(_SLACK_TOKEN, "slack_token", out, accept=lambda m: any(c.isdigit() for c in m.group(0)))
    out = sub(_GITHUB_TOKEN, "github_token", out)
    out = sub(_GCP_API_KEY, "gcp_api_key", out)
    out = sub(_JWT, "jwt", out)
    out = sub(_AWS_SECRET_LABELLED, "aws_secret_key", out, keep=lambda m: m.group(1))
    had_aws_key = bool(_AWS_ACCESS_KEY.search(out))
    out = sub(_AWS_ACCESS_KEY, "aws_access_key", out)
    if had_aws_key or _AWS_LABEL.search(out):
        # A 40-char base64 secret next to an AWS label or key id: mixed case and a digit,
        # which a lowercase hex commit id never has.
        out = sub(_B64_40, "aws_secret_key", out, accept=lambda m: _looks_like_aws_secret(m.group(0)))
    out = sub(_BASIC_AUTH_URL, "basic_auth", out, keep=lambda m: m.group(1), suffix="@",
              accept=lambda m: _secretish(m.group(3), strict=False))
    out = sub(_AUTH_HEADER, "bearer_token", out, keep=lambda m: m.group(1),
              accept=lambda m: _secretish(m.group(3), strict=False))
    out = sub(_BEARER, "bearer_token", out, keep=lambda m: m.group(1),
              accept=lambda m: _secretish(m.group(2), strict=True) and any(c.isdigit() for c in m.group(2)))

    kubeconfig = bool(_KUBECONFIG_CONTEXT.search(out))

    def yaml_kind(m: re.Match[str]) -> str:
        key = m.group(2).lower()
        if kubeconfig:
            return "kubeconfig"
        return "password" if key == "password" else "labelled_secret"

    def yaml_repl(m: re.Match[str]) -> str:
        # Indented YAML or a kubeconfig: any real value. A top-level line may be prose ("password: policy?").
        if not _secretish(m.group(3), strict=not kubeconfig and not m.group(1)[:1].isspace()):
            return m.group(0)
        kind = yaml_kind(m)
        found.add(kind)
        return m.group(1) + _marker(kind)

    out = _YAML_SECRET_KEY.sub(yaml_repl, out)
    out = sub(_PASSWORD_FLAG, "password", out, keep=lambda m: m.group(1) + m.group(2),
              accept=lambda m: _secretish(m.group(3), strict=False))
    out = sub(_PASSWORD_ASSIGN, "password", out, keep=lambda m: m.group(1) + _open_quote(m.group(5)),
              accept=lambda m: _secretish(m.group(5), strict=_prose_colon(m)))
    out = sub(_TOKEN_FLAG, "labelled_secret", out, keep=lambda m: m.group(1) + m.group(2),
              accept=lambda m: _secretish(m.group(3), strict=True))
    out = sub(_LABELLED_SECRET, "labelled_secret", out, keep=lambda m: m.group(1) + _open_quote(m.group(4)),
              accept=lambda m: _secretish(m.group(4), strict=True))
    return Redaction(text=out, kinds=tuple(sorted(found)))


def _prose_colon(m: re.Match[str]) -> bool:
    """`password: word` with an unquoted value reads like prose: demand a credential-like value."""
    return m.group(2) == ":" and not _open_quote(m.group(5))


def _open_quote(value: str) -> str:
    return value[0] if value[:1] in ("'", '"') else ""


def _looks_like_aws_secret(value: str) -> bool:
    return (any(c.isupper() for c in value) and any(c.islower() for c in value)
            and any(c.isdigit() for c in value))
