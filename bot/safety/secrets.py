"""Credential redaction: find pasted secrets and replace each value with `[redacted <kind>]`.

`redact_secrets(text) -> Redaction(text, kinds)` is the whole API. Labels stay (`password=` ->
`password=[redacted password]`) so the question is still readable; only the secret value goes.
`KINDS` lists every kind this module reports, with a one-line description (docs/secrets.md has the
approach, the false-alarm rules and the comparison with detect-secrets).

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

import base64
import binascii
import bisect
import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterator

__all__ = ["KINDS", "Redaction", "find_secrets", "marker", "redact_secrets", "shannon_entropy"]


@dataclass(frozen=True)
class Redaction:
    """Text with credential values replaced by `[redacted <kind>]`, and the sorted kinds found."""

    text: str
    kinds: tuple[str, ...]


def marker(kind: str) -> str:
    """The replacement for one secret value of `kind`."""
    return f"[redacted {kind}]"


# Every kind reported, with what it is. Tests assert the generator covers each one.
KINDS: dict[str, str] = {
    # private keys
    "private_key": "PEM private key block (RSA, EC, DSA, PKCS#8, encrypted), complete or cut off",
    "openssh_private_key": "OpenSSH private key block",
    "pgp_private_key": "PGP/GPG armored private key block",
    "putty_private_key": "PuTTY .ppk private key (v2/v3)",
    "gcp_service_account_key": "PEM private key inside a GCP service-account JSON (escaped \\n)",
    "base64_private_key": "base64 of a PEM private key (tls.key / ssh-privatekey Secret data)",
    "age_secret_key": "age encryption secret key (AGE-SECRET-KEY-1...)",
    # kubernetes
    "kubeconfig_client_key": "kubeconfig client-key-data (YAML or JSON)",
    "kubeconfig_token": "token / id-token / refresh-token in a kubeconfig user",
    "kubeconfig_password": "basic-auth password in a kubeconfig user",
    "kubeadm_bootstrap_token": "kubeadm bootstrap token (abcdef.0123456789abcdef) next to token/kubeadm",
    "kubeadm_certificate_key": "kubeadm --certificate-key / certificateKey (64 hex)",
    "k8s_secret_data": "values under data/stringData of a kind: Secret manifest (YAML or JSON)",
    "docker_config_auth": "docker config auth / identitytoken, or a base64 .dockerconfigjson with credentials",
    # labelled values
    "password": "value after a password / passwd / pwd / passphrase / pass label",
    "secret": "value after a secret / secret_key / signing_secret ... label",
    "token": "value after a token / access_token / auth_token ... label",
    "api_key": "value after an api_key / apikey / x-api-key / app_key label",
    "access_key": "value after an access_key label (not an AWS secret shape)",
    "client_secret": "value after a client_secret / consumer_secret label",
    "labelled_private_key": "non-PEM value after a private_key label (e.g. WireGuard PrivateKey)",
    "auth_credential": "random-looking value after an auth label",
    "npm_auth_token": ".npmrc _authToken / _auth / _password",
    "connection_string_password": "Password= / Pwd= in an ADO.NET / ODBC style connection string",
    "azure_storage_account_key": "Azure storage AccountKey=",
    "azure_shared_access_key": "Azure Service Bus / Event Hubs SharedAccessKey=",
    "aws_secret_access_key": "AWS secret access key (labelled, or a 40-char key next to an AKIA id)",
    "aws_session_token": "AWS session token (labelled, or IQoJb3JpZ2lu... / FwoGZXIvYXdz... shape)",
    "datadog_api_key": "Datadog API key after a DD_API_KEY / datadog api key label",
    "datadog_app_key": "Datadog application key after a DD_APP_KEY / application key label",
    "high_entropy_secret": "random-looking string after a weak label (key, credential, signature, hmac, ...)",
    # urls
    "url_password": "password in URL user info (https://user:pass@host)",
    "database_url_password": "password in a database URL (postgres, mysql, mongodb+srv, redis, amqp ...)",
    "slack_webhook_url": "Slack incoming-webhook / workflow URL path",
    "azure_sas_token": "Azure SAS signature (sig=) in a URL or SharedAccessSignature",
    "presigned_url_signature": "S3 / GCS pre-signed URL signature or security token",
    # command lines
    "cli_password": "mysql -p<pass>, --password[=] <pass>, sshpass -p, openssl -pass pass:",
    "curl_basic_auth": "curl / wget / etcdctl -u / --user user:pass",
    "cli_token": "--token / --auth-token / --bearer-token ... flag value",
    "cli_secret": "--client-secret / --api-key / --secret-key ... flag value",
    "kubectl_from_literal": "kubectl create secret --from-literal=key=value",
    "docker_registry_password": "--docker-password, docker/podman/helm registry login -p",
    # http headers
    "bearer_token": "Authorization: Bearer / Token value, or a long token after 'Bearer'",
    "basic_auth_header": "Authorization: Basic value",
    # vendor formats
    "slack_bot_token": "Slack bot token xoxb-",
    "slack_user_token": "Slack user token xoxp-",
    "slack_app_token": "Slack app-level token xapp-",
    "slack_token": "other Slack tokens xoxa- / xoxo- / xoxs- / xoxr- / xoxe-",
    "github_token": "GitHub classic tokens ghp_ / gho_ / ghu_ / ghs_ / ghr_",
    "github_fine_grained_pat": "GitHub fine-grained token github_pat_",
    "gitlab_token": "GitLab tokens glpat- / gldt- / glrt- / glptt- ... and runner registration GR1348941",
    "npm_token": "npm access token npm_",
    "dockerhub_token": "Docker Hub access token dckr_pat_ / dckr_oat_",
    "vault_token": "HashiCorp Vault token hvs. / hvb. / hvr. (and legacy s. next to vault/token)",
    "stripe_key": "Stripe sk_live_ / sk_test_ / rk_live_ / rk_test_ / whsec_",
    "google_api_key": "Google API key AIza...",
    "openai_api_key": "OpenAI-style key sk- / sk-proj- / sk-svcacct- / sk-admin-",
    "anthropic_api_key": "Anthropic key sk-ant-api03-...",
    "aws_access_key_id": "AWS access key id AKIA / ASIA (and ABIA / ACCA / A3T*)",
    "jwt": "JSON Web Token (3 parts: eyJ....eyJ....sig), e.g. service-account tokens",
    "jwe": "JSON Web Encryption (5 parts)",
    "twilio_api_key": "Twilio API key SID SK + 32 hex",
    "sendgrid_api_key": "SendGrid key SG.xxx.yyy",
    "huggingface_token": "Hugging Face token hf_",
    "pypi_token": "PyPI upload token pypi-AgEIcHlwaS5vcmc...",
    "azure_client_secret": "Microsoft Entra (Azure AD) client secret (xxx8Q~...)",
    "password_hash": "bcrypt / apr1 / sha-crypt password hash (htpasswd, /etc/shadow)",
    "google_oauth_token": "Google OAuth access token ya29. / refresh token 1//0",
    "discord_bot_token": "Discord bot token (24-26 . 6 . 27-38 chars, mixed case and digits)",
    "telegram_bot_token": "Telegram bot token (8-10 digits : 35 chars)",
    "mailchimp_api_key": "Mailchimp API key (32 hex -usN)",
    "square_token": "Square access / OAuth secret (sq0atp- / sq0csp- / EAAA...)",
    "artifactory_token": "JFrog Artifactory API key (AKC...) or reference token (cmVmdGtu...)",
}

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


def _is_placeholder(value: str) -> bool:
    if not value:
        return True
    first = value[0]
    if first in "<[{$*%(#":  # <token>, [redacted x], {{ .Values.x }}, ${VAR}, ***, %s, (none), # comment
        return True
    low = value.translate(_LOWER)
    if low in _PLACEHOLDER_WORDS or low.startswith(("your", "my_", "my-", "insert", "enter", "replace")):
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


# ---------------------------------------------------------------------------------------------
# Private-key blocks (procedural: BEGIN ... END, or BEGIN ... end of the base64 body)
# ---------------------------------------------------------------------------------------------

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]{0,40}?)PRIVATE KEY(?: BLOCK)?-----(?:-{0,32}+)")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]{0,40}?PRIVATE KEY(?: BLOCK)?-----")
_BREAK = r"(?:[ \t\r\n]|\\[rn])"
# A cut-off block's body: base64 chunks separated by real or escaped line breaks (or spaces, when a
# key was pasted as one line). A long chunk always belongs to it; short words (armor headers such as
# `Proc-Type: 4,ENCRYPTED`, `Comment: ...`) only when a long chunk follows within 8 words, and a short
# chunk that ends its line (a key's last line). So the question after a cut-off key stays.
_PEM_BODY = re.compile(
    r"(?:" + _BREAK + r"{1,8}+(?:(?:[^\s\\]{1,60}+" + _BREAK + r"{1,8}+){0,8}[A-Za-z0-9+/=]{20,}+"
    r"|[A-Za-z0-9+/=]{1,19}+(?=[ \t]*(?:\r?\n|\\[rn]|$))))*+")
_GCP_SA = re.compile(r"service_account|gserviceaccount\.com")
_PUTTY = re.compile(r"PuTTY-User-Key-File-\d: ")
_PUTTY_MAC = re.compile(r"Private-MAC: [0-9a-fA-F]{20,128}")
_PUTTY_BODY = re.compile(
    r"[^\n\\]{0,200}+(?:(?:\r?\n|\\r?\\n)(?:[A-Za-z0-9-]{2,30}: [^\n\\]{0,200}+|[A-Za-z0-9+/=]{1,200}+))*+")


def _scan_blocks(ctx: _Ctx, emit: _Emit) -> None:
    text = ctx.text
    if "PRIVATE KEY" in text:
        end_matches = list(_PEM_END.finditer(text))
        ends = [m.start() for m in end_matches]
        pos = 0
        for begin in _PEM_BEGIN.finditer(text):
            if begin.start() < pos:
                continue
            label = begin.group(1)
            if "OPENSSH" in label:
                kind = "openssh_private_key"
            elif "PGP" in label:
                kind = "pgp_private_key"
            elif ctx.flag("gcp", _GCP_SA):
                kind = "gcp_service_account_key"
            else:
                kind = "private_key"
            i = bisect.bisect_left(ends, begin.end())
            if i < len(ends):
                stop = end_matches[i].end()
            else:
                stop = _PEM_BODY.match(text, begin.end()).end()
            emit(begin.start(), stop, kind, _P_BLOCK)
            pos = stop
    if "PuTTY-User-Key-File-" in text:
        for head in _PUTTY.finditer(text):
            mac = _PUTTY_MAC.search(text, head.end(), head.end() + 20_000)
            stop = mac.end() if mac else _PUTTY_BODY.match(text, head.end()).end()
            emit(head.start(), stop, "putty_private_key", _P_BLOCK)


# ---------------------------------------------------------------------------------------------
# Encoded blobs that need decoding to judge (base64 PEM keys, base64 docker configs)
# ---------------------------------------------------------------------------------------------

_B64_PEM = re.compile(r"(?<![A-Za-z0-9+/])LS0tLS1CRUdJTi[A-Za-z0-9+/=]{16,}+(?:\r?\n[ \t]{0,16}[A-Za-z0-9+/=]{20,}+)*+")
_B64_DOCKERCFG = re.compile(
    r"(?<![A-Za-z0-9+/])(?:eyJhdXRocyI6|eyAiYXV0aHMiOi|ewogICJhdXRocyI6|ewoJImF1dGhzIjo|ewogICAgImF1dGhzIjo)"
    r"[A-Za-z0-9+/=]{8,}+")
_CLIENT_KEY_DATA = re.compile("client-key-data")
_DOCKERCFG_CREDS = re.compile(rb'"(?:auth|password|identitytoken|registrytoken)"\s*:\s*"[^"]')


def _scan_encoded(ctx: _Ctx, emit: _Emit) -> None:
    text = ctx.text
    if "LS0tLS1CRUdJTi" in text:
        for m in _B64_PEM.finditer(text):
            head = _b64decode(m.group(0).replace("\n", "").replace(" ", "")[:96], 96)
            if b"PRIVATE KEY" not in head:
                continue  # a certificate or a public key: not secret
            kind = "kubeconfig_client_key" if ctx.line_has(m.start(), _CLIENT_KEY_DATA) else "base64_private_key"
            emit(m.start(), m.end(), kind, _P_ENCODED)
    if "eyJhdXRocyI6" in text or "ewo" in text or "eyAiYXV0aHMi" in text:
        for m in _B64_DOCKERCFG.finditer(text):
            if _DOCKERCFG_CREDS.search(_b64decode(m.group(0))):
                emit(m.start(), m.end(), "docker_config_auth", _P_ENCODED)


# ---------------------------------------------------------------------------------------------
# Vendor token formats
# ---------------------------------------------------------------------------------------------

# (trigger substrings on the lowercased text, pattern, kind or kind-chooser, extra check)
_Vendor = tuple[tuple[str, ...], re.Pattern[str], "str | Callable[[re.Match[str]], str]",
                "Callable[[_Ctx, re.Match[str]], bool] | None"]


def _slack_kind(m: re.Match[str]) -> str:
    prefix = m.group(0)[:4].lower()
    return {"xoxb": "slack_bot_token", "xoxp": "slack_user_token", "xapp": "slack_app_token"}.get(prefix, "slack_token")


def _ctx_words(*words: str) -> Callable[[_Ctx, re.Match[str]], bool]:
    pattern = re.compile("|".join(map(re.escape, words)))

    def check(ctx: _Ctx, m: re.Match[str]) -> bool:
        return ctx.line_has(m.start(), pattern)
    return check


_VAULT_WORDS = re.compile("vault|token")


_VENDORS: list[_Vendor] = [
    (("xox", "xapp-"), re.compile(r"(?<![A-Za-z0-9_-])(?:xox[abposre]|xapp|xoxe\.xox[bp])-[A-Za-z0-9-]{10,250}+"),
     _slack_kind, lambda ctx, m: _has_digit(m.group(0)[5:])),
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
     re.compile(r"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,251}+(?![A-Za-z0-9_])"), "github_token", None),
    (("github_pat_",), re.compile(r"(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{40,255}+"), "github_fine_grained_pat", None),
    (("glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-", "glimt-", "glagent-", "glsoat-", "glffct-", "gr1348941"),
     re.compile(r"(?<![A-Za-z0-9_-])(?:gl(?:pat|dt|rt|ptt|cbt|oas|imt|agent|soat|ffct)-[A-Za-z0-9_-]{20,200}+"
                r"(?:\.[A-Za-z0-9_-]{1,40}+){0,3}|GR1348941[A-Za-z0-9_-]{20,60}+)"), "gitlab_token",
     lambda ctx, m: _has_digit(m.group(0)[5:]) or _has_upper(m.group(0)[6:])),
    (("npm_",), re.compile(r"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"), "npm_token",
     lambda ctx, m: _has_digit(m.group(0)[4:])),
    (("dckr_",), re.compile(r"(?<![A-Za-z0-9_])dckr_(?:pat|oat)_[A-Za-z0-9_-]{20,100}+"), "dockerhub_token", None),
    (("hvs.", "hvb.", "hvr."), re.compile(r"(?<![A-Za-z0-9_.-])hv[sbr]\.[A-Za-z0-9_-]{20,300}+"), "vault_token", None),
    (("s.",), re.compile(r"(?<![A-Za-z0-9_.-])s\.[A-Za-z0-9]{24}(?![A-Za-z0-9_-])"), "vault_token",
     lambda ctx, m: _mixed(m.group(0)[2:]) and ctx.line_has(m.start(), _VAULT_WORDS)),
    (("sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_"),
     re.compile(r"(?<![A-Za-z0-9_])(?:[sr]k_(?:live|test)_[A-Za-z0-9]{10,247}+|whsec_[A-Za-z0-9+/=]{24,100}+)"),
     "stripe_key", lambda ctx, m: _has_digit(m.group(0)[8:]) or _has_upper(m.group(0)[8:])),
    (("ya29.", "1//0"), re.compile(r"(?<![A-Za-z0-9_-])(?:ya29\.[A-Za-z0-9_-]{20,2000}+|1//0[A-Za-z0-9_-]{30,500}+)"),
     "google_oauth_token", None),
    (("aiza",), re.compile(r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"), "google_api_key", None),
    (("sk-ant-",), re.compile(r"(?<![A-Za-z0-9_-])sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{20,250}+"),
     "anthropic_api_key", None),
    (("sk-",), re.compile(r"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,250}+"),
     "openai_api_key", lambda ctx, m: "T3BlbkFJ" in m.group(0) or _mixed(m.group(0)[3:])),
    (("akia", "asia", "abia", "acca", "a3t"), re.compile(r"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])"),
     "aws_access_key_id",
     None),
    (("iqojb3jpz2lu", "fwogzxivyxdz"),
     re.compile(r"(?<![A-Za-z0-9+/])(?:IQoJb3JpZ2lu|FwoGZXIvYXdz)[A-Za-z0-9+/=]{50,4000}+"), "aws_session_token", None),
    (("sk",), re.compile(r"(?<![A-Za-z0-9_])SK[0-9a-f]{32}(?![A-Za-z0-9_])"), "twilio_api_key", None),
    (("sg.",), re.compile(r"(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"),
     "sendgrid_api_key", None),
    (("hf_",), re.compile(r"(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,40}(?![A-Za-z0-9_])"), "huggingface_token",
     lambda ctx, m: _has_upper(m.group(0)[3:])),
    (("pypi-",), re.compile(r"(?<![A-Za-z0-9_-])pypi-AgE[A-Za-z0-9_-]{50,400}+"), "pypi_token", None),
    (("age-secret-key-1",), re.compile(r"AGE-SECRET-KEY-1[0-9A-Z]{58}"), "age_secret_key", None),
    (("q~",), re.compile(r"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,35}+(?![A-Za-z0-9_~-])"),
     "azure_client_secret", None),
    (("$2", "$apr1$", "$5$", "$6$", "$y$"),
     re.compile(r"\$(?:2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}"
                r"|[56]\$(?:rounds=\d{1,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}"
                r"|y\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{1,40}\$[./A-Za-z0-9]{43})"), "password_hash", None),
    ((), re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_-])"),
     "discord_bot_token", lambda ctx, m: _mixed(m.group(0))),
    ((":",), re.compile(r"(?:(?<=bot)|(?<![A-Za-z0-9_:-]))[0-9]{8,10}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"), "telegram_bot_token",
     lambda ctx, m: _has_upper(m.group(0)) and _has_lower(m.group(0))),
    (("-us",), re.compile(r"(?<![0-9a-z])[0-9a-f]{32}-us[0-9]{1,2}(?![0-9a-z])"), "mailchimp_api_key", None),
    (("sq0atp-", "sq0csp-", "eaaa"), re.compile(r"(?<![A-Za-z0-9_-])(?:sq0atp-[0-9A-Za-z_-]{22}|sq0csp-[0-9A-Za-z_-]{43}"
                                              r"|EAAA[0-9A-Za-z_-]{60})(?![A-Za-z0-9_-])"), "square_token",
     lambda ctx, m: _mixed(m.group(0)[4:])),
    (("akc", "cmvmdgtu"), re.compile(r"(?<![A-Za-z0-9+/])(?:AKC[A-Za-z0-9]{10,200}+|cmVmdGtuOjAxOj[A-Za-z0-9+/=]{20,400}+)"),
     "artifactory_token", lambda ctx, m: _mixed(m.group(0))),
    (("token", "kubeadm", "bootstrap"),
     re.compile(r"(?<![a-z0-9.])[a-z0-9]{6}\.[a-z0-9]{16}(?![a-z0-9.])"), "kubeadm_bootstrap_token",
     _ctx_words("token", "kubeadm", "bootstrap")),
]

_JWE = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,8000}+\.[A-Za-z0-9_-]{0,8000}+\.[A-Za-z0-9_-]{4,8000}+"
                  r"\.[A-Za-z0-9_-]{4,8000}+\.[A-Za-z0-9_-]{4,8000}+")
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,8000}+\.eyJ[A-Za-z0-9_-]{4,8000}+(?:\.[A-Za-z0-9_-]{0,8000}+)?")
_CERT_KEY = re.compile(r"(?:--certificate-key(?:=|[ \t]{1,8})|certificatekey\"?[ \t]{0,4}:[ \t]{0,4}\"?)([0-9a-f]{64})(?![0-9a-z])")
_SLACK_WEBHOOK = re.compile(r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9_/-]{10,300}+)")


def _scan_vendor(ctx: _Ctx, emit: _Emit) -> None:
    text, low = ctx.text, ctx.low
    for triggers, pattern, kind, check in _VENDORS:
        if triggers and not any(t in low for t in triggers):
            continue
        for m in pattern.finditer(text):
            if check is not None and not check(ctx, m):
                continue
            emit(m.start(), m.end(), kind if isinstance(kind, str) else kind(m), _P_VENDOR)
    if "eyj" in low:
        for m in _JWE.finditer(text):
            emit(m.start(), m.end(), "jwe", _P_VENDOR)
        for m in _JWT.finditer(text):
            emit(m.start(), m.end(), "jwt", _P_VENDOR)
    if "certificate" in low and "key" in low:
        for m in _CERT_KEY.finditer(low):
            emit(m.start(1), m.end(1), "kubeadm_certificate_key", _P_VENDOR)
    if "hooks.slack.com" in low:
        for m in _SLACK_WEBHOOK.finditer(text):
            emit(m.start(1), m.end(1), "slack_webhook_url", _P_VENDOR)


# ---------------------------------------------------------------------------------------------
# URLs: user info, signed query strings
# ---------------------------------------------------------------------------------------------

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
            if _is_placeholder(password) or password.startswith("$"):
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
# Command lines
# ---------------------------------------------------------------------------------------------

# Values are captured inside a look-ahead: a rejected value (another flag, a placeholder) is not
# consumed, so finditer still sees the flag or label that follows it.
_FLAG_VALUE = r"(?=(\"[^\"\n]{1,500}\"|'[^'\n]{1,500}'|[^\s\"'`;|&<>]{1,500}+))"
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


# ---------------------------------------------------------------------------------------------
# Labelled values: key=value, key: value, "key": "value", name/value pairs
# ---------------------------------------------------------------------------------------------

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
    # bare: cut at separators that end a value in every syntax we see, then trailing punctuation
    cut = len(raw)
    for sep in (";", "&", "<", ">", "|"):
        i = raw.find(sep)
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


_VERSIONISH = re.compile(r"v?[0-9]+(?:[.x][0-9x]+)+[a-z0-9.+-]*|[0-9]+[a-z]{1,7}")


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


# ---------------------------------------------------------------------------------------------
# Kubernetes Secret manifests: every value under data / stringData
# ---------------------------------------------------------------------------------------------

_SECRET_KIND_YAML = re.compile(r"^[ \t]{0,16}kind:[ \t]{0,4}[\"']?secret[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)
_SECRET_KIND_JSON = re.compile(r"\"kind\"[ \t\n]{0,8}:[ \t\n]{0,8}\"secret\"")
_DATA_HEAD_YAML = re.compile(r"^([ \t]{0,16})(?:data|stringdata):[ \t]*(?:#.*)?$", re.MULTILINE)
_YAML_ENTRY = re.compile(r"([ \t]{1,32})[\"']?([A-Za-z0-9_.-]{1,253})[\"']?:[ \t]{0,8}")
_DATA_HEAD_JSON = re.compile(r"\"(?:data|stringdata)\"[ \t\r\n]{0,8}:[ \t\r\n]{0,8}\{")
_JSON_PAIR = re.compile(r"[ \t\r\n]{0,64}\"([^\"\\\n]{1,253})\"[ \t\r\n]{0,8}:[ \t\r\n]{0,8}\"([^\"\\\n]{0,20000}+)\"[ \t\r\n]{0,64},?")
_DOC_SPLIT = re.compile(r"^---[ \t]*$", re.MULTILINE)


_PUBLIC_KEYS = re.compile(r"(?:^|[._-])(?:ca|crt|cert|certificate|pub|namespace|ca-bundle|cabundle)$"
                          r"|\.(?:crt|cert|pub)$")
_B64_CERT = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS"  # base64 of "-----BEGIN CERTIFICATE-"


def _public_entry(key: str, value: str) -> bool:
    """Secret entries that are not secret: certificates, CA bundles, public keys, the namespace."""
    return (_is_placeholder(value) or bool(_PUBLIC_KEYS.search(key.translate(_LOWER)))
            or value.startswith((_B64_CERT, "-----BEGIN CERTIFICATE")))


def _scan_secret_manifests(ctx: _Ctx, emit: _Emit) -> None:
    text, low = ctx.text, ctx.low
    if "secret" not in low or "data" not in low:
        return
    if _SECRET_KIND_JSON.search(low):
        for head in _DATA_HEAD_JSON.finditer(low):
            pos = head.end()
            while True:
                m = _JSON_PAIR.match(text, pos)
                if m is None:
                    break
                if m.group(2) and not _public_entry(m.group(1), m.group(2)):
                    emit(m.start(2), m.end(2), "k8s_secret_data", _P_DATA)
                pos = m.end()
    if not _SECRET_KIND_YAML.search(low):
        return
    bounds = [0] + [m.end() for m in _DOC_SPLIT.finditer(low)] + [len(low)]
    for doc_start, doc_end in zip(bounds, bounds[1:]):
        if not _SECRET_KIND_YAML.search(low, doc_start, doc_end):
            continue
        for head in _DATA_HEAD_YAML.finditer(low, doc_start, doc_end):
            base = len(head.group(1).expandtabs())
            pos = head.end() + 1
            block_indent = -1
            while pos < doc_end:
                line_end = text.find("\n", pos, doc_end)
                line_end = doc_end if line_end == -1 else line_end
                line = text[pos:line_end]
                stripped = line.strip()
                indent = len(line) - len(line.lstrip(" \t"))
                if stripped and indent <= base:
                    break
                if block_indent >= 0 and (not stripped or indent > block_indent):
                    if stripped:
                        emit(pos + indent, line_end, "k8s_secret_data", _P_DATA)  # block scalar line
                    pos = line_end + 1
                    continue
                block_indent = -1
                entry = _YAML_ENTRY.match(text, pos, line_end)
                if entry is not None:
                    value = text[entry.end():line_end].rstrip()
                    if value in ("|", ">", "|-", ">-", "|+", ">+"):
                        if not _public_entry(entry.group(2), "x"):
                            block_indent = len(entry.group(1).expandtabs())
                    elif value:
                        vstart, vend = entry.end(), entry.end() + len(value)
                        if value[0] in "\"'" and len(value) >= 2 and value[-1] == value[0]:
                            vstart, vend = vstart + 1, vend - 1
                        if vend > vstart and not _public_entry(entry.group(2), text[vstart:vend]):
                            emit(vstart, vend, "k8s_secret_data", _P_DATA)
                pos = line_end + 1


# ---------------------------------------------------------------------------------------------
# AWS secret next to an access key id (no label)
# ---------------------------------------------------------------------------------------------

_B64_40 = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_AWS_NEAR = re.compile(r"(?<![a-z0-9])(?:akia|asia)[a-z0-9]{16}(?![a-z0-9])|\baws\b[^\n]{0,80}secret|secret[^\n]{0,40}\baws\b")


def _scan_loose(ctx: _Ctx, emit: _Emit) -> None:
    if ("akia" in ctx.low or "asia" in ctx.low or "aws" in ctx.low) and _AWS_NEAR.search(ctx.low):
        for m in _B64_40.finditer(ctx.text):
            if _mixed(m.group(0)):
                emit(m.start(), m.end(), "aws_secret_access_key", _P_LOOSE)


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
