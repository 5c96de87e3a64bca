"""Credential redaction: find pasted secrets and replace each value with `[redacted <kind>]`.

`redact_secrets(text) -> Redaction(text, kinds)` is the whole API. Labels stay (`password=` ->
`password=[redacted password]`) so the question is still readable; only the secret value goes.
`KINDS` lists every kind reported, with a one-line description; `describe_kinds(kinds)` names them
for the asker ("a Slack bot token, a password"). docs/secrets.md has the approach, the false-alarm
rules and the comparison with detect-secrets.

The package, by concern: `common` (result, marker, value tests, scan context), `kinds`, `blocks`
(private-key blocks, base64 keys), `vendors` (token prefixes and shapes), `urls` (URLs, HTTP
headers), `flags` (command lines), `labels` (labelled values), `documents` (Secret manifests, AWS
secrets by context). Each scanner module has one `_scan_*` function per rule family; this module
runs them all and merges what they report.

How it works, in one pass per rule over the text:

* every rule reports candidate spans (start, end, kind, priority); nothing is replaced while
  scanning, so rules never see each other's markers and the order of rules does not matter for
  what is found;
* overlapping spans are merged (their union is redacted, so no partial leak) and the merged span
  is labelled with the kind of its most specific rule (lowest priority number): a JWT after
  `token:` is a `jwt`, a PEM block inside a JSON `"private_key"` is a private key;
* the output is built once from the merged spans.

Bounded and linear: every regular expression has bounded repetition, each token pattern is
anchored at the start of a run of its own alphabet by a negative look-behind (so a long run is
scanned once, not once per position), there are no nested unbounded quantifiers, private-key
blocks are delimited procedurally, and each rule runs only if a cheap substring test says it can
match. `benchmarks/bench_secrets.py` times 4,000-character ordinary, adversarial and secret-heavy
messages.

What is *not* a secret here (left untouched): certificates and CA bundles
(`certificate-authority-data`, `client-certificate-data`, `ca.crt`, `-----BEGIN CERTIFICATE-----`:
public by design), image digests, commit SHAs, UUIDs, CVE ids, resource versions, Kubernetes
object names, public keys, placeholders (`<token>`, `${TOKEN}`, `{{ .Values.x }}`, `****`,
`changeme`), and prose that merely mentions passwords or tokens.
"""

from __future__ import annotations

from typing import Iterator

from bot.safety.secrets.blocks import _scan_blocks, _scan_encoded
from bot.safety.secrets.common import Redaction, Span, _Ctx, marker, shannon_entropy
from bot.safety.secrets.documents import _scan_loose, _scan_secret_manifests
from bot.safety.secrets.flags import _scan_cli
from bot.safety.secrets.kinds import KINDS, LABELS, describe_kinds
from bot.safety.secrets.labels import _scan_labels
from bot.safety.secrets.urls import _scan_headers, _scan_urls
from bot.safety.secrets.vendors import _scan_vendor

__all__ = ["KINDS", "LABELS", "Redaction", "describe_kinds", "find_secrets", "marker", "redact_secrets",
           "shannon_entropy"]

_SCANNERS = (_scan_blocks, _scan_encoded, _scan_vendor, _scan_urls, _scan_cli, _scan_labels, _scan_headers,
             _scan_secret_manifests, _scan_loose)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------

def find_secrets(text: str) -> list[Span]:
    """All candidate spans (start, end, priority, kind), unmerged, sorted by position."""
    spans: list[Span] = []

    def emit(start: int, end: int, kind: str, priority: int) -> None:
        if end > start:
            spans.append((start, end, priority, kind))

    ctx = _Ctx(text)
    for scan in _SCANNERS:
        scan(ctx, emit)
    spans.sort()
    return spans


def _merge(spans: list[Span]) -> Iterator[tuple[int, int, str]]:
    """Union overlapping spans; each union is named by its most specific (then longest) span."""
    i, n = 0, len(spans)
    while i < n:
        start, end, priority, kind = spans[i]
        best = (priority, start - end, kind)
        j = i + 1
        while j < n and spans[j][0] < end:
            s_start, s_end, s_priority, s_kind = spans[j]
            end = max(end, s_end)
            best = min(best, (s_priority, s_start - s_end, s_kind))
            j += 1
        yield start, end, best[2]
        i = j


def redact_secrets(text: str) -> Redaction:
    """Replace every credential value in `text` with `[redacted <kind>]` (see `KINDS`).

    Labels, hosts, user names and the surrounding question are kept. Idempotent: markers are
    placeholders, so redacting twice changes nothing more.
    """
    redacted, kinds, glued = _redact_once(text)
    if glued:
        # A value ran straight into the next token (`...KEY-----\n--password x`): that token's
        # pattern could not see a boundary before it, the marker gives it one. One more pass.
        redacted, more, _ = _redact_once(redacted)
        kinds |= more
    return Redaction(text=redacted, kinds=tuple(sorted(kinds)))


def _redact_once(text: str) -> tuple[str, set[str], bool]:
    spans = find_secrets(text)
    if not spans:
        return text, set(), False
    out: list[str] = []
    kinds: set[str] = set()
    pos = 0
    glued = False
    for start, end, kind in _merge(spans):
        out.append(text[pos:start])
        out.append(marker(kind))
        kinds.add(kind)
        pos = end
        if end < len(text) and (text[end].isalnum() or text[end] in "-_"):
            glued = True
    out.append(text[pos:])
    return "".join(out), kinds, glued
