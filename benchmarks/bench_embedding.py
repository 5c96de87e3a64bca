"""Embedding model cost: load time, encode latency and memory, beside a plain rapidfuzz baseline.

    .venv/bin/python benchmarks/bench_embedding.py [--quick]

Everything runs pinned to one core (sched_setaffinity; onnxruntime is single-threaded anyway).
- load: `Embedder.load()` in fresh interpreters (cold import of onnxruntime/tokenizers included,
  sha256 check and warm-up run included), best and median of several; resident memory (VmRSS from
  /proc/self/status) before the imports, after them, after the load and after encoding a
  4,000-character post, plus the peak (VmHWM).
- encode: p50/p99 of `encode([text])` for one short question and for one 4,000-character post
  (truncated to 256 word pieces), of `encode(batch)` for 16 questions, and of one question encoded
  and ranked with `cosine_top` against every phrasing of the shipped knowledge.
- entry embeddings: encoding every phrasing of the shipped knowledge once (done per knowledge load).
- wall-clock and CPU-time (time.thread_time: onnxruntime runs on the calling thread) percentiles;
  on a shared machine the wall-clock p99 carries other processes' load, the CPU-time one does not.
- baseline, same run and inputs: rapidfuzz `process.extract(q, 60 strings, scorer=token_set_ratio)`.
Targets (issue 8): load well under 2 s; one decision's p99 <= 40 ms for a 4,000-character post.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHORT = "how do I restrict pod traffic with a network policy?"
LONG_POST_HEAD = """**What happened**:
After upgrading our cluster from 1.29 to 1.30, pods in the `payments` namespace can no longer reach
the database in `data`, although our NetworkPolicy should allow it. We use Calico as the CNI.
How do I allow traffic from one namespace to another with a NetworkPolicy while denying the rest?

**What you expected to happen**:
Pods labelled `app=api` in `payments` reach port 5432 of pods labelled `app=db` in `data`.

