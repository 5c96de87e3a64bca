"""Labelled values: `key=value`, `key: value`, JSON and XML pairs, env name/value pairs, .netrc, prose."""

from __future__ import annotations

import re

from bot.safety.secrets.common import (
    _AWS_NEAR,
    _b64decode,
    _Ctx,
    _DIGEST,
    _DIGIT_RE,
    _Emit,
    _has_digit,
    _has_lower,
    _has_upper,
    _is_code_reference,
    _is_placeholder,
    _K8S_NAME,
    _LOWER,
    _mixed,
    _P_LABEL,
    _random_looking,
    _secretish,
    _SYMBOL_RE,
)


_KW = (
    r"aws[_.-]?secret[_.-]?access[_.-]?key|secret[_.-]?access[_.-]?key|aws[_.-]?secret[_.-]?key"
    r"|aws[_.-]?session[_.-]?token|x-amz-security-token|session[_.-]?token|security[_.-]?token"
    r"|shared[_.-]?access[_.-]?key|account[_.-]?key"
    r"|client[_.-]?secret|consumer[_.-]?secret"
    r"|_authtoken|_auth|_password|identitytoken|registrytoken"
    r"|client[_.-]?key[_.-]?data"
    r"|(?:auth|access|refresh|id|bearer|api|bot|app|oauth|private|personal[_.-]?access|service[_.-]?account)[_.-]?token"
    r"|token"
    r"|x-api-key|api[_.-]?key|app[_.-]?key|application[_.-]?key"
    r"|access[_.-]?key|secret[_.-]?key(?:[_.-]?base)?|signing[_.-]?key|encryption[_.-]?key|master[_.-]?key"
    r"|private[_.-]?key"
    r"|(?:api|app|webhook|signing|shared|jwt|session|cookie|hmac|token)[_.-]?secret|secret"
    r"|password|passwd|passphrase|pwd|pass|pw"
    r"|auth|credentials?|creds?|key|signature|hmac|salt|seed|cookie|session"
)
# Applied to the ASCII-lowercased text. The keyword must end the label: a quote, spaces, then
# the separator. `==` (a comparison) is not an assignment.
_LABEL = re.compile(r"(" + _KW + r")(\\?[\"'])?[ \t]{0,8}(:=|=>|[:=])(?![=>])[ \t]{0,8}")
_VALUE = re.compile(r"\\?\"[^\"\n]{0,512}|'[^'\n]{0,512}|`[^`\n]{0,512}|[^\s\"'`]{1,512}")
_VALUE_REST = re.compile(r"[^\s\"'`;&<>|]{0,8000}+")
_EOL = re.compile(r"[ \t.!]*+(?:\r?\n|$)")
# Past this many labelled values in one message every further one is redacted without judging
# it (fail closed): keeps a message of 1,000 `key=key=...` decoys linear and cheap.
_LABEL_BUDGET = 64
_ENV_PAIR = re.compile(
    r"(?<![\w-])\"?name\"?[ \t]{0,4}:[ \t]{0,4}[\"']?([a-z0-9_.-]{1,80}?)[\"']?[ \t]{0,4}"
    r"(?:,[ \t]{0,4}|\r?\n[ \t]{0,24}(?:-[ \t]{1,4})?)\"?value\"?[ \t]{0,4}:[ \t]{0,4}")
_ENV_NAME_KW = re.compile(r"(?:" + _KW + r")$")
_XML_ELEMENT = re.compile(r"<([a-z][a-z0-9_.:-]{0,60})(?:[ \t][^<>\n]{0,200})?>([^<\n]{1,1000})</\1>")
# "the password is Summer2024!", "ssh in with password Xy9!..": prose, so only a value that cannot be a word
_PROSE = re.compile(r"(?<![\w-])(password|passwd|passphrase|pwd|pw|token|api[ _-]?key|secret)[ \t]{1,4}(?:is|was)[ \t]{1,4}"
                    r"[\"'`]?([^\s\"'`]{6,200})"
                    r"|(?:with|using)[ \t]{1,4}(?:the[ \t]{1,4})?(password|passphrase|token)[ \t]{1,4}[\"'`]?([^\s\"'`]{6,200})")
_NETRC = re.compile(r"(?<![\w-])password[ \t]{1,8}([^\s]{1,500})")
_NETRC_LINE = re.compile(r"\bmachine[ \t]{1,8}\S{1,253}[ \t]{1,8}login\b|\blogin[ \t]{1,8}\S{1,253}[ \t]{1,8}password\b")

