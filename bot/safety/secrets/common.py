"""What every scanner shares: the result type, the marker, span priorities, value tests, the scan context."""

from __future__ import annotations

import base64
import binascii
import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Redaction:
    """Text with credential values replaced by `[redacted <kind>]`, and the sorted kinds found."""

    text: str
    kinds: tuple[str, ...]


def marker(kind: str) -> str:
    """The replacement for one secret value of `kind`."""
    return f"[redacted {kind}]"


# Priorities: lower wins when spans overlap (the most specific description of the value).
_P_BLOCK, _P_ENCODED, _P_VENDOR, _P_URL, _P_CLI, _P_LABEL, _P_HEADER, _P_DATA, _P_LOOSE = range(9)

_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------

def shannon_entropy(value: str) -> float:
    """Shannon entropy of `value` in bits per character (0.0 for an empty string)."""
    value = value[:256]  # enough to tell random from not, and keeps the cost per value bounded
    n = len(value)
    if not n:
        return 0.0
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DIGEST = re.compile(r"(?i)(?:sha(?:1|224|256|384|512)|md5|blake2b?)[:=-]")
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_.~:-]+")
_K8S_NAME = re.compile(r"[a-z0-9](?:[a-z0-9]{0,62}[-.])+[a-z0-9]{1,63}")
_DOTTED_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
_CODE_CALL = re.compile(r"[A-Za-z_][\w.]{0,80}[(\[]")

# Values that are clearly not secrets: placeholders, booleans, references, already-redacted text.
_PLACEHOLDER_WORDS = frozenset("""
    null none nil true false yes no on off empty unset set required optional redacted hidden masked
    secret secrets password passwords passwd token tokens changeme change_me changeit example sample
    placeholder dummy fake test testing string value values here there undefined unknown default
    expired invalid missing revoked rotated removed deleted supplied provided generated random
    foo bar baz qux foobar xxx yyy zzz abc abc123 pass pwd key keys auth bearer basic ask prompt stdin env
    is are was were the a an and or of to for in on with from it this that see below above same
""".split())
# "your-token-here", "my_password", "enterYourKey": a placeholder prefix followed by words only. A prefix
# before anything else ("my-mvV6oN1") is a real value that happens to start that way.
_PLACEHOLDER_PREFIXES = ("your", "my_", "my-", "insert", "enter", "replace")
# Unambiguous (a new word starts only at a separator or a capital), so no input can make it backtrack.
_WORDS_ONLY = re.compile(r"(?:[-_.]?[A-Za-z][a-z]*(?:(?:[-_.][A-Za-z]|[A-Z])[a-z]*)*)?")


_DIGIT_RE = re.compile(r"[0-9]")
_UPPER_RE = re.compile(r"[A-Z]")
_LOWER_RE = re.compile(r"[a-z]")
_SYMBOL_RE = re.compile(r"[^A-Za-z0-9]")


def _has_digit(s: str) -> bool:
    return _DIGIT_RE.search(s) is not None


def _has_upper(s: str) -> bool:
    return _UPPER_RE.search(s) is not None


def _has_lower(s: str) -> bool:
    return _LOWER_RE.search(s) is not None


def _mixed(s: str) -> bool:
    """Upper case, lower case and a digit: the shape of a machine-made base62/base64 secret."""
    return _has_upper(s) and _has_lower(s) and _has_digit(s)


# Whole placeholder shapes for values starting with a symbol a real password may also start with:
# ${VAR}, $(cmd), $DB_PASSWORD, $password; ***redacted***; %s, %(password)s, %VAR%; (none); #, #todo.
# "$ecr3tPa55", "*Xy7kLm9", "#Xy7kLm9pQ2" are values, not placeholders.
_SYMBOL_PLACEHOLDER = re.compile(
    r"\$(?:[{(].*|[A-Z][A-Z0-9_]*|[a-z][a-z_]*)|\*+[A-Za-z _-]*\**|%(?:\([A-Za-z_]+\))?[sdr]|%[A-Za-z_]+%"
    r"|\([A-Za-z _-]*\)?|#[A-Za-z_-]*", re.S)


def _is_placeholder(value: str) -> bool:
    if not value:
        return True
    if value[0] in "<[{":  # <token> (or Slack's own <@U1>, <http://...>), [redacted x], {{ .Values.x }}
        return True
    if value[0] in "$*%(#" and _SYMBOL_PLACEHOLDER.fullmatch(value):
        return True
    low = value.translate(_LOWER)
    if low in _PLACEHOLDER_WORDS:
        return True
    prefix = next((p for p in _PLACEHOLDER_PREFIXES if low.startswith(p)), None)
    if prefix is not None and _WORDS_ONLY.fullmatch(value[len(prefix):]):
        return True
    if len(set(low)) == 1:  # xxxx, ...., ----, 0000
        return True
    if "..." in value or "\u2026" in value:  # abc...xyz: someone already elided it
        return True
    return False


