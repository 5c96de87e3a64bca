"""`sigsec-bot` commands: run, console, ask, eval, validate, db, report, suggest, cve."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Sequence

from bot.core.config import ConfigError, Settings, load_settings
from bot.core.knowledge import KnowledgeError, load_knowledge
from bot.core.validation import check_catalog, check_sigs


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sigsec-bot", description="SIG Security's community Slack bot.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="serve Slack (Socket Mode or HTTP); the offline console without tokens")
    commands.add_parser("console", help="chat with the bot offline in this terminal")

    ask = commands.add_parser("ask", help="answer one question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print one JSON object")

    evaluate = commands.add_parser("eval", help="score the bot on a labelled YAML question file")
    evaluate.add_argument("file", type=Path)
    evaluate.add_argument("--json", action="store_true", help="one JSON line per item, then a summary line")
    evaluate.add_argument("--catalog", type=Path, help="knowledge-catalog.yaml: which entry ids are catalog ids")
    evaluate.add_argument("--split", choices=("tune", "check"), help="only one half of a real-question corpus")

    validate = commands.add_parser("validate", help="check knowledge/ and routing.yaml")
    validate.add_argument("--catalog", type=Path, help="knowledge-catalog.yaml that must be covered")
    validate.add_argument("--sigs", type=Path, help="the community's sigs.yaml to check routes against")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply schema migrations")
    purge = db_commands.add_parser("purge", help="delete logged rows older than the retention period")
    purge.add_argument("--days", type=int, help="override RETENTION_DAYS")

    cve = commands.add_parser("cve", help="is a Kubernetes CVE fixed in my version? (bot.cve)", add_help=False)
    cve.add_argument("cve_args", nargs=argparse.REMAINDER)

    report = commands.add_parser("report", help="frequent-question and gap report for maintainers")
    report.add_argument("--days", type=int, default=30)
    report.add_argument("--format", choices=("text", "markdown", "csv", "json", "issues"), default="text",
                        help="issues: a ready-to-file Markdown doc issue per top gap cluster")
    report.add_argument("--out", type=Path, help="with --format issues: write one NN-slug.md per issue here")

    suggest = commands.add_parser("suggest", help="propose FAQ alternates from picked suggestions and helpful answers")
    suggest.add_argument("--days", type=int, default=90)
    suggest.add_argument("--out", type=Path, default=Path("suggested-alternates.yaml"),
                         help="the YAML patch to write (never inside the knowledge folder)")
    suggest.add_argument("--eval", type=Path, action="append", dest="eval_files", metavar="FILE",
                         help="an eval set to check against (repeatable; default: the dev, holdout and real sets)")
    suggest.add_argument("--catalog", type=Path, help="knowledge-catalog.yaml (default ../shared/ when present)")
    suggest.add_argument("--min-count", type=int, default=1, help="times a phrasing must be confirmed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["cve"]:  # its own parser, its own exit codes (2 for a malformed id)
        from bot.cve.cli import main as cve_main

        return cve_main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        return _dispatch(args, settings)
    except ConfigError as exc:
        print(f"sigsec-bot: configuration error: {exc}", file=sys.stderr)
        return 2
    except KnowledgeError as exc:
        print(f"sigsec-bot: knowledge has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into head or similar
        sys.stderr.close()
        return 0


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "validate":
        return _validate(settings, args.catalog, args.sigs)
    if args.command == "ask":
        return asyncio.run(_ask(settings, args.question, as_json=args.json))
    if args.command == "eval":
        from bot.evaluation import run_eval

        return run_eval(settings, args.file, catalog=args.catalog, as_json=args.json, split=args.split)
    if args.command == "console" or (args.command == "run" and settings.slack_mode == "offline"):
        from bot.console import run_console

        if args.command == "run":
            if not _interactive():  # a container or a service manager: no one to chat with, so fail loudly
                raise ConfigError("no Slack tokens set: set SLACK_BOT_TOKEN with SLACK_APP_TOKEN (Socket Mode) "
                                  "or with SLACK_SIGNING_SECRET (HTTP); `sigsec-bot console` chats offline")
            print("No Slack tokens set: starting the offline console (see README to connect Slack).")
        return asyncio.run(run_console(settings))
    if args.command == "run":
        from bot.bootstrap import run

        return asyncio.run(run(settings, log_level=settings.log_level)) or 0
    if args.command == "db":
        return asyncio.run(_db(settings, args))
    if args.command == "report":
        if args.out is not None and args.format != "issues":
            raise ConfigError("--out goes with --format issues")
        return asyncio.run(_report(settings, days=args.days, fmt=args.format, out=args.out))
    if args.command == "suggest":
        from bot.curation.cli import run_suggest

        return asyncio.run(run_suggest(settings, days=args.days, out=args.out, eval_files=args.eval_files,
                                       catalog=args.catalog, min_count=args.min_count))
    raise AssertionError(args.command)


def _interactive() -> bool:
    """Standard input is a terminal (the README's quick start), not a pipe, a file or nothing."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed
        return False


def _validate(settings: Settings, catalog: Path | None, sigs: Path | None) -> int:
    knowledge, problems = load_knowledge(settings.knowledge_dir, settings.routing_file)
    problems += schema_check(settings)
    if catalog:
        problems += check_catalog(knowledge, catalog)
    if sigs:
        problems += check_sigs(knowledge, sigs)
    for problem in problems:
        print(problem)
    errors = sum(1 for p in problems if p.severity == "error")
    status = "FAILED" if errors else "OK"
    print(f"{status}: {len(knowledge.entries)} entries, {len(knowledge.routes)} routes, "
          f"{errors} error(s), {len(problems) - errors} warning(s)")
    return 1 if errors else 0


def schema_check(settings: Settings) -> list:
    """Each knowledge file and routing.yaml against the published JSON Schemas (bot/schemas)."""
    import yaml

    from bot.core.knowledge import Problem, knowledge_files
    from bot.schemas import kind_for_file, schema_problems

    found = []
    paths = knowledge_files(settings.knowledge_dir) if settings.knowledge_dir.is_dir() else []
    for path in [*paths, settings.routing_file] if settings.routing_file.is_file() else paths:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError):
            continue  # the loader reports unreadable files
        kind = "routing" if path == settings.routing_file else kind_for_file(path)
        found += [Problem(str(path), f"schema: {message}") for message in schema_problems(kind, data)]
    return found


