"""CVE advisor speed: `CveAdvisor.lookup` latency beside a plain baseline, in the same run.

    .venv/bin/python benchmarks/bench_cve.py [--lookups N] [--data PATH]

Snapshots: the synthetic fixture, the snapshot at --data or $CVE_DATA when given (a real one built by
scripts/build_cve_snapshot.py), and a generated one of 5,000 records (ranges shaped like the real
kubelet/apiserver backport records) to show how it scales.
Queries: 70 % known ids with a patch version (some with a component or a distributor suffix), 10 %
known ids with a bare minor (`1.29`), 20 % ids the data does not know.
Baseline: what a plain implementation does: scan the list of raw JSON records for the id, then walk
the OSV events of each range, parsing versions as it goes (the same semantics, no precomputation).
Target: lookup p99 < 1 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cve import CveAdvisor  # noqa: E402
from bot.cve.records import FIXTURE_PATH, parse_snapshot  # noqa: E402
from bot.cve.versions import parse_record_version, parse_user_version  # noqa: E402


def generated_snapshot(n: int, rng: random.Random) -> dict:
    packages = ["k8s.io/kubelet", "k8s.io/apiserver", "k8s.io/kube-proxy", "k8s.io/kubectl", "k8s.io/ingress-nginx"]
    records = {}
    for i in range(n):
        cve_id = f"CVE-{2030 + i // 9000}-{10000 + i % 9000}"
        top = rng.randint(20, 32)
        events = []
        for minor in range(top, top - rng.randint(1, 5), -1):
            events += [{"introduced": f"1.{minor}.0"}, {"fixed": f"1.{minor}.{rng.randint(1, 15)}"}]
        events.append({"introduced": "0"})
        events.append({"fixed": f"1.{top - 5}.{rng.randint(1, 15)}"})
        records[cve_id] = {
            "summary": f"GENERATED benchmark record {i}",
            "status": "fixed",
            "severity": "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            "affected": [{"package": rng.choice(packages), "ranges": [events]}],
            "references": [],
        }
    return {"format": "sigsec-cve-snapshot/1", "snapshot_date": "2099-01-01", "synthetic": True,
            "sources": [{"name": "generated", "url": "https://example.invalid/", "licence": "CC0-1.0"}],
            "records": records}


# --------------------------------------------------------------------------- baseline


def baseline_lookup(raw_records: list[tuple[str, dict]], cve_id: str, version: str | None) -> bool | None:
    found = None
    for rid, rec in raw_records:  # linear scan
        if rid == cve_id:
            found = rec
            break
    if found is None or version is None:
        return None
    uv = parse_user_version.__wrapped__(version)  # no cache: a plain implementation parses every time
    if uv.is_minor:
        return None
    v = uv.as_version()
    for aff in found.get("affected", []):
        for events in aff["ranges"]:
            walk = []
            for e in events:
                (kind, value), = e.items()
                if kind != "limit":
                    walk.append((parse_record_version.__wrapped__(value), kind))
            walk.sort(key=lambda t: t[0].key)
            vulnerable = False
            for ev, kind in walk:
                if kind == "introduced" and v >= ev:
                    vulnerable = True
                elif kind == "fixed" and v >= ev:
                    vulnerable = False
                elif kind == "last_affected" and v > ev:
                    vulnerable = False
            if vulnerable:
                return True
    return False


# --------------------------------------------------------------------------- runs


def queries(ids: list[str], n: int, rng: random.Random) -> list[tuple[str, str | None, str | None]]:
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.7:
            v = f"1.{rng.randint(18, 32)}.{rng.randint(0, 15)}"
            v = rng.choice([v, "v" + v, v + "-eks-1234", v + "+k3s1"])
            out.append((rng.choice(ids), v, rng.choice([None, None, "kubelet", "apiserver"])))
        elif roll < 0.8:
            out.append((rng.choice(ids), f"1.{rng.randint(18, 32)}", None))
        else:
            out.append((f"CVE-2023-{rng.randint(40000, 49999)}", None, None))
    return out


def pct(samples: list[float], q: float) -> float:
    return samples[min(len(samples) - 1, int(len(samples) * q))] * 1e6


def run(label: str, data: dict, n: int, rng: random.Random) -> None:
    t0 = time.perf_counter()
    advisor = CveAdvisor(parse_snapshot(data, label))
    load_ms = (time.perf_counter() - t0) * 1000
    raw = list(data["records"].items())
    qs = queries([k for k, _ in raw], n, rng)
    for q in qs[:200]:  # warm up
        advisor.lookup(*q)
    ours, base = [], []
    for cve_id, version, comp in qs:
        t = time.perf_counter()
        advisor.lookup(cve_id, version, comp)
        ours.append(time.perf_counter() - t)
    for cve_id, version, _comp in qs:
        t = time.perf_counter()
        baseline_lookup(raw, cve_id, version)
        base.append(time.perf_counter() - t)
    ours.sort()
    base.sort()
    print(f"{label:<28} {len(raw):>6} {load_ms:>8.1f}  "
          f"{pct(ours, .5):>7.1f} {pct(ours, .99):>7.1f} {statistics.fmean(ours) * 1e6:>7.1f}   "
          f"{pct(base, .5):>8.1f} {pct(base, .99):>8.1f}   {'ok' if pct(ours, .99) < 1000 else 'OVER 1 ms'}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lookups", type=int, default=20000)
    parser.add_argument("--data", default=os.environ.get("CVE_DATA", ""))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"python {sys.version.split()[0]}, {args.lookups} lookups per snapshot; times in microseconds "
          f"(load in ms)")
    print(f"{'snapshot':<28} {'records':>6} {'load ms':>8}  {'p50':>7} {'p99':>7} {'mean':>7}   "
          f"{'base p50':>8} {'base p99':>8}   target p99 < 1 ms")
    run("synthetic fixture", json.loads(FIXTURE_PATH.read_text()), args.lookups, rng)
    if args.data:
        run(f"real ({Path(args.data).name})", json.loads(Path(args.data).read_text()), args.lookups, rng)
    run("generated 5,000", generated_snapshot(5000, rng), args.lookups, rng)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
