"""`CveAdvisor`: "is CVE-X fixed in my version?" answered from a CVE snapshot.

    advisor = CveAdvisor.from_env()            # CVE_DATA, else the synthetic test fixture
    answer = advisor.lookup("CVE-2024-5321", version="1.29.3", component="kubelet")
    answer.affected                            # True / False / None (no version, or it depends on the patch)

`lookup` does no I/O and allocates little: everything it compares was parsed when the snapshot was
loaded (p99 well under 1 ms; see benchmarks/bench_cve.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .components import Component, display_name, is_core_package, package_matches, resolve
from .cvss import CvssError, Severity, find_vectors, severity_of
from .ranges import any_affected, describe_minor, minor_verdict
from .records import CveRecord, Snapshot, default_snapshot_path, derive_status, load_snapshot
from .versions import UserVersion, VersionError, parse_user_version

__all__ = [
    "CveAdvisor",
    "CveAnswer",
    "ComponentAnswer",
    "Link",
    "MalformedCveId",
    "find_ids",
    "find_malformed",
    "is_malformed",
    "normalise_id",
    "FEED_PAGE",
]

FEED_PAGE = "https://kubernetes.io/docs/reference/issues-security/official-cve-feed/"
CVE_ORG = "https://www.cve.org/CVERecord?id={id}"
DEPENDENCY_GUIDANCE_ID = "dependency-cves"

# Hyphen look-alikes people paste from web pages and PDFs (U+2010..U+2015, U+2212 minus).
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_DASH_CLASS = "\\-" + _DASHES
_DASH_TABLE = str.maketrans({d: "-" for d in _DASHES})
_ID_IN_TEXT_RE = re.compile(rf"(?<![\w{_DASH_CLASS}])CVE[{_DASH_CLASS}](\d{{4}})[{_DASH_CLASS}](\d{{4,}})(?![\w])(?![{_DASH_CLASS}]\d)", re.IGNORECASE)
_ID_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_ATTEMPT_RE = re.compile(rf"^CVE[{_DASH_CLASS}_ ]?\d", re.IGNORECASE)  # "CVE" then a digit: an id attempt
_CANDIDATE_RE = re.compile(rf"(?<![\w{_DASH_CLASS}])CVE[\w{_DASH_CLASS}]*", re.IGNORECASE)
_EDGE_PUNCT = "()[]{}<>,.;:!?\"'`*_~|"


class MalformedCveId(ValueError):
    """Something that looks like a CVE id but is not one; the message is one line, fit to show."""


def normalise_id(token: str) -> str:
    """`cve–2024–5321` -> `CVE-2024-5321` (case, dash look-alikes and edge punctuation)."""
    return token.strip().strip(_EDGE_PUNCT).translate(_DASH_TABLE).upper()


def find_ids(text: str) -> list[str]:
    """CVE ids in free text (CVE-YYYY-NNNN+, any case, dash look-alikes), normalised, unique, in order."""
    out: list[str] = []
    for match in _ID_IN_TEXT_RE.finditer(text or ""):
        cve_id = f"CVE-{match.group(1)}-{match.group(2)}"
        if cve_id not in out:
            out.append(cve_id)
    return out


def is_malformed(token: str) -> bool:
    """True for an attempt at a CVE id that is not one: `CVE-2023-`, `CVE-23-1234`, `CVE2023-1234`,
    `CVE-2023-123`. False for a valid id (any case) and for words that are not id attempts (`CVEs`)."""
    t = (token or "").strip().strip(_EDGE_PUNCT)
    if not t:
        return False
    if _ID_RE.match(t.translate(_DASH_TABLE).upper()):
        return False
    return bool(_ATTEMPT_RE.match(t))


def find_malformed(text: str) -> list[str]:
    """Tokens in free text that try to be CVE ids and are not (for a "that id looks wrong" reply)."""
    out: list[str] = []
    for match in _CANDIDATE_RE.finditer(text or ""):
        token = match.group(0)
        end = match.end()
        # "CVE 2023 1234" style: take the following digits too when separated by spaces
        tail = re.match(r"\s+\d{2,4}\s+\d+", text[end:])
        if tail and not re.search(r"\d", token):
            token += tail.group(0)
        if is_malformed(token) and token not in out:
            out.append(token.strip())
    return out


def _malformed_message(token: str) -> str:
    return (
        f"{token.strip()!r} is not a valid CVE id: CVE ids look like CVE-YYYY-NNNN "
        "(a four-digit year, then four or more digits), e.g. CVE-2024-5321"
    )


@dataclass(frozen=True)
class Link:
    title: str
    url: str

    def as_dict(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class ComponentAnswer:
    name: str  # the record's package name (e.g. k8s.io/kubelet)
    fixed: tuple[str, ...]
    last_affected: tuple[str, ...]
    display: str = ""  # how people call it (kubelet, kube-apiserver, ingress-nginx)
    affected: bool | None = None  # for the asked version; None: not evaluated / depends on the patch
    detail: str | None = None  # e.g. "1.29: affected before 1.29.7, fixed in 1.29.7", "upgrade to 1.29.7"
    evaluated: bool = False  # was the asked version compared against this component?

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "fixed": list(self.fixed), "last_affected": list(self.last_affected)}


@dataclass(frozen=True)
class CveAnswer:
    id: str
    found: bool
    summary: str | None
    status: str | None
    severity: Severity | None
    components: tuple[ComponentAnswer, ...]
    version: str | None
    affected: bool | None
    links: tuple[Link, ...]
    # beyond the JSON object
    data_as_of: str | None = None
    synthetic_data: bool = False
    published: str | None = None
    tracking_issue: str | None = None
    notes: tuple[str, ...] = ()
    component_asked: str | None = None
    feed_checked_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Exactly the CLI's `--json` object."""
        return {
            "id": self.id,
            "found": self.found,
            "summary": self.summary,
            "status": self.status,
            "severity": self.severity.as_dict() if self.severity else None,
            "components": [c.as_dict() for c in self.components],
            "version": self.version,
            "affected": self.affected,
            "links": [link.as_dict() for link in self.links],
        }