async def _ask(settings: Settings, question: str, *, as_json: bool) -> int:
    from bot.bootstrap import open_service, shutdown_service
    from bot.core.render import plain_text

    service = await open_service(settings, with_storage=False)
    try:
        reply = await service.answer(question)
    finally:
        await shutdown_service(service)
    print(json.dumps(reply.as_json(), ensure_ascii=False) if as_json else plain_text(reply))
    return 0


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_storage
    from bot.storage import upgrade_database

    if args.db_command == "upgrade":
        await upgrade_database(settings.database_url)
        print("database schema is up to date")
        return 0
    days = args.days if args.days is not None else settings.retention_days
    if days < 1:
        raise ConfigError("--days must be at least 1")
    storage = await open_storage(settings)
    try:
        deleted = await storage.questions.purge(older_than_days=days)
    finally:
        await storage.close()
    print(f"purged {deleted} row(s) older than {days} day(s)")
    return 0


async def _report(settings: Settings, *, days: int, fmt: str, out: Path | None = None) -> int:
    from bot.bootstrap import open_service, shutdown_service

    if days < 1:
        raise ConfigError("--days must be at least 1")
    service = await open_service(settings)
    try:
        if out is None:
            print(await service.report(days=days, fmt=fmt))
            return 0
        from bot.reports import build_report
        from bot.reports.issues import draft_issues, write_issues
        from bot.reports.meaning import loaded_embedder

        assert service.storage is not None  # open_service opened it
        report = await build_report(service.storage, knowledge=service.knowledge, days=days,
                                    stale_days=settings.stale_days, embedder=loaded_embedder())
        written = write_issues(draft_issues(report, service.knowledge), out)
        print(f"wrote {len(written)} issue draft(s) to {out}")
        for path in written:
            print(f"  {path.name}")
    finally:
        await shutdown_service(service)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
