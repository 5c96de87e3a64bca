"""Structured documents and context: Kubernetes Secret manifests, and an AWS secret next to its key id."""

from __future__ import annotations

import re

from bot.safety.secrets.common import (
    _AWS_NEAR,
    _Ctx,
    _Emit,
    _is_placeholder,
    _LOWER,
    _mixed,
    _P_DATA,
    _P_LOOSE,
)


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


def _scan_loose(ctx: _Ctx, emit: _Emit) -> None:
    if ("akia" in ctx.low or "asia" in ctx.low or "aws" in ctx.low) and _AWS_NEAR.search(ctx.low):
        for m in _B64_40.finditer(ctx.text):
            if _mixed(m.group(0)):
                emit(m.start(), m.end(), "aws_secret_access_key", _P_LOOSE)