_KUBECONFIG = re.compile(
    r"kind\"?[ \t]{0,4}:[ \t]{0,4}\"?config\b|current-context|client-key-data|client-certificate-data"
    r"|certificate-authority-data|\bclusters\"?[ \t]{0,4}:|\bauth-provider\b|\bexec\"?[ \t]{0,4}:[^\n]{0,40}\n[^\n]{0,80}apiversion")
_MANIFEST = re.compile(r"^[ \t]{0,16}(?:apiversion|kind|metadata|spec|data|stringdata)\"?[ \t]{0,4}:", re.MULTILINE)
_SEMICOLON = re.compile(";")
_CONN_STRING = re.compile(r"(?:server|data source|host|initial catalog|database|uid|user id|driver|dsn|address)[ \t]{0,4}=")
_REFERENCE_LABEL = re.compile(r"(?:existing|tls|pull|ref|from|name|file|path|store|provider|type|class|mode|ttl"
                              r"|header|env|field|format|endpoint|mount|volume|projected)[_.-]?$")

_NORMALISE = str.maketrans("", "", "_.-")
_AWS_SECRET_SHAPE = re.compile(r"[A-Za-z0-9/+]{40}")
_STRONG_KIND = {
    "awssecretaccesskey": "aws_secret_access_key", "secretaccesskey": "aws_secret_access_key",
    "awssecretkey": "aws_secret_access_key", "awssessiontoken": "aws_session_token",
    "xamzsecuritytoken": "aws_session_token", "sessiontoken": "aws_session_token", "securitytoken": "aws_session_token",
    "sharedaccesskey": "azure_shared_access_key", "accountkey": "azure_storage_account_key",
    "clientsecret": "client_secret", "consumersecret": "client_secret",
    "identitytoken": "docker_config_auth", "registrytoken": "docker_config_auth",
    "clientkeydata": "kubeconfig_client_key",
    "xapikey": "api_key", "apikey": "api_key", "appkey": "api_key", "applicationkey": "api_key",
    "accesskey": "access_key", "privatekey": "labelled_private_key",
}
_PASSWORD_KWS = frozenset({"password", "passwd", "passphrase", "pwd", "pass", "pw"})
_WEAK_KWS = frozenset({"auth", "credential", "credentials", "cred", "creds", "key", "signature", "hmac", "salt",
                       "seed", "cookie", "session"})
_TOKEN_KWS = frozenset({"authtoken", "accesstoken", "refreshtoken", "idtoken", "bearertoken", "apitoken", "bottoken",
                        "apptoken", "oauthtoken", "privatetoken", "personalaccesstoken", "serviceaccounttoken",
                        "token"})


def _classify(kw: str, label: str, ctx: _Ctx, pos: int, sep: str, value: str) -> tuple[str, int] | None:
    """(kind, level) for a labelled value; level 0 = any value, 1 = strict, 2 = random-looking only."""
    norm = kw.translate(_NORMALISE)
    if kw.startswith("_") and norm in ("authtoken", "auth", "password"):
        before = ctx.text[pos - 1] if pos else "\n"
        if before in ":\n \t\"'" or pos == 0:
            return "npm_auth_token", 0
        kw = kw[1:]
    kube = ctx.flag("kubeconfig", _KUBECONFIG)
    if norm in _PASSWORD_KWS:
        if kube:
            return "kubeconfig_password", 0
        if sep == "=" and ctx.line_has(pos, _CONN_STRING) and ctx.line_has(pos, _SEMICOLON):
            return "connection_string_password", 0
        return "password", -1
    if norm in _TOKEN_KWS:
        if kube and norm in ("token", "idtoken", "refreshtoken", "accesstoken"):
            return "kubeconfig_token", 0
        return "token", -1
    if "dd" in label.translate(_NORMALISE)[:3] or "datadog" in label:
        if norm in ("apikey", "xapikey") and re.fullmatch(r"[0-9a-f]{32}", value):
            return "datadog_api_key", 0
        if norm in ("appkey", "applicationkey") and re.fullmatch(r"[0-9a-f]{40}", value):
            return "datadog_app_key", 0
    if norm == "auth":
        decoded = _b64decode(value, 2000) if len(value) >= 8 else b""
        if b":" in decoded and decoded.isascii():
            return "docker_config_auth", 0
        return "auth_credential", 2
    if norm in _WEAK_KWS:
        return "high_entropy_secret", 2
    if norm in ("accesskey", "secretkey", "awssecretkey"):
        aws_shape = _AWS_SECRET_SHAPE.fullmatch(value) is not None and _mixed(value)
        if "aws" in label or aws_shape and (norm == "accesskey" or ctx.flag("aws", _AWS_NEAR)):
            return "aws_secret_access_key", 0
    kind = _STRONG_KIND.get(norm)
    if kind is not None:
        return kind, (0 if kind in ("azure_storage_account_key", "azure_shared_access_key", "kubeconfig_client_key",
                                    "docker_config_auth") else -1)
    if norm.endswith("secret") or norm.startswith("secretkey") or norm.endswith("key"):
        return "secret", -1
    return None


