"""One decision (`Service.decide`) on one core, fused vs lexical, short questions and 4,000-character posts.

Also the start-up cost of each mode (knowledge, models, semantic index) and the process's resident
memory afterwards. The real corpus's long posts are used, cut or padded to 4,000 characters.

    python benchmarks/bench_decision.py [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.core.config import load_settings  # noqa: E402
from bot.core.service import Service  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    items = yaml.safe_load((ROOT / "benchmarks" / "data" / "real-questions.yaml").read_text())
    short = [i["q"] for i in items if len(i["q"]) < 200][:50]
    longs = [(i["q"] * (4000 // len(i["q"]) + 1))[:4000] for i in items if len(i["q"]) > 600][:50]
    print(f"{'mode':8} {'start s':>8} {'RSS MB':>7} {'short p50':>10} {'short p99':>10} {'4k p50':>8} {'4k p99':>8}  (ms)")
    for mode in ("lexical", "fused"):
        started = time.perf_counter()
        service = asyncio.run(Service.create(load_settings({"MATCHER": mode})))
        start_s = time.perf_counter() - started
        for text in short[:5] + longs[:5]:
            service.decide(text)  # warm
        timings = {}
        for name, texts in (("short", short), ("long", longs)):
            runs = []
            for n in range(args.runs):
                t0 = time.perf_counter()
                service.decide(texts[n % len(texts)])
                runs.append((time.perf_counter() - t0) * 1000)
            timings[name] = (statistics.median(runs), percentile(runs, 0.99))
        print(f"{mode:8} {start_s:8.2f} {rss_mb():7.0f} {timings['short'][0]:10.2f} {timings['short'][1]:10.2f} "
              f"{timings['long'][0]:8.2f} {timings['long'][1]:8.2f}")
    print("start s: Service.create (knowledge, private-report model training, matcher, and for fused the model"
          " load and the semantic index); RSS after both modes are loaded in this process.")


if __name__ == "__main__":
    main()