**How to reproduce it**:
```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-api-to-db
  namespace: data
spec:
  podSelector:
    matchLabels:
      app: db
  ingress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: payments
      podSelector:
        matchLabels:
          app: api
    ports:
    - port: 5432
```
**Logs**:
```
"""
LOG_LINE = ("2026-11-01T12:00:{s:02d}Z api-7c9f8d6b5-x2k4q api ERROR dial tcp 10.42.3.17:5432: "
            "i/o timeout (attempt {s})\n")


def long_post() -> str:
    text, s = LONG_POST_HEAD, 0
    while len(text) < 4000:
        text += LOG_LINE.format(s=s % 60)
        s += 1
    return text[:4000]


def rss_mb() -> dict[str, float]:
    fields = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields


def pin_one_core(cpu: int | None = None) -> int:
    cpu = min(os.sched_getaffinity(0)) if cpu is None else cpu
    os.sched_setaffinity(0, {cpu})
    return cpu


def phrasings() -> list[str]:
    import yaml

    out = []
    for path in sorted((ROOT / "knowledge").glob("*.yaml")):
        for entry in (yaml.safe_load(path.read_text()) or {}).get("entries", []):
            out.append(entry["question"])
            out.extend(entry.get("alternates", []))
    return out


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn, runs: int, warm: int = 5) -> dict[str, float]:
    for _ in range(warm):
        fn()
    samples, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        fn()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        samples.append((time.perf_counter() - started) * 1000)
    return {"p50": statistics.median(samples), "p99": percentile(samples, 0.99), "runs": runs,
            "cpu_p50": statistics.median(cpu), "cpu_p99": percentile(cpu, 0.99)}


def child_load(cpu: int | None) -> None:
    """Run in a fresh interpreter: cold load and memory, printed as one JSON line."""
    pin_one_core(cpu)
    mem = {"start": rss_mb()["VmRSS"]}
    started = time.perf_counter()
    import numpy  # noqa: F401
    import onnxruntime  # noqa: F401
    import tokenizers  # noqa: F401

    imported = time.perf_counter()
    mem["after_imports"] = rss_mb()["VmRSS"]
    from bot.semantic import Embedder

    embedder = Embedder.load()
    loaded = time.perf_counter()
    mem["after_load"] = rss_mb()["VmRSS"]
    embedder.encode([long_post()])
    mem["after_long_encode"] = rss_mb()["VmRSS"]
    mem["peak"] = rss_mb()["VmHWM"]
    print(json.dumps({"imports_s": imported - started, "load_s": loaded - imported,
                      "total_s": loaded - started, "mem_mb": mem}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--cpu", type=int, help="the core to pin to (default: the lowest allowed)")
    parser.add_argument("--child-load", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_load:
        child_load(args.cpu)
        return

    cpu = pin_one_core(args.cpu)
    loads = []
    for _ in range(3 if args.quick else 7):
        result = subprocess.run([sys.executable, __file__, "--child-load", "--cpu", str(cpu)],
                                capture_output=True, text=True,
                                check=True, cwd=ROOT)
        loads.append(json.loads(result.stdout.strip().splitlines()[-1]))

    from rapidfuzz import fuzz, process

    from bot.semantic import Embedder, cosine_top

    embedder = Embedder.load()
    texts = phrasings()
    post = long_post()
    questions = texts[1::max(1, len(texts) // 16)][:16]
    scale = 4 if args.quick else 1
    started = time.perf_counter()
    matrix = embedder.encode(texts)
    entry_s = time.perf_counter() - started

    rows = [
        ("encode 1 short question", timed(lambda: embedder.encode([SHORT]), 1000 // scale),
         f"{embedder.token_count(SHORT)} word pieces"),
        ("encode 1 post of 4,000 chars", timed(lambda: embedder.encode([post]), 300 // scale),
         f"{embedder.token_count(post)} word pieces after truncation"),
        ("encode 16 questions (one call)", timed(lambda: embedder.encode(questions), 100 // scale),
         "per call"),
        ("short question + cosine_top", timed(lambda: cosine_top(embedder.encode([SHORT]), matrix, 5),
                                              1000 // scale), f"against {len(texts)} phrasings"),
        ("4,000-char post + cosine_top", timed(lambda: cosine_top(embedder.encode([post]), matrix, 5),
                                               300 // scale), f"against {len(texts)} phrasings"),
    ]
    sixty = texts[:60]
    base = [
        ("baseline: short vs 60 strings", timed(
            lambda: process.extract(SHORT, sixty, scorer=fuzz.token_set_ratio, limit=None), 1000 // scale),
         "rapidfuzz token_set_ratio"),
        ("baseline: 4,000-char post vs 60", timed(
            lambda: process.extract(post, sixty, scorer=fuzz.token_set_ratio, limit=None), 300 // scale),
         "rapidfuzz token_set_ratio"),
    ]

    def best_median(key: str) -> str:
        values = [r[key] for r in loads]
        return f"{min(values):.3f} / {statistics.median(values):.3f}"

    print(f"one core (cpu {cpu}); model {embedder.model_path.relative_to(ROOT)} "
          f"({embedder.model_path.stat().st_size / 1e6:.1f} MB), sha256 {embedder.model_sha256[:12]}…")
    print(f"\nload in a fresh interpreter, best / median of {len(loads)} (s):")
    print(f"  import onnxruntime + tokenizers + numpy  {best_median('imports_s')}")
    print(f"  Embedder.load() (read, sha256, session, warm-up)  {best_median('load_s')}")
    print(f"  total  {best_median('total_s')}")
    mem = {k: statistics.median(r["mem_mb"][k] for r in loads) for k in loads[0]["mem_mb"]}
    print("resident memory, median (MB): " + ", ".join(f"{k} {v:.0f}" for k, v in mem.items()))
    print(f"entry embeddings: {len(texts)} phrasings in {entry_s:.3f} s "
          f"({entry_s / len(texts) * 1000:.2f} ms each)")
    print(f"\n{'operation':<34}{'p50 ms':>9}{'p99 ms':>9}{'cpu p50':>9}{'cpu p99':>9}{'runs':>7}  note")
    for name, r, note in rows + base:
        print(f"{name:<34}{r['p50']:>9.2f}{r['p99']:>9.2f}{r['cpu_p50']:>9.2f}{r['cpu_p99']:>9.2f}"
              f"{r['runs']:>7}  {note}")
    print("(p50/p99: wall clock; cpu: this thread's CPU time, which time lost to other processes on a "
          "shared machine does not inflate)")


if __name__ == "__main__":
    main()