def _label_start(low: str, pos: int) -> int:
    start = pos
    floor = max(0, pos - 60)
    while start > floor and (low[start - 1].isalnum() or low[start - 1] in "_.-"):
        start -= 1
    return start


# Slack's escapes of & < > inside a value (not "&amp;" before "name=": that one separates query parameters).
_SLACK_ESCAPE = re.compile(r"&(?:lt|gt);|&amp;(?![\w.-]{1,64}+=)")


def _read_value(ctx: _Ctx, pos: int) -> tuple[int, int, bool] | None:
    """The value starting at `pos`: (start, end, quoted), or None if there is none."""
    m = _VALUE.match(ctx.text, pos)
    if m is None:
        return None
    raw = m.group(0)
    start, end = m.start(), m.end()
    if raw[0] in "\"'`" or raw.startswith('\\"'):
        open_len = 2 if raw.startswith('\\"') else 1
        start += open_len
        if raw.endswith("\\") and end > start:
            end -= 1  # JSON-escaped closing quote
        return (start, end, True) if end > start else None
    # bare: cut at separators that end a value in every syntax we see, then trailing punctuation. Slack
    # delivers & < > as &amp; &lt; &gt;: those belong to the value, unless "&amp;" starts a query parameter.
    cut = len(raw)
    seen = _SLACK_ESCAPE.sub(lambda e: "x" * len(e.group()), raw) if "&" in raw else raw
    for sep in (";", "&", "<", ">", "|"):
        i = seen.find(sep)
        if 0 <= i < cut:
            cut = i
    i = raw.find(",")
    while 0 <= i < cut:
        if i + 1 >= len(raw) or raw[i + 1] in "\"' ":
            cut = i
            break
        i = raw.find(",", i + 1)
    while cut > 0 and raw[cut - 1] in ".,:;?)]}":
        cut -= 1
    return (start, start + cut, False) if cut > 0 else None


def _extend(ctx: _Ctx, end: int, quoted: bool) -> int:
    """A bare value cut at the read limit goes on to the end of its run: never redact half a secret."""
    if quoted or end - 1 < 0 or end >= len(ctx.text) or ctx.text[end] in " \t\r\n\"'`;&<>|":
        return end
    return _VALUE_REST.match(ctx.text, end).end()


def _accept(kind: str, level: int, value: str, quoted: bool, sep: str, ctx: _Ctx, pos: int, prefix: str,
            end: int) -> bool:
    if _is_placeholder(value) or _is_code_reference(value):
        return False
    if level == 2:
        return _random_looking(value)
    if kind in ("secret", "token", "api_key", "access_key", "client_secret") and (
            (prefix and _REFERENCE_LABEL.search(prefix))
            or (_K8S_NAME.fullmatch(value) and len(_DIGIT_RE.findall(value)) <= 3)):
        return False  # existingSecret: my-db-secret, tlsSecret: web-tls -- references by name
    if level == 0 or quoted or sep != ":":
        return len(value) >= (1 if level == 0 else 3)
    start = ctx.line_span(pos)[0]
    indented = ctx.text[start:start + 1] in (" ", "\t", "-")
    if indented or ctx.in_fence(pos) or ctx.flag("manifest", _MANIFEST):
        return len(value) >= 3
    return _secretish(value, eol=_EOL.match(ctx.text, end) is not None)


# Possessive: with `x` both a separator and a digit, a backtracking form tried every split of a failing
# run ("password is 1" + 38 x's + "!": 3.5 s, doubling every ~1.5 more x's).
_VERSIONISH = re.compile(r"v?[0-9]++(?:[.x][0-9x]++)++[a-z0-9.+-]*+|[0-9]++[a-z]{1,7}")


