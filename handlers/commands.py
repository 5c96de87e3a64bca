"""`/sigsec ask <q> | onboard | help | report [days] | reload`: stored, acked, worked after, answered privately.

With storage, a command is stored in the durable inbox (keyed by its trigger_id, the text with
credentials redacted) before Slack gets its ack; the inbox worker answers it through its response_url
(or, once that has expired, ephemerally in its channel), exactly once across crashes and restarts.
Without storage it is worked in a task after the ack.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bot.core import messages as M
from bot.core.reply import AskContext
from bot.delivery.gateway import Outgoing
from bot.logs import log_event
from bot.safety.secrets import redact_secrets
from bot.slack import blocks as B
from bot.slack.deps import Listeners
from bot.slack.outgoing import tell_privately

log = logging.getLogger("sigsec.slack.commands")
SUBCOMMANDS = {"ask", "cve", "onboard", "help", "report", "reload", ""}
MAINTAINER_ONLY = {"report", "reload"}
DEFAULT_REPORT_DAYS = 30


def register(app: Any, deps: Listeners) -> None:
    deps.processors["command"] = lambda item: command_replies(deps, item.payload, received=item.received_at)

    @app.command("/sigsec")
    async def on_sigsec(ack: Any, command: dict[str, Any], respond: Any) -> None:
        if deps.inbox is not None:
            await deps.accept(command_key(command), "command", stored_command(deps, command))
            await ack()
            return
        await ack()  # within 3 s, always: the slow part runs after
        received = dt.datetime.now(dt.UTC)
        deps.tasks.spawn(handle(deps, command, respond, received), name=f"command:{command.get('trigger_id')}")


def command_key(command: dict[str, Any]) -> str:
    """Slack's trigger_id (unique per invocation), else the invocation's own coordinates."""
    trigger = command.get("trigger_id")
    return f"command:{trigger}" if trigger else f"command:{command.get('user_id')}:{dt.datetime.now(dt.UTC).timestamp()}"


def stored_command(deps: Listeners, command: dict[str, Any]) -> dict[str, Any]:
    """What the inbox keeps of a command: who, where, where to answer, and the text (credentials redacted,
    cut to what the core reads anyway)."""
    redaction = redact_secrets(command.get("text") or "")
    return {"user": command.get("user_id"), "channel": command.get("channel_id"),
            "response_url": command.get("response_url"), "redacted": list(redaction.kinds),
            "text": redaction.text[: deps.settings.max_input_chars * 4 + 16]}


async def command_replies(deps: Listeners, payload: dict[str, Any], *, received: dt.datetime) -> list[Outgoing]:
    """The inbox worker's answer to one stored command: one ephemeral message via its response_url."""
    user, channel = payload.get("user"), payload.get("channel")
    blocks = await command_blocks(deps, payload.get("text") or "", user=user, channel=channel,
                                  redacted=tuple(payload.get("redacted") or ()))
    return tell_privately(payload, received, blocks, text=_text_of(blocks))


def is_maintainer(deps: Listeners, user_id: str | None) -> bool:
    return bool(user_id) and user_id in deps.settings.maintainers


def _loggable(sub: str) -> dict[str, Any]:
    """A known subcommand by name; anything else (user text, maybe a pasted password) only by its length: an
    unkeyed hash of a short word is reversed with a dictionary."""
    if sub in SUBCOMMANDS:
        return {"sub": sub or "help"}
    return {"sub": "unknown", "length": len(sub)}


async def handle(deps: Listeners, command: dict[str, Any], respond: Any, received: dt.datetime | None = None) -> None:
    """Without storage: work one command after its ack and answer through Bolt's respond()."""
    received = dt.datetime.now(dt.UTC) if received is None else received
    text = command.get("text") or ""
    blocks = await command_blocks(deps, text, user=command.get("user_id"), channel=command.get("channel_id"))
    sent = await deps.gateway.respond(respond, response_type="ephemeral", replace_original=False,
                                      text=_text_of(blocks), blocks=B.as_dicts(blocks))
    words = text.split(maxsplit=1)
    if sent.ok and len(words) > 1 and words[0].lower() == "ask":
        deps.metrics.replied_since(received)


