"""The CVE snapshot: our own compact JSON format, its model and its loader.

One JSON file (written by `scripts/build_cve_snapshot.py`; a synthetic one is in
`tests/data/cve-fixture.json`):

    {
      "format": "sigsec-cve-snapshot/1",
      "snapshot_date": "2025-01-31",                 # ISO date (or date-time) the data was taken
      "synthetic": false,                            # optional: true for made-up test data
      "sources": [ {"name": ..., "url": ..., "licence": ..., ...}, ... ],   # attribution, >= 1
      "records": {
        "CVE-2024-5321": {
          "summary": "one line",                     # required, non-empty
          "aliases": [],                             # other ids of the same vulnerability
          "published": "2024-07-17T...", "modified": "...",   # strings or null
          "status": "fixed",                         # fixed | open | unfixed | unknown | null (derive)
          "severity": "CVSS:3.1/AV:...",             # CVSS v3.x vector or null
          "tracking_issue": "https://github.com/kubernetes/kubernetes/issues/126161",  # or null
          "in_feed": true,                           # listed in the official CVE feed
          "affected": [
            {"package": "k8s.io/kubelet",
             "ranges": [[{"introduced": "1.27.0"}, {"fixed": "1.27.16"}, ...], ...]}
          ],
          "references": [{"type": "ADVISORY", "url": "https://..."}]
        }
      }
    }

Each range is the list of OSV events of one SEMVER range (a single key per event: introduced, fixed,
last_affected or limit). `load_snapshot` checks all of it and raises `SnapshotError` naming the file
and the exact place of the first problem.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .cvss import CvssError, Severity, severity_of
from .ranges import EVENT_KINDS, Interval, Range, intervals, make_range
from .versions import VersionError

__all__ = [
    "FORMAT",
    "STATUSES",
    "SnapshotError",
    "Package",
    "CveRecord",
    "Snapshot",
    "load_snapshot",
    "parse_snapshot",
    "default_snapshot_path",
    "FIXTURE_PATH",
    "CVE_ID_RE",
    "derive_status",
]

FORMAT = "sigsec-cve-snapshot/1"
STATUSES = ("fixed", "open", "unfixed", "unknown")
CVE_ID_RE = re.compile(r"^CVE-\d{4}-\d{4,}$")
FIXTURE_PATH = Path(__file__).resolve().parents[2] / "tests" / "data" / "cve-fixture.json"


class SnapshotError(ValueError):
    """The snapshot file is missing or not of the expected shape. One line, naming file and place."""


@dataclass(frozen=True)
class Package:
    name: str
    ranges: tuple[Range, ...]
    intervals: tuple[Interval, ...]  # all ranges' intervals, ordered by start

    @property
    def fixed(self) -> tuple[str, ...]:
        return _sorted_unique(v for r in self.ranges for v in r.fixed)

    @property
    def last_affected(self) -> tuple[str, ...]:
        return _sorted_unique(v for r in self.ranges for v in r.last_affected)

    @property
    def open_ended(self) -> bool:
        """Some range never closes (affected from its last introduced on, no fix known)."""
        return any(iv.end is None for iv in self.intervals)


def _sorted_unique(versions) -> tuple[str, ...]:
    seen = {}
    for v in versions:
        seen.setdefault(v.key, v)
    return tuple(str(seen[k]) for k in sorted(seen))


@dataclass(frozen=True)
class CveRecord:
    id: str
    summary: str
    aliases: tuple[str, ...]
    published: str | None
    modified: str | None
    status: str  # fixed | open | unfixed | unknown
    status_derived: bool  # True when not given by the feed but worked out from the ranges
    severity: Severity | None
    tracking_issue: str | None
    in_feed: bool
    packages: tuple[Package, ...]
    references: tuple[tuple[str, str], ...]  # (type, url)


@dataclass(frozen=True)
class Snapshot:
    snapshot_date: str
    sources: tuple[Mapping[str, Any], ...]
    records: Mapping[str, CveRecord]
    aliases: Mapping[str, str] = field(default_factory=dict)  # alias id -> record id
    synthetic: bool = False
    path: str | None = None

    def get(self, cve_id: str) -> CveRecord | None:
        record = self.records.get(cve_id)
        if record is None and cve_id in self.aliases:
            record = self.records.get(self.aliases[cve_id])
        return record


def derive_status(packages: tuple[Package, ...]) -> str:
    """Status from the ranges alone: "unfixed" when a range never closes, "fixed" when every package
    names a fixed version, "unknown" otherwise (no ranges, or closed by last_affected only)."""
    if not packages:
        return "unknown"
    if any(p.open_ended for p in packages):
        return "unfixed"
    if all(p.fixed for p in packages):
        return "fixed"
    return "unknown"


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> SnapshotError:
        return SnapshotError(f"CVE snapshot {self.source}: {where}: {problem}")

    def obj(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_kind(value)}")
        return value

    def lst(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_kind(value)}")
        return value

    def text(self, value: Any, where: str, *, optional: bool = False, nonempty: bool = True) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {_kind(value)}")
        if nonempty and not value.strip():
            raise self.fail(where, "must not be empty")
        return value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), type(value).__name__
    )


_RECORD_KEYS = {"summary", "aliases", "published", "modified", "status", "severity", "tracking_issue", "in_feed",
                "affected", "references"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")


def parse_snapshot(data: Any, source: str = "<memory>") -> Snapshot:
    c = _Checker(source)
    top = c.obj(data, "top level")
    fmt = top.get("format")
    if fmt != FORMAT:
        raise c.fail("format", f"expected {FORMAT!r}, got {fmt!r}")
    date = c.text(top.get("snapshot_date"), "snapshot_date")
    assert date is not None
    if not _DATE_RE.match(date):
        raise c.fail("snapshot_date", f"expected an ISO date such as 2025-01-31, got {date!r}")
    sources = c.lst(top.get("sources"), "sources")
    if not sources:
        raise c.fail("sources", "at least one source (attribution) is required")
    for i, src in enumerate(sources):
        src = c.obj(src, f"sources[{i}]")
        for key in ("name", "url", "licence"):
            c.text(src.get(key), f"sources[{i}].{key}")
    synthetic = top.get("synthetic", False)
    if not isinstance(synthetic, bool):
        raise c.fail("synthetic", f"expected true/false, got {_kind(synthetic)}")
    raw_records = c.obj(top.get("records"), "records")
    records: dict[str, CveRecord] = {}
    aliases: dict[str, str] = {}
    for cve_id, raw in raw_records.items():
        where = f"records.{cve_id}"
        if not CVE_ID_RE.match(cve_id):
            raise c.fail(where, "record key must be a CVE id such as CVE-2024-5321")
        record = _parse_record(c, cve_id, c.obj(raw, where), where)
        records[cve_id] = record
    for record in records.values():
        for alias in record.aliases:
            if alias not in records:
                aliases.setdefault(alias, record.id)
    return Snapshot(date, tuple(sources), records, aliases, synthetic, source)


def _parse_record(c: _Checker, cve_id: str, raw: dict, where: str) -> CveRecord:
    unknown = set(raw) - _RECORD_KEYS
    if unknown:
        raise c.fail(where, f"unknown field(s) {', '.join(sorted(unknown))}")
    summary = c.text(raw.get("summary"), f"{where}.summary")
    assert summary is not None
    aliases = tuple(c.text(a, f"{where}.aliases[{i}]") for i, a in enumerate(c.lst(raw.get("aliases", []), f"{where}.aliases")))
    published = c.text(raw.get("published"), f"{where}.published", optional=True)
    modified = c.text(raw.get("modified"), f"{where}.modified", optional=True)
    status = c.text(raw.get("status"), f"{where}.status", optional=True)
    if status is not None and status not in STATUSES:
        raise c.fail(f"{where}.status", f"expected one of {', '.join(STATUSES)} or null, got {status!r}")
    vector = c.text(raw.get("severity"), f"{where}.severity", optional=True)
    severity = None
    if vector is not None:
        try:
            severity = severity_of(vector)
        except CvssError as exc:
            raise c.fail(f"{where}.severity", str(exc)) from None
    tracking = c.text(raw.get("tracking_issue"), f"{where}.tracking_issue", optional=True)
    in_feed = raw.get("in_feed", False)
    if not isinstance(in_feed, bool):
        raise c.fail(f"{where}.in_feed", f"expected true/false, got {_kind(in_feed)}")
    packages: list[Package] = []
    for i, aff in enumerate(c.lst(raw.get("affected", []), f"{where}.affected")):
        aw = f"{where}.affected[{i}]"
        aff = c.obj(aff, aw)
        name = c.text(aff.get("package"), f"{aw}.package")
        assert name is not None
        ranges: list[Range] = []
        for j, events in enumerate(c.lst(aff.get("ranges"), f"{aw}.ranges")):
            rw = f"{aw}.ranges[{j}]"
            pairs: list[tuple[str, str]] = []
            for k, event in enumerate(c.lst(events, rw)):
                ew = f"{rw}[{k}]"
                event = c.obj(event, ew)
                if len(event) != 1:
                    raise c.fail(ew, f"an event has exactly one of {', '.join(EVENT_KINDS)}, got {sorted(event)}")
                (kind, value), = event.items()
                if kind not in EVENT_KINDS:
                    raise c.fail(ew, f"unknown event {kind!r} (expected one of {', '.join(EVENT_KINDS)})")
                pairs.append((kind, c.text(value, f"{ew}.{kind}") or ""))
            try:
                ranges.append(make_range(pairs))
            except (ValueError, VersionError) as exc:
                raise c.fail(rw, str(exc)) from None
        if not ranges:
            raise c.fail(f"{aw}.ranges", "at least one range is required")
        ivs = sorted((iv for r in ranges for iv in intervals(r)), key=lambda iv: iv.start.key)
        packages.append(Package(name, tuple(ranges), tuple(ivs)))
    references: list[tuple[str, str]] = []
    for i, ref in enumerate(c.lst(raw.get("references", []), f"{where}.references")):
        ref = c.obj(ref, f"{where}.references[{i}]")
        url = c.text(ref.get("url"), f"{where}.references[{i}].url")
        kind = c.text(ref.get("type", "WEB"), f"{where}.references[{i}].type")
        assert url is not None and kind is not None
        references.append((kind, url))
    pkgs = tuple(packages)
    derived = status is None
    return CveRecord(
        id=cve_id,
        summary=summary.strip(),
        aliases=tuple(a for a in aliases if a),  # type: ignore[misc]
        published=published,
        modified=modified,
        status=status if status is not None else derive_status(pkgs),
        status_derived=derived,
        severity=severity,
        tracking_issue=tracking,
        in_feed=in_feed,
        packages=pkgs,
        references=tuple(references),
    )


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read and check a snapshot file. Raises `SnapshotError` (one line) on any problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SnapshotError(f"CVE snapshot {p}: file not found") from None
    except OSError as exc:
        raise SnapshotError(f"CVE snapshot {p}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"CVE snapshot {p}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"CVE snapshot {p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return parse_snapshot(data, str(p))


def default_snapshot_path(environ: Mapping[str, str] | None = None) -> Path:
    """`CVE_DATA` when set (non-empty), else the synthetic fixture shipped with the tests."""
    env = os.environ if environ is None else environ
    configured = (env.get("CVE_DATA") or "").strip()
    return Path(configured) if configured else FIXTURE_PATH
