"""Vendor token formats: prefixes and shapes (Slack, GitHub, GitLab, npm, Vault, Stripe, AWS, JWT ...)."""

from __future__ import annotations

import re
from typing import Callable

from bot.safety.secrets.common import (
    _Ctx,
    _Emit,
    _has_digit,
    _has_lower,
    _has_upper,
    _mixed,
    _P_VENDOR,
)


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