@dataclass
class CveAdvisor:
    snapshot: Snapshot
    feed_checked_at: str | None = None  # when the official feed was last merged in (ISO), if ever

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_path(cls, path: str | Path) -> "CveAdvisor":
        return cls(load_snapshot(path))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "CveAdvisor":
        """`CVE_DATA` when set (a broken file raises `SnapshotError`), else the synthetic fixture."""
        return cls(load_snapshot(default_snapshot_path(environ)))

    @property
    def data_as_of(self) -> str:
        return self.snapshot.snapshot_date

    def __len__(self) -> int:
        return len(self.snapshot.records)

    # ------------------------------------------------------------------ text helpers
    find_ids = staticmethod(find_ids)
    find_malformed = staticmethod(find_malformed)
    is_malformed = staticmethod(is_malformed)

    # ------------------------------------------------------------------ lookups
    def lookup(self, cve_id: str, version: str | None = None, component: str | None = None) -> CveAnswer:
        """Answer for one CVE id. Raises `MalformedCveId` for something that is not a CVE id.

        A version that cannot be read does not raise: `affected` stays None and a note says why.
        """
        norm = normalise_id(cve_id or "")
        if not _ID_RE.match(norm):
            raise MalformedCveId(_malformed_message(cve_id or ""))
        notes: list[str] = []
        user_version: UserVersion | None = None
        version_text = version.strip() if isinstance(version, str) and version.strip() else None
        if version_text is not None:
            try:
                user_version = parse_user_version(version_text)
            except VersionError as exc:
                notes.append(f"Could not read the version: {exc}.")
        comp: Component | None = None
        if component and component.strip():
            comp = resolve(component)
            if comp is None:
                notes.append(f"Unknown component {component.strip()!r}: answering for every component in the record.")
        record = self.snapshot.get(norm)
        if record is None:
            return CveAnswer(
                id=norm, found=False, summary=None, status=None, severity=None, components=(),
                version=version_text, affected=None,
                links=(Link("cve.org", CVE_ORG.format(id=norm)), Link("Official Kubernetes CVE feed", FEED_PAGE)),
                data_as_of=self.snapshot.snapshot_date, synthetic_data=self.snapshot.synthetic,
                notes=tuple(notes), component_asked=comp.name if comp else None,
                feed_checked_at=self.feed_checked_at,
            )
        if record.id != norm:
            notes.append(f"{norm} is an alias of {record.id}.")
        components, affected = self._evaluate(record, user_version, comp, notes)
        if user_version is not None and user_version.distro:
            notes.append(
                f"Compared as {user_version} (the distributor suffix {user_version.distro!r} was set aside): "
                "distributors may backport fixes without changing the version, so check their bulletin too."
            )
        return CveAnswer(
            id=record.id,
            found=True,
            summary=record.summary,
            status=record.status,
            severity=record.severity,
            components=components,
            version=version_text,
            affected=affected,
            links=self._links(record),
            data_as_of=self.snapshot.snapshot_date,
            synthetic_data=self.snapshot.synthetic,
            published=record.published,
            tracking_issue=record.tracking_issue,
            notes=tuple(notes),
            component_asked=comp.name if comp else None,
            feed_checked_at=self.feed_checked_at,
        )

    def lookup_many(self, cve_ids: Iterable[str], version: str | None = None, component: str | None = None) -> list[CveAnswer]:
        """Answers for several ids (malformed ones skipped: use `find_malformed` to report them)."""
        out = []
        for cve_id in cve_ids:
            try:
                out.append(self.lookup(cve_id, version, component))
            except MalformedCveId:
                continue
        return out

    def answer_text(self, text: str, version: str | None = None, component: str | None = None) -> list[CveAnswer]:
        """Answers for every CVE id found in a message."""
        return self.lookup_many(find_ids(text), version, component)

    # ------------------------------------------------------------------ internals
    @staticmethod
    def _links(record: CveRecord) -> tuple[Link, ...]:
        links: list[Link] = []
        if record.tracking_issue:
            links.append(Link("Tracking issue", record.tracking_issue))
        links.append(Link("cve.org", CVE_ORG.format(id=record.id)))
        links.append(Link("Official Kubernetes CVE feed", FEED_PAGE))
        return tuple(links)

    @staticmethod
    def _evaluate(
        record: CveRecord, uv: UserVersion | None, comp: Component | None, notes: list[str]
    ) -> tuple[tuple[ComponentAnswer, ...], bool | None]:
        packages = record.packages
        if comp is not None:
            relevant = [p for p in packages if package_matches(p.name, comp)]
        elif uv is not None:
            # A bare version is a Kubernetes (cluster) version: never compare it with the versions of
            # separately versioned projects (ingress-nginx 1.11 is not Kubernetes 1.11).
            relevant = [p for p in packages if is_core_package(p.name)]
            if not relevant and packages:
                names = ", ".join(display_name(p.name) for p in packages)
                notes.append(f"{record.id} concerns {names}, which is versioned separately from Kubernetes: "
                             f"give the {names} version together with the component to check it.")
                return tuple(ComponentAnswer(p.name, p.fixed, p.last_affected, display_name(p.name))
                             for p in packages), None
        else:
            relevant = list(packages)
        relevant_names = {p.name for p in relevant}

        answers: list[ComponentAnswer] = []
        verdicts: list[bool | None] = []
        for p in packages:
            base = ComponentAnswer(p.name, p.fixed, p.last_affected, display_name(p.name))
            if uv is None or p.name not in relevant_names:
                answers.append(base)
                continue
            if uv.is_minor:
                verdict = minor_verdict(p.intervals, uv.major, uv.minor)
                verdicts.append(verdict.affected)
                answers.append(replace(base, affected=verdict.affected, detail=describe_minor(verdict), evaluated=True))
            else:
                v = uv.as_version()
                hit = any_affected(v, p.ranges)
                verdicts.append(hit)
                detail = None
                if hit:
                    containing = next((iv for iv in p.intervals if iv.contains(v)), None)
                    if containing is not None and containing.end is not None and containing.end_kind == "fixed":
                        fix = containing.end
                        detail = f"fixed in {fix}: upgrade to {fix} or a later {fix.major}.{fix.minor} patch"
                    elif containing is not None and containing.end_kind == "last_affected":
                        detail = f"last affected {containing.end}; no fixed release named"
                    elif containing is not None and containing.end_kind == "limit":
                        detail = f"affected below the range limit {containing.end}; no fixed release named"
                    else:
                        detail = "no fixed release listed for this version"
                answers.append(replace(base, affected=hit, detail=detail, evaluated=True))

        if uv is None:
            return tuple(answers), None
        if not packages:
            notes.append("The Kubernetes data has no version ranges for this CVE: see the tracking issue.")
            return tuple(answers), None
        if comp is not None and not relevant:
            names = ", ".join(display_name(p.name) for p in packages)
            notes.append(f"{record.id} concerns {names}, not {comp.name}.")
            return tuple(answers), False
        if any(v is True for v in verdicts):
            return tuple(answers), True
        if any(v is None for v in verdicts):
            return tuple(answers), None
        return tuple(answers), False

    # ------------------------------------------------------------------ runtime refresh
    def with_feed(self, items: Sequence[Any], *, fetched_at: str | None = None) -> "CveAdvisor":
        """A new advisor with official-feed items merged in (see `feed.FeedItem`): ids the snapshot
        lacks become feed-only records (no version ranges; severity from a vector quoted in the
        advisory text when there is one); known ids get the feed's status and tracking issue.
        The snapshot date is kept; `fetched_at` (ISO) is noted when given."""
        records: dict[str, CveRecord] = dict(self.snapshot.records)
        for item in items:
            cve_id = item.id
            status = item.status if item.status in ("fixed", "open", "unfixed", "unknown") else None
            existing = records.get(cve_id)
            if existing is not None:
                records[cve_id] = replace(
                    existing,
                    in_feed=True,
                    status=status or existing.status,
                    status_derived=existing.status_derived if status is None else False,
                    tracking_issue=existing.tracking_issue or item.url,
                )
                continue
            severity = None
            for vector in find_vectors(item.content_text or ""):
                try:
                    severity = severity_of(vector)
                    break
                except CvssError:  # pragma: no cover - find_vectors only returns valid vectors
                    continue
            records[cve_id] = CveRecord(
                id=cve_id,
                summary=(item.summary or "").strip() or cve_id,
                aliases=(),
                published=item.date_published,
                modified=item.date_published,
                status=status or derive_status(()),
                status_derived=status is None,
                severity=severity,
                tracking_issue=item.url,
                in_feed=True,
                packages=(),
                references=tuple(("ADVISORY", u) for u in (item.url, item.external_url) if u),
            )
        snap = replace(self.snapshot, records=records)
        return CveAdvisor(snap, fetched_at or self.feed_checked_at)

