#!/usr/bin/env python3
"""Build the CVE advisor's snapshot (our own compact JSON, see bot/cve/records.py) from public data.

    python scripts/build_cve_snapshot.py OSV_PATH [--feed FEED.json] --out snapshot.json
        [--date YYYY-MM-DD] [--osv-revision SHA] [--strict]

OSV_PATH: a checkout of kubernetes-sigs/cve-feed-osv (its `vulns/` is used) or a directory of OSV
JSON files. --feed: the official Kubernetes CVE feed as downloaded from
https://kubernetes.io/docs/reference/issues-security/official-cve-feed/index.json (JSON Feed 1.1);
it adds each CVE's status and tracking issue, and CVEs the OSV data lacks (kept without version
ranges; severity from a CVSS vector quoted in the advisory text, if any).

Kept per record: summary, aliases, published, modified, status, one CVSS v3.x vector (the highest
scoring one given), affected packages with their SEMVER ranges (an explicit `versions` list becomes
one-version ranges), references, tracking issue. Not kept: advisory bodies (`details`,
`content_text`). Problems in upstream records are reported on stderr and the offending range or
record skipped; --strict makes any of them fatal (exit 1). The output is re-read with the bot's own
loader before the script reports success.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cve.cvss import CvssError, base_score, find_vectors  # noqa: E402
from bot.cve.feed import OFFICIAL_FEED_URL, FeedError, FeedItem, parse_feed  # noqa: E402
from bot.cve.ranges import EVENT_KINDS, make_range  # noqa: E402
from bot.cve.records import CVE_ID_RE, FORMAT, load_snapshot  # noqa: E402

OSV_REPO_URL = "https://github.com/kubernetes-sigs/cve-feed-osv"
_TRACKING_RE = re.compile(r"^https://github\.com/kubernetes/kubernetes/issues/\d+$")


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, problem: str) -> None:
        self.items.append(f"{where}: {problem}")
        print(f"warning: {where}: {problem}", file=sys.stderr)


def _vectors_of(severities: Any) -> list[str]:
    out = []
    for sev in severities or []:
        if not isinstance(sev, dict):
            continue
        for field in ("score", "type"):  # some upstream test data swaps the two fields
            value = sev.get(field)
            if isinstance(value, str) and value.startswith("CVSS:3"):
                out.append(value.strip())
    return out


def _best_vector(vectors: list[str], where: str, problems: Problems) -> str | None:
    best: tuple[float, str] | None = None
    for vector in vectors:
        try:
            score = base_score(vector)
        except CvssError as exc:
            problems.add(where, f"severity skipped: {exc}")
            continue
        if best is None or score > best[0]:
            best = (score, vector)
    return best[1] if best else None


def convert_osv(doc: Any, where: str, problems: Problems) -> tuple[str, dict] | None:
    if not isinstance(doc, dict):
        problems.add(where, "not a JSON object")
        return None
    cve_id = doc.get("id")
    aliases = [a for a in doc.get("aliases") or [] if isinstance(a, str)]
    if not isinstance(cve_id, str) or not CVE_ID_RE.match(cve_id):
        alias = next((a for a in aliases if CVE_ID_RE.match(a)), None)
        if alias is None:
            problems.add(where, f"record id {cve_id!r} is not a CVE id and it has no CVE alias")
            return None
        aliases = [a for a in aliases if a != alias] + ([cve_id] if isinstance(cve_id, str) else [])
        cve_id = alias
    summary = doc.get("summary") if isinstance(doc.get("summary"), str) else ""
    if not summary.strip():
        details = doc.get("details") if isinstance(doc.get("details"), str) else ""
        summary = details.strip().split("\n", 1)[0][:200]
    if not summary.strip():
        summary = cve_id
    vectors = _vectors_of(doc.get("severity"))
    packages: dict[str, list[list[dict[str, str]]]] = {}
    for i, aff in enumerate(doc.get("affected") or []):
        aw = f"{where} affected[{i}]"
        if not isinstance(aff, dict) or not isinstance(aff.get("package"), dict):
            problems.add(aw, "no package")
            continue
        name = aff["package"].get("name")
        if not isinstance(name, str) or not name.strip():
            problems.add(aw, "package without a name")
            continue
        vectors.extend(_vectors_of(aff.get("severity")))
        ranges = packages.setdefault(name.strip(), [])
        for j, rng in enumerate(aff.get("ranges") or []):
            rw = f"{aw} ranges[{j}]"
            if not isinstance(rng, dict):
                problems.add(rw, "not an object")
                continue
            if rng.get("type", "SEMVER") != "SEMVER":
                problems.add(rw, f"range type {rng.get('type')!r} skipped (only SEMVER is evaluated)")
                continue
            events: list[dict[str, str]] = []
            pairs: list[tuple[str, str]] = []
            ok = True
            for event in rng.get("events") or []:
                if not isinstance(event, dict) or len(event) != 1:
                    problems.add(rw, f"bad event {event!r}")
                    ok = False
                    break
                (kind, value), = event.items()
                if kind not in EVENT_KINDS or not isinstance(value, str):
                    problems.add(rw, f"bad event {event!r}")
                    ok = False
                    break
                events.append({kind: value})
                pairs.append((kind, value))
            if not ok:
                continue
            try:
                make_range(pairs)
            except ValueError as exc:
                problems.add(rw, f"range skipped: {exc}")
                continue
            ranges.append(events)
        for version in aff.get("versions") or []:
            if not isinstance(version, str):
                continue
            try:
                make_range([("introduced", version), ("last_affected", version)])
            except ValueError as exc:
                problems.add(aw, f"listed version skipped: {exc}")
                continue
            ranges.append([{"introduced": version}, {"last_affected": version}])
        if not ranges:
            problems.add(aw, f"package {name} has no usable range")
            del packages[name.strip()]
    references = []
    for ref in doc.get("references") or []:
        if isinstance(ref, dict) and isinstance(ref.get("url"), str) and ref["url"].strip():
            references.append({"type": str(ref.get("type") or "WEB"), "url": ref["url"].strip()})
    tracking = next((r["url"] for r in references if _TRACKING_RE.match(r["url"])), None)
    record = {
        "summary": " ".join(summary.split()),
        "aliases": aliases,
        "published": doc.get("published") if isinstance(doc.get("published"), str) else None,
        "modified": doc.get("modified") if isinstance(doc.get("modified"), str) else None,
        "status": None,
        "severity": _best_vector(vectors, where, problems),
        "tracking_issue": tracking,
        "in_feed": False,
        "affected": [{"package": name, "ranges": rngs} for name, rngs in sorted(packages.items())],
        "references": references,
    }
    return cve_id, record


def merge_feed(records: dict[str, dict], items: list[FeedItem], problems: Problems) -> int:
    added = 0
    for item in items:
        record = records.get(item.id)
        if record is None:
            vector = _best_vector(find_vectors(item.content_text or ""), f"feed {item.id}", problems)
            records[item.id] = {
                "summary": " ".join((item.summary or item.id).split()),
                "aliases": [],
                "published": item.date_published,
                "modified": item.date_published,
                "status": item.status,
                "severity": vector,
                "tracking_issue": item.url,
                "in_feed": True,
                "affected": [],
                "references": [{"type": "ADVISORY", "url": u} for u in (item.url, item.external_url) if u],
            }
            added += 1
            continue
        record["in_feed"] = True
        if item.status:
            record["status"] = item.status
        if item.url and not record.get("tracking_issue"):
            record["tracking_issue"] = item.url
        if not record.get("severity"):
            record["severity"] = _best_vector(find_vectors(item.content_text or ""), f"feed {item.id}", problems)
    return added


def build(osv_path: Path, feed_path: Path | None, date: str, revision: str | None, problems: Problems) -> dict:
    vulns = osv_path / "vulns" if (osv_path / "vulns").is_dir() else osv_path
    if not vulns.is_dir():
        raise SystemExit(f"error: {osv_path}: not a directory (expected a cve-feed-osv checkout or its vulns/)")
    files = sorted(p for p in vulns.glob("*.json") if p.is_file())
    if not files:
        raise SystemExit(f"error: {vulns}: no *.json OSV records")
    records: dict[str, dict] = {}
    for path in files:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.add(path.name, f"unreadable: {exc}")
            continue
        converted = convert_osv(doc, path.name, problems)
        if converted is None:
            continue
        cve_id, record = converted
        if cve_id in records:
            problems.add(path.name, f"duplicate record for {cve_id}; keeping the first")
            continue
        records[cve_id] = record
    osv_source: dict[str, Any] = {
        "name": "kubernetes-sigs/cve-feed-osv",
        "url": OSV_REPO_URL,
        "licence": "Apache-2.0",
        "attribution": "Copyright The Kubernetes Authors",
        "files": len(files),
    }
    if revision:
        osv_source["revision"] = revision
    last_updated = osv_path / "last_updated.json"
    if last_updated.is_file():
        try:
            upstream = json.loads(last_updated.read_text(encoding="utf-8"))
            if isinstance(upstream, dict) and isinstance(upstream.get("k8s-vulndb"), str):
                osv_source["upstream_updated"] = upstream["k8s-vulndb"]
        except (OSError, ValueError):
            pass
    sources = [osv_source]
    if feed_path is not None:
        try:
            feed_doc = json.loads(feed_path.read_text(encoding="utf-8"))
            items = parse_feed(feed_doc, str(feed_path))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SystemExit(f"error: feed {feed_path}: unreadable ({exc})")
        except FeedError as exc:
            raise SystemExit(f"error: {exc}")
        added = merge_feed(records, items, problems)
        feed_source: dict[str, Any] = {
            "name": "Official Kubernetes CVE feed",
            "url": OFFICIAL_FEED_URL,
            "licence": "CC-BY-4.0",
            "attribution": "The Kubernetes Authors (kubernetes.io); items from kubernetes/kubernetes issues "
                           "labelled official-cve-feed",
            "items": len(items),
            "added_without_ranges": added,
        }
        ext = feed_doc.get("_kubernetes_io") if isinstance(feed_doc, dict) else None
        if isinstance(ext, dict) and isinstance(ext.get("updated_at"), str):
            feed_source["updated_at"] = ext["updated_at"]
        sources.append(feed_source)
    return {
        "format": FORMAT,
        "snapshot_date": date,
        "synthetic": False,
        "sources": sources,
        "records": {k: records[k] for k in sorted(records, key=_id_key)},
    }


def _id_key(cve_id: str) -> tuple[int, int]:
    _, year, number = cve_id.split("-")
    return int(year), int(number)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("osv_path", type=Path, help="cve-feed-osv checkout, or a directory of OSV JSON files")
    parser.add_argument("--feed", type=Path, help="official CVE feed JSON file (optional)")
    parser.add_argument("--out", type=Path, required=True, help="where to write the snapshot JSON")
    parser.add_argument("--date", help="snapshot date (default: today, UTC)")
    parser.add_argument("--osv-revision", help="cve-feed-osv commit the data was taken at (recorded in sources)")
    parser.add_argument("--strict", action="store_true", help="any upstream problem fails the build")
    args = parser.parse_args(argv)
    date = args.date or dt.datetime.now(dt.timezone.utc).date().isoformat()
    started = time.perf_counter()
    problems = Problems()
    snapshot = build(args.osv_path, args.feed, date, args.osv_revision, problems)
    if problems.items and args.strict:
        print(f"error: {len(problems.items)} problem(s) in the upstream data (--strict)", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(args.out.suffix + ".tmp")
    tmp.write_text(json.dumps(snapshot, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    built = time.perf_counter() - started
    t0 = time.perf_counter()
    loaded = load_snapshot(args.out)  # the bot's own checks
    load_s = time.perf_counter() - t0
    records = loaded.records.values()
    print(
        f"wrote {args.out}: {len(loaded.records)} records "
        f"({sum(1 for r in records if r.packages)} with version ranges, "
        f"{sum(len(r.packages) for r in records)} package entries, "
        f"{sum(len(p.ranges) for r in records for p in r.packages)} ranges, "
        f"{sum(1 for r in records if r.in_feed)} in the official feed), "
        f"{args.out.stat().st_size} bytes; built in {built * 1000:.0f} ms, loaded in {load_s * 1000:.0f} ms; "
        f"{len(problems.items)} upstream problem(s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