def _is_code_reference(value: str) -> bool:
    """`os.environ["X"]`, `settings.DB_PASSWORD`, `getpass()`: code, not a literal secret."""
    return bool(_CODE_CALL.match(value)) or (bool(_DOTTED_IDENT.fullmatch(value)) and not _has_digit(value))


def _random_looking(value: str) -> bool:
    """A long string with the shape of a machine-made secret (the entropy check)."""
    n = len(value)
    if n < 16 or n > 8192 or not _TOKEN_CHARS.fullmatch(value):
        return False
    if _UUID.fullmatch(value) or _DIGEST.match(value) or "://" in value:
        return False
    entropy = shannon_entropy(value)
    if _HEX.fullmatch(value):
        return n >= 32 and entropy >= 3.0
    has_digit, has_upper, has_lower = _has_digit(value), _has_upper(value), _has_lower(value)
    if has_upper and has_lower:
        return entropy >= (3.5 if has_digit else 3.8) and (has_digit or n >= 20)
    if has_digit and (has_lower or has_upper):  # one case + digits: long, dense, no word separators
        digits = len(_DIGIT_RE.findall(value, 0, 256))
        return n >= 24 and digits >= 3 and entropy >= 3.6 and "-" not in value and "." not in value
    return False


def _secretish(value: str, *, eol: bool) -> bool:
    """The strict test for `label: value` in prose: does the value look like a credential?

    Wants a digit, a symbol or mixed case (or 20+ characters); a plain lowercase word counts only
    when it ends its line (`password: letmein`), never mid-sentence (`password: policy?`).
    """
    if len(value) < 4:
        return False
    has_digit = _has_digit(value)
    has_symbol = _SYMBOL_RE.search(value) is not None
    mixed = _has_upper(value) and _has_lower(value)
    if has_digit or has_symbol or mixed or len(value) >= 20:
        return len(value) >= 6 or has_digit or has_symbol
    return eol and value.isalpha()


def _b64decode(value: str, limit: int = 20_000) -> bytes:
    chunk = value[:limit]
    chunk = chunk[: len(chunk) - len(chunk) % 4] if len(chunk) % 4 else chunk
    try:
        return base64.b64decode(chunk, altchars=b"-_" if ("-" in chunk or "_" in chunk) else None)
    except (binascii.Error, ValueError):
        return b""


class _Ctx:
    """The text, an ASCII-lowercased copy of the same length, and lazily built line/fence indexes."""

    __slots__ = ("text", "low", "_nls", "_fences", "_lines", "_flags", "_line_flags")

    def __init__(self, text: str) -> None:
        if "\\n" in text or "\\t" in text:
            # JSON- or shell-escaped text ("...\nclient-key-data: ...\ntoken: ..."): scan a copy of the
            # same length where each escape is a real break, so every rule sees its lines; spans are
            # positions, and the output is cut from the original text.
            text = text.replace("\\n", " \n").replace("\\t", " \t")
        self.text = text
        self.low = text.translate(_LOWER)
        self._nls: list[int] | None = None
        self._fences: list[int] | None = None
        self._lines: dict[int, str] = {}
        self._flags: dict[str, bool] = {}
        self._line_flags: dict[tuple[int, str], bool] = {}

    def line_span(self, pos: int) -> tuple[int, int]:
        if self._nls is None:
            self._nls = [m.start() for m in re.finditer("\n", self.text)]
        i = bisect.bisect_left(self._nls, pos)
        start = self._nls[i - 1] + 1 if i else 0
        end = self._nls[i] if i < len(self._nls) else len(self.text)
        return start, end

    def line(self, pos: int) -> str:
        """The lowercased line holding `pos` (cached per line)."""
        start, end = self.line_span(pos)
        cached = self._lines.get(start)
        if cached is None:
            cached = self._lines[start] = self.low[start:end]
        return cached

    def in_fence(self, pos: int) -> bool:
        """Inside a ``` code block (an unclosed fence runs to the end)."""
        if self._fences is None:
            self._fences = [m.start() for m in re.finditer("```", self.text)]
        return bisect.bisect_right(self._fences, pos) % 2 == 1

    def line_has(self, pos: int, pattern: re.Pattern[str]) -> bool:
        """Whether `pattern` occurs in the (lowercased) line holding `pos`; cached per line and pattern."""
        key = (self.line_span(pos)[0], pattern.pattern)
        got = self._line_flags.get(key)
        if got is None:
            got = self._line_flags[key] = bool(pattern.search(self.line(pos)))
        return got

    def flag(self, name: str, pattern: re.Pattern[str]) -> bool:
        got = self._flags.get(name)
        if got is None:
            got = self._flags[name] = bool(pattern.search(self.low))
        return got


Span = tuple[int, int, int, str]  # start, end, priority, kind
_Emit = Callable[[int, int, str, int], None]

# An AWS access key id or an "aws ... secret" phrase: context for unlabelled 40-character secrets.
_AWS_NEAR = re.compile(r"(?<![a-z0-9])(?:akia|asia)[a-z0-9]{16}(?![a-z0-9])|\baws\b[^\n]{0,80}secret|secret[^\n]{0,40}\baws\b")
