"""`cve CVE-ID [--version V] [--component C] [--json] [--data PATH]`

Exit status: 0 when the id was looked up (found or not), 2 for a malformed id, an unreadable version
or bad arguments (message on stderr), 1 when the snapshot cannot be loaded.
`--json` prints exactly one object:
{"id", "found", "summary", "status", "severity", "components": [{"name", "fixed", "last_affected"}],
 "version", "affected", "links"}.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence, TextIO

from .advisor import CveAdvisor, CveAnswer, MalformedCveId
from .records import SnapshotError, load_snapshot
from .versions import VersionError, parse_user_version

__all__ = ["main", "as_plain"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sigsec-bot cve", description="Is a CVE a Kubernetes CVE, and is my version affected?",
                add_help=True)
    p.add_argument("cve_id", metavar="CVE-ID")
    p.add_argument("--version", dest="version", metavar="V", help="your version, e.g. 1.29.3, v1.29.3-eks-1234, 1.29")
    p.add_argument("--component", metavar="C", help="e.g. kubelet, apiserver, kube-proxy, kubectl, ingress-nginx")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--data", metavar="PATH", help="snapshot file (default: $CVE_DATA, else the test fixture)")
    return p


def as_plain(answer: CveAnswer) -> str:
    """Terminal text for one answer."""
    lines: list[str] = []
    if not answer.found:
        lines.append(f"{answer.id}: not a Kubernetes-announced CVE (not in the Kubernetes CVE data).")
        lines.append("If a scanner reports it in a Kubernetes image or binary, it is most likely in a dependency;")
        lines.append("see the dependency-CVE guidance (FAQ entry dependency-cves).")
    else:
        lines.append(f"{answer.id}: {answer.summary}")
        sev = answer.severity
        lines.append(f"Severity: {f'{sev.rating} ({sev.score:.1f}, {sev.vector})' if sev else 'not rated'}")
        lines.append(f"Status: {answer.status}")
        for c in answer.components:
            fixed = ", ".join(c.fixed) or "none listed"
            extra = f" (last affected {', '.join(c.last_affected)})" if c.last_affected else ""
            lines.append(f"Component {c.display or c.name} [{c.name}]: fixed in {fixed}{extra}")
        if not answer.components:
            lines.append("No version ranges in the data; see the tracking issue.")
        if answer.version is not None:
            verdict = {True: "affected", False: "not affected", None: "depends on the patch release / unknown"}[answer.affected]
            lines.append(f"Version {answer.version}: {verdict}")
            for c in answer.components:
                if c.evaluated and c.detail:
                    lines.append(f"  {c.display or c.name}: {c.detail}")
    for link in answer.links:
        lines.append(f"{link.title}: {link.url}")
    lines.extend(f"Note: {n}" for n in answer.notes)
    data = f"Data as of {answer.data_as_of}"
    if answer.synthetic_data:
        data += " (synthetic test data: set CVE_DATA to a real snapshot)"
    lines.append(data)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["cve"]:
        args_in = args_in[1:]
    try:
        args = _parser().parse_args(args_in)
    except _UsageError as exc:
        print(f"sigsec-bot cve: {exc}", file=err)
        print("usage: sigsec-bot cve CVE-ID [--version V] [--component C] [--json]", file=err)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    if CveAdvisor.is_malformed(args.cve_id) or not CveAdvisor.find_ids(args.cve_id):
        print(f"sigsec-bot cve: {args.cve_id!r} is not a valid CVE id: CVE ids look like CVE-YYYY-NNNN "
              "(a four-digit year, then four or more digits), e.g. CVE-2024-5321", file=err)
        return 2
    if args.version is not None:
        try:
            parse_user_version(args.version)
        except VersionError as exc:
            print(f"sigsec-bot cve: bad --version: {exc}", file=err)
            return 2
    try:
        advisor = CveAdvisor(load_snapshot(args.data)) if args.data else CveAdvisor.from_env()
    except SnapshotError as exc:
        print(f"sigsec-bot cve: {exc}", file=err)
        return 1
    try:
        answer = advisor.lookup(args.cve_id, version=args.version, component=args.component)
    except MalformedCveId as exc:
        print(f"sigsec-bot cve: {exc}", file=err)
        return 2
    if args.json:
        print(json.dumps(answer.as_dict(), ensure_ascii=False), file=out)
    else:
        print(as_plain(answer), file=out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
