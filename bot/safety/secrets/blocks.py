"""Private-key blocks (PEM, OpenSSH, PGP, PuTTY; complete or cut off) and base64 blobs that hide them."""

from __future__ import annotations

import bisect
import re

from bot.safety.secrets.common import (
    _b64decode,
    _Ctx,
    _Emit,
    _P_BLOCK,
    _P_ENCODED,
)


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
