"""The question inside a long post: issue templates, logs, stack traces and pasted YAML set aside.

Real posts are often a template ("What happened?", "Environment") around a few sentences that ask
something, plus pasted output. `focus(text)` keeps the prose that asks (sentences with a question,
the opening paragraph, what follows "what happened / expected"), drops environment sections, logs,
stack traces and structured data, and keeps a few error lines ("Forbidden", "x509", "denied"),
which do help find the right answer. Short messages come back unchanged. Linear in the text.
"""

from __future__ import annotations

import re

LONG_POST = 400  # characters: below this a message is taken as it is
MAX_FOCUS = 800  # characters kept at most
MAX_ERROR_LINES = 3

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s*(?:#{1,6}\s+|\*\*|__)?\s*([A-Za-z][A-Za-z /'()-]{2,60}?)\s*[:?]?\s*(?:\*\*|__)?\s*:?\s*$")
_DROP_SECTIONS = re.compile(
    r"(?i)^(environment|kubernetes version|cloud provider|os version|os\b|kernel|install tools|container runtime"
    r"|related plugins|versions?|logs?|relevant log output|output|stack ?trace|screenshots?|additional context"
    r"|anything else|how to reproduce|steps to reproduce|reproduction steps|to reproduce|config(uration)?"
    r"|helm chart version|values\.ya?ml|manifest|system info)\b")
_KEEP_SECTIONS = re.compile(r"(?i)^(what happened|what you expected|expected behaviou?r|actual behaviou?r"
                            r"|describe the bug|bug description|description|summary|question|problem|issue|context)\b")
_ERRORISH = re.compile(r"(?i)\b(forbidden|unauthori[sz]ed|permission denied|access denied|x509|denied|"
                       r"cannot (?:get|list|create|watch|patch)|is not allowed|violates podsecurity|error:)")
_STRUCTURED = re.compile(r"^\s*(?:[-\w./\"']+\s*:\s*\S|[-{}\[\],]|\"[^\"]+\"\s*:|<\w|\w+=\S+\s*$)")
_LOGGISH = re.compile(r"^\s*(?:\[?\d{4}-\d\d-\d\d|[IWEF]\d{4} |\d\d:\d\d:\d\d|at [\w$.]+\(|File \"|Traceback"
                      r"|goroutine \d|\$ |> |# |\w+@[\w-]+:)")
# A sentence: a run up to its end mark. Taken run by run (linear); a pattern that only matches runs ending in
# "?" would rescan each other run from every position in it (quadratic on a long unpunctuated paste).
_SENTENCE = re.compile(r"[^.?!\n]*(?:[.?!\n]|$)")


def focus(text: str) -> str:
    """The asking part of `text` (or `text` itself when it is short)."""
    if len(text) < LONG_POST:
        return text
    prose: list[str] = []
    errors: list[str] = []
    in_fence = skip_section = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        stripped = line.strip()
        if not stripped:
            continue
        if in_fence or _LOGGISH.match(line) or (_STRUCTURED.match(line) and not stripped.endswith("?")):
            if _ERRORISH.search(line) and len(errors) < MAX_ERROR_LINES:
                errors.append(stripped[:200])
            continue
        # Length first: the pattern's adjacent optional spaces cost a long line polynomial time.
        heading = _HEADING.match(stripped) if len(stripped) <= 64 else None
        if heading:
            name = heading.group(1).strip()
            if _DROP_SECTIONS.match(name):
                skip_section = True
                continue
            if _KEEP_SECTIONS.match(name):
                skip_section = False
                continue
        if skip_section:
            if _ERRORISH.search(line) and len(errors) < MAX_ERROR_LINES:
                errors.append(stripped[:200])
            continue
        prose.append(stripped)
    body = " ".join(prose)
    asks = " ".join(m.group(0).strip() for m in _SENTENCE.finditer(body) if m.group(0).endswith("?"))
    opening = body[: MAX_FOCUS // 2]
    kept = " ".join(part for part in (opening, asks if asks not in opening else "", " ".join(errors)) if part)
    return kept[:MAX_FOCUS] or text[:MAX_FOCUS]