def _prose_secret(value: str) -> bool:
    """In prose only a value that no sentence would hold: mixed case and a digit, random-looking, or
    letters, digits and upper case or a symbol."""
    if len(value) < 6 or _is_placeholder(value) or _VERSIONISH.fullmatch(value.translate(_LOWER)) \
            or _DIGEST.match(value):
        return False
    if _mixed(value) or _random_looking(value):
        return True
    # a digit and a letter, plus an upper-case letter or a symbol other than - and . ("base64-encoded",
    # "12-characters" stay words)
    return _has_digit(value) and (_has_upper(value) or _has_lower(value)) and (
        _has_upper(value) or _SYMBOL_RE.search(value.replace("-", "").replace(".", "")) is not None)


def _scan_labels(ctx: _Ctx, emit: _Emit) -> None:
    text, low = ctx.text, ctx.low
    covered = -1  # end of the last value emitted: labels inside it are redacted already
    if ":" in text or "=" in text:
        budget = _LABEL_BUDGET
        for m in _LABEL.finditer(low):
            kw_start = m.start(1)
            if kw_start < covered:
                continue
            if kw_start and text[kw_start - 1].isalnum() and text[kw_start] != "_" and not text[kw_start].isupper():
                continue  # inside a word: bypass=, monkey:
            got = _read_value(ctx, m.end())
            if got is None:
                continue
            vstart, vend, quoted = got
            value = text[vstart:vend]
            if not quoted and value.endswith("!") and m.group(1).translate(_NORMALISE) not in _PASSWORD_KWS:
                value = value.rstrip("!")  # machine-made secrets never end in "!": that is the sentence
                vend = vstart + len(value)
                if not value:
                    continue
            label_start = _label_start(low, kw_start)
            label = low[label_start:m.end(1)]
            kind_level = _classify(m.group(1), label, ctx, kw_start, m.group(3), value)
            if kind_level is None:
                continue
            kind, level = kind_level
            budget -= 1
            if budget < 0 or _accept(kind, level, value, quoted, m.group(3)[0], ctx, vstart, low[label_start:kw_start],
                                     vend):
                vend = _extend(ctx, vend, quoted)
                emit(vstart, vend, kind, _P_LABEL)
                covered = vend
    if "</" in text:
        for m in _XML_ELEMENT.finditer(low):
            kw = _ENV_NAME_KW.search(m.group(1))
            value = text[m.start(2):m.end(2)].strip()
            if kw is None or not value:
                continue
            vstart = m.start(2) + (m.end(2) - m.start(2) - len(text[m.start(2):m.end(2)].lstrip()))
            vend = vstart + len(value)
            kind_level = _classify(kw.group(0), m.group(1), ctx, m.start(1) + kw.start(), "=", value)
            if kind_level is not None and _accept(kind_level[0], max(kind_level[1], 0), value, True, "=", ctx,
                                                  vstart, m.group(1)[:kw.start()], vend):
                emit(vstart, vend, kind_level[0], _P_LABEL)
    if " is " in low or " was " in low or "with " in low or "using " in low:
        for m in _PROSE.finditer(low):
            group = 2 if m.group(1) else 4
            value = text[m.start(group):m.end(group)].rstrip(".,;:?)")
            if _prose_secret(value):
                kw = (m.group(1) or m.group(3)).translate(_NORMALISE)
                kind = "password" if kw.startswith("pass") or kw in ("pwd", "pw") else (
                    "token" if kw.endswith("token") else "api_key" if kw.endswith("key") else "secret")
                emit(m.start(group), m.start(group) + len(value), kind, _P_LABEL)
    if "machine" in low and "password" in low:
        for m in _NETRC.finditer(low):
            if ctx.line_has(m.start(), _NETRC_LINE) and not _is_placeholder(text[m.start(1):m.end(1)]):
                emit(m.start(1), m.end(1), "password", _P_LABEL)
    if "value" in low and "name" in low:
        covered = -1
        budget = _LABEL_BUDGET
        for m in _ENV_PAIR.finditer(low):
            if m.start() < covered:
                continue
            kw = _ENV_NAME_KW.search(m.group(1))
            if kw is None:
                continue
            got = _read_value(ctx, m.end())
            if got is None:
                continue
            vstart, vend, quoted = got
            value = text[vstart:vend]
            kind_level = _classify(kw.group(0), m.group(1), ctx, m.start(1) + kw.start(), "=", value)
            if kind_level is None:
                continue
            budget -= 1
            if budget < 0 or _accept(kind_level[0], max(kind_level[1], 0), value, True, "=", ctx, vstart,
                                     m.group(1)[:kw.start()], vend):
                vend = _extend(ctx, vend, quoted)
                emit(vstart, vend, kind_level[0], _P_LABEL)
                covered = vend
