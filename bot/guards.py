"""The safety layer: bound input, redact credentials, escape output, rate-limit.

Everything here is pure (no Slack, no I/O) and every regular expression is linear-time on the
inputs the bot sees: no nested unbounded quantifiers, bounded gaps only, and scanning of PEM
blocks done procedurally. `benchmarks/bench_guards.py` times the worst cases we know of.

Order the service applies them in: `bound_input` -> `redact_secrets` -> the private-report check
(`bot.disclosure`, on the redacted text) -> matcher; `escape_mrkdwn` on anything user-supplied
that is rendered.
"""

from __future__ import annotations

import bisect
import re
import threading
import time
import unicodedata
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable

__all__ = [
    "BoundedText",
    "RateLimiter",
    "Redaction",
    "bound_input",
    "escape_mrkdwn",
    "is_meaningful",
    "redact_secrets",
    "truncate_for_block",
]


# ---------------------------------------------------------------------------------------------
# Bounding input
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoundedText:
    """Cleaned, length-capped input; `original_length` counts the raw characters received."""

    text: str
    truncated: bool
    original_length: int


# Zero-width characters, bidi embeddings/overrides/isolates and the BOM: invisible, and used to
# hide text or reorder it on screen ("Trojan Source"). Also the word joiner family U+2060-2064.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# C0/C1 control characters except tab and newline (CR is turned into newline first).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_H_SPACE_RUN = re.compile(r"(?<=\S)[ \t]{2,}")  # inner runs only: leading indentation survives
_TRAILING_SPACE = re.compile(r"(?<![ \t])[ \t]++\n")  # starts only at a run's start: linear
_BLANK_LINES = re.compile(r"\n{3,}")
_LEADING_INDENT = re.compile(r"(?m)^[ \t]{17,}")


def bound_input(text: str, *, limit: int = 4000) -> BoundedText:
    """Normalise (NFKC), drop control and invisible characters, tidy whitespace, cap at `limit`.

    Leading indentation is kept (up to 16 columns) so pasted YAML stays readable; inner runs of
    spaces become one space, three or more newlines become one blank line. Text longer than
    `limit` is cut at the last word boundary in its final fifth (hard cut if there is none).
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    original_length = len(text)
    # Bound the work first: nothing past a few limits' worth can survive the cut anyway.
    raw_cap = max(limit * 4, limit + 1024)
    truncated = original_length > raw_cap
    work = text[:raw_cap] if truncated else text

    work = work.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    work = _INVISIBLE.sub("", work)
    work = unicodedata.normalize("NFKC", work)
    work = _INVISIBLE.sub("", work)  # NFKC never yields these, but be certain
    work = _CONTROL.sub("", work)
    work = _TRAILING_SPACE.sub("\n", work)
    work = _H_SPACE_RUN.sub(" ", work)
    work = _LEADING_INDENT.sub(" " * 16, work)
    work = _BLANK_LINES.sub("\n\n", work)
    work = work.strip()

    if len(work) > limit:
        truncated = True
        work = _cut_at_word(work, limit)
    return BoundedText(text=work, truncated=truncated, original_length=original_length)


def _cut_at_word(text: str, limit: int) -> str:
    """The longest prefix of at most `limit` chars ending at whitespace in its last fifth."""
    head = text[:limit]
    if not text[limit].isspace():
        floor = limit - max(1, limit // 5)
        cut = max(head.rfind(" "), head.rfind("\n"), head.rfind("\t"))
        if cut > floor:
            head = head[:cut]
    return head.rstrip()


_SHORTCODE = re.compile(r":[a-z0-9_+'-]{1,64}:", re.IGNORECASE)  # Slack emoji like :wave: :+1:
_MENTION = re.compile(r"<[@#!][^<>\s]{1,80}>")  # <@U123>, <#C123|general>, <!here>


def is_meaningful(text: str) -> bool:
    """False for empty, whitespace-, emoji-, punctuation- or mention-only text.

    Meaningful means at least one letter or digit once Slack emoji shortcodes (`:wave:`) and
    mention tokens (`<@U123>`) are removed.
    """
    stripped = _MENTION.sub(" ", _SHORTCODE.sub(" ", text))
    return any(unicodedata.category(ch)[0] in "LN" for ch in stripped)


# ---------------------------------------------------------------------------------------------
# Secret redaction
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Output escaping
# ---------------------------------------------------------------------------------------------

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape_mrkdwn(text: str) -> str:
    """Make user text inert in Slack mrkdwn: escape `& < >` and defuse bare @channel/@here/@everyone.

    After this, `<!channel>`, `<@U123>` and `<https://evil|click>` render as literal text, and a
    zero-width space after `@` stops any client from treating `@here` as a broadcast.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u200b\\1", escaped)


_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")


def truncate_for_block(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, ending with an ellipsis, at a word if possible.

    Never splits an `&amp;`-style entity produced by `escape_mrkdwn`.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = head.rfind(" ")
    if cut > (limit - 1) * 4 // 5:
        head = head[:cut]
    head = _PARTIAL_ENTITY.sub("", head).rstrip()
    return head + "\u2026"


# ---------------------------------------------------------------------------------------------
# Rate limiting
# ---------------------------------------------------------------------------------------------

class RateLimiter:
    """At most `per_minute` allowed calls per key in any sliding `window` (60 s) period.

    Per process: with several replicas each enforces its own limit, so the effective limit is
    `per_minute * replicas` unless requests for one user are pinned to one replica. Memory is
    bounded: keys idle for a whole window are evicted, and beyond `max_keys` the least recently
    used key is dropped (that key's history is forgotten, so a flood of distinct ids can at worst
    reset someone's window, never grow memory). Denied calls do not count against the window.
    """

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic,
                 window: float = 60.0, max_keys: int = 100_000) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        if window <= 0 or max_keys < 1:
            raise ValueError("window and max_keys must be positive")
        self.per_minute = per_minute
        self.window = window
        self.max_keys = max_keys
        self._clock = clock
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Record and allow one call for `key`, or return False if it is over the limit."""
        with self._lock:
            now = self._clock()
            self._evict_idle(now)
            hits = self._hits.get(key)
            if hits is None:
                hits = deque(maxlen=self.per_minute)
                self._hits[key] = hits
                while len(self._hits) > self.max_keys:
                    self._hits.popitem(last=False)
            else:
                self._hits.move_to_end(key)
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            return True

    def retry_after(self, key: str) -> float:
        """Seconds until `key` may call again (0.0 if it may now)."""
        with self._lock:
            hits = self._hits.get(key)
            if not hits or len(hits) < self.per_minute:
                return 0.0
            return max(0.0, hits[0] + self.window - self._clock())

    def __len__(self) -> int:
        return len(self._hits)

    def _evict_idle(self, now: float) -> None:
        # Keys are kept in least-recently-used order, so idle ones sit at the front.
        while self._hits:
            key, hits = next(iter(self._hits.items()))
            if hits and hits[-1] > now - self.window:
                break
            del self._hits[key]