async def command_blocks(deps: Listeners, text: str, *, user: str | None, channel: str | None,
                         redacted: tuple[str, ...] = ()) -> list[Any]:
    """The ephemeral answer to one command line (`redacted`: credential kinds already taken out of it)."""
    words = text.split(maxsplit=1)  # any whitespace: "ask\n<pasted lines>" is `ask`
    word, rest = (words[0] if words else ""), (words[1] if len(words) > 1 else "")
    sub, rest = word.lower(), rest.strip()
    maintainer = is_maintainer(deps, user)
    log_event(log, "command", maintainer=maintainer, **_loggable(sub))
    try:
        return await blocks_for(deps, sub if sub in SUBCOMMANDS else word, rest, user=user, channel=channel,
                                maintainer=maintainer, redacted=redacted)
    except Exception as exc:  # noqa: BLE001 - tell the user, log the rest
        log_event(log, "command_failed", error=type(exc).__name__, **_loggable(sub))
        return B.text_blocks(M.SLACK_ERROR.format(channel=M.HUMAN_CHANNEL))


async def blocks_for(deps: Listeners, sub: str, rest: str, *, user: str | None, channel: str | None,
                     maintainer: bool, redacted: tuple[str, ...] = ()) -> list[Any]:
    """The ephemeral answer to one subcommand."""
    service = deps.service
    if sub in MAINTAINER_ONLY and not maintainer:
        return B.text_blocks(M.SLACK_MAINTAINERS_ONLY.format(sub=B.esc(sub)))
    if sub == "ask":
        return await ask(deps, rest, user=user, channel=channel, redacted=redacted)
    if sub == "cve":
        return cve(deps, rest)
    if sub == "onboard":
        return B.onboarding_blocks()
    if sub == "report":
        return await report(deps, rest)
    if sub == "reload":
        problems = await service.reload()
        log_event(log, "reload", ok=not problems, problems=len(problems))
        return B.reload_blocks(problems, entries=len(service.knowledge.entries), routes=len(service.knowledge.routes))
    if sub in ("", "help"):
        return B.help_blocks(is_maintainer=maintainer)
    # The unknown word is echoed to its author only, and never a credential pasted as the "subcommand".
    prefix = M.SLACK_UNKNOWN_SUBCOMMAND.format(sub=B.esc(redact_secrets(sub).text[:40]))
    return B.help_blocks(is_maintainer=maintainer, prefix=prefix)


async def ask(deps: Listeners, question: str, *, user: str | None, channel: str | None,
              redacted: tuple[str, ...] = ()) -> list[Any]:
    if not question:
        return B.text_blocks(M.SLACK_ASK_EMPTY)
    reply = await deps.answer(question, context=AskContext(user_id=user, channel_id=channel, source="command",
                                                           redacted_kinds=redacted))
    blocks = B.reply_blocks(reply, knowledge=deps.service.knowledge)
    if reply.private_notes:
        blocks += B.notes_blocks(reply.private_notes)
    return blocks


async def report(deps: Listeners, arg: str) -> list[Any]:
    days = DEFAULT_REPORT_DAYS
    if arg:
        if not arg.isdigit() or not 1 <= int(arg) <= 3650:
            return B.text_blocks(M.SLACK_REPORT_BAD_DAYS)
        days = int(arg)
    text = await deps.service.report(days=days)
    if text is None:
        return B.text_blocks(M.SLACK_HOME_REPORT_FAILED)
    return B.report_blocks(text, title=M.SLACK_REPORT_TITLE.format(days=days))


def cve(deps: Listeners, rest: str) -> list[Any]:
    """`/sigsec cve CVE-ID [version] [component]`: the facts, from the same advisor the answers use."""
    from bot.cve import MalformedCveId, VersionError
    from bot.cve.render import as_text

    advisor = deps.service.cve
    if advisor is None:
        return B.text_blocks(M.SLACK_CVE_OFF)
    cve_id, _, more = rest.partition(" ")
    version, _, component = more.strip().partition(" ")
    if not cve_id:
        return B.text_blocks(M.SLACK_CVE_USAGE)
    try:
        answer = advisor.lookup(cve_id, version or None, component.strip() or None)
    except (MalformedCveId, VersionError) as exc:
        return B.text_blocks(B.esc(str(exc)))
    return B.text_blocks(as_text(answer))


def _text_of(blocks: list[Any]) -> str:
    """Notification fallback: the first section's text."""
    for block in B.as_dicts(blocks):
        text = (block.get("text") or {}).get("text")
        if text:
            return text[:300]
    return M.SLACK_HELP[:300]
