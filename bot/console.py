"""The offline console: chat with the same core in a terminal, no Slack needed.

Lines starting with `/` (and the bare words `help`, `onboard`, `report`) are commands, like the
Slack `/sigsec` subcommands; anything else is a question, answered and logged like Slack's, with the
console counted as one asker. Empty lines are ignored.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any, Callable, TextIO

from bot.core import messages as M
from bot.core.config import Settings
from bot.core.render import plain, plain_text
from bot.core.reply import AskContext

BANNER = (
    "sigsec-bot offline console. Ask a security question; /help lists commands; 'quit' or Ctrl-D leaves.\n"
    "Set SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET to serve Slack instead."
)
CONSOLE_USER = "console"  # one person at the terminal: hashed like a Slack id, so the report counts one asker
QUIT = {"quit", "exit", ":q"}
BARE_COMMANDS = {"help", "onboard", "report"}
REPORT_FORMATS = ("text", "markdown", "csv", "json", "issues")
DEFAULT_REPORT_DAYS = 30

HELP = """\
Commands:
  /help                          this list
  /onboard                       what SIG Security does and how to get involved
  /report [days] [format]        the maintainers' report (formats: {formats}; default 30 days, text)
  /cve CVE-ID [version] [component]  is a Kubernetes CVE fixed in my version?
  quit                           leave
Anything else is a question for the bot.""".format(formats=", ".join(REPORT_FORMATS))
LOG_UNAVAILABLE = "(question log unavailable: {error}; questions will not be recorded and /report is off)"
REPORT_UNAVAILABLE = "The report needs the question log, which is unavailable in this console."
REPORT_USAGE = "Usage: /report [days] [format], days 1 to 3650, format one of " + ", ".join(REPORT_FORMATS)
CVE_USAGE = "Usage: /cve CVE-YYYY-NNNN [version] [component], e.g. /cve CVE-2024-10220 1.29.3"
UNKNOWN_COMMAND = "I don't know /{name}."


def onboarding_text() -> str:
    """The Slack welcome (what we do, meetings, subprojects, each interest's next steps) as plain text."""
    parts = [
        M.SLACK_ONBOARD_TITLE,
        M.SLACK_ONBOARD_WHAT.format(email=M.SLACK_SECURITY_EMAIL),
        M.SLACK_ONBOARD_MEET.format(sig_page=M.SLACK_SIG_PAGE, channel=M.SLACK_HOME_CHANNEL,
                                    list=M.SLACK_MAILING_LIST),
        M.SLACK_ONBOARD_SUBPROJECTS,
        M.SLACK_ONBOARD_PICK,
        *(steps for _title, steps in M.SLACK_INTERESTS.values()),
    ]
    return "\n\n".join(plain(part) for part in parts)


class Console:
    """One console session over a `Service` (its storage may be None)."""

    def __init__(self, service: Any, *, out: TextIO | None = None) -> None:
        self.service = service
        self.out = out or sys.stdout
        self.context = AskContext(user_id=CONSOLE_USER, channel_id="console", source="console")

    def say(self, text: str) -> None:
        self.out.write("bot> " + text.replace("\n", "\n     ") + "\n")
        self.out.flush()

    async def handle(self, line: str) -> bool:
        """Work one input line; False when the session should end."""
        text = line.strip()
        if not text:
            return True  # an empty line is not a question
        if text.lower() in QUIT:
            return False
        word = text.split(maxsplit=1)[0].lower()
        # A bare word alone is a command ("help me with RBAC" is a question), and "report 7 json" too.
        bare = text.lower() in BARE_COMMANDS or (word == "report" and _report_args(text) is not None)
        if text.startswith("/") or bare:
            self.say(await self.command(text.lstrip("/")))
            return True
        reply = await self.service.answer(text, context=self.context)
        recorded = self.service.storage is not None and reply.log_ref is not None  # logged, or to be
        self.say(plain_text(reply, recorded=recorded))
        return True

    async def command(self, text: str) -> str:
        """The answer to one command line (without its leading `/`)."""
        name, _, rest = text.partition(" ")
        name, rest = name.lower(), rest.strip()
        handlers: dict[str, Callable[[str], Any]] = {
            "help": lambda _: HELP, "onboard": lambda _: onboarding_text(), "cve": self.cve, "report": self.report}
        if name not in handlers:
            return UNKNOWN_COMMAND.format(name=name[:40]) + "\n" + HELP
        result = handlers[name](rest)
        return await result if asyncio.iscoroutine(result) else result

    async def report(self, rest: str) -> str:
        args = _report_args("report " + rest)
        if args is None:
            return REPORT_USAGE
        days, fmt = args
        if self.service.storage is None:
            return REPORT_UNAVAILABLE
        text = await self.service.report(days=days, fmt=fmt)
        return (text or REPORT_UNAVAILABLE).rstrip("\n")

    def cve(self, rest: str) -> str:
        from bot.cve import CveAdvisor, MalformedCveId, SnapshotError, VersionError
        from bot.cve.cli import as_plain

        cve_id, _, more = rest.partition(" ")
        version, _, component = more.strip().partition(" ")
        if not cve_id:
            return CVE_USAGE
        try:
            advisor = self.service.cve or CveAdvisor.from_env()  # like `sigsec-bot cve`
            return as_plain(advisor.lookup(cve_id, version or None, component.strip() or None))
        except (MalformedCveId, VersionError, SnapshotError) as exc:
            return str(exc)


def _report_args(text: str) -> tuple[int, str] | None:
    """(days, format) of `report [days] [format]` in either order; None when malformed."""
    days, fmt = DEFAULT_REPORT_DAYS, "text"
    for arg in text.split()[1:]:
        if arg.isdigit() and 1 <= int(arg) <= 3650:
            days = int(arg)
        elif arg.lower() in REPORT_FORMATS:
            fmt = arg.lower()
        else:
            return None
    return days, fmt


async def run_console(settings: Settings) -> int:
    """Chat until 'quit' or end of input; questions are logged like Slack's, so reports work offline."""
    from bot.bootstrap import open_storage, shutdown_service
    from bot.core.service import Service

    try:
        storage = await open_storage(settings)
    except Exception as exc:  # noqa: BLE001 - the console still works without its log
        print(LOG_UNAVAILABLE.format(error=type(exc).__name__))
        storage = None
    service = await Service.create(settings, storage=storage)
    print(BANNER)
    console = Console(service)
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, "\nyou> ")
            except EOFError:
                print()
                return 0
            if not await console.handle(line):
                return 0
    finally:
        await shutdown_service(service)
