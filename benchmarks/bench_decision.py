"""One decision (`Service.decide`) on one core, fused vs lexical, short questions and 4,000-character posts.

Also the start-up cost of each mode (knowledge, models, semantic index) and the process's resident
memory afterwards. The real corpus's long posts are used, cut or padded to 4,000 characters.

Then throughput, fused, over the real corpus's questions: one by one (`decide` per question), in batches
(`decide_many`: one embedding call per batch for the questions the lexical evidence does not decide),
and through the service's decision thread with every question submitted at once (the thread drains what
is queued and batches it, as when questions arrive together).

    python benchmarks/bench_decision.py [--runs 200] [--rounds 3]
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
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (best of)")
    parser.add_argument("--throughput-only", action="store_true")
    args = parser.parse_args()
    items = yaml.safe_load((ROOT / "benchmarks" / "data" / "real-questions.yaml").read_text())
    if args.throughput_only:
        throughput(asyncio.run(Service.create(load_settings({"MATCHER": "fused"}))), [i["q"] for i in items],
                   args.rounds)
        return
    short = [i["q"] for i in items if len(i["q"]) < 200][:50]
    longs = [(i["q"] * (4000 // len(i["q"]) + 1))[:4000] for i in items if len(i["q"]) > 600][:50]
    print(f"{'mode':8} {'start s':>8} {'start cpu':>9} {'RSS MB':>7} {'short p50':>10} {'short p99':>10} "
          f"{'4k p50':>8} {'4k p99':>8} {'4k cpu p50':>10} {'4k cpu p99':>10}  (ms)")
    for mode in ("lexical", "fused"):
        started, cpu_started = time.perf_counter(), time.process_time()
        service = asyncio.run(Service.create(load_settings({"MATCHER": mode})))
        start_s, start_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        for text in short[:5] + longs[:5]:
            service.decide(text)  # warm
        timings = {}
        for name, texts in (("short", short), ("long", longs)):
            runs, cpu = [], []
            for n in range(args.runs):
                t0, c0 = time.perf_counter(), time.thread_time()
                service.decide(texts[n % len(texts)])
                runs.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.thread_time() - c0) * 1000)  # the decision runs on this thread
            timings[name] = (statistics.median(runs), percentile(runs, 0.99))
            timings[name + " cpu"] = (statistics.median(cpu), percentile(cpu, 0.99))
        print(f"{mode:8} {start_s:8.2f} {start_cpu:9.2f} {rss_mb():7.0f} {timings['short'][0]:10.2f} "
              f"{timings['short'][1]:10.2f} {timings['long'][0]:8.2f} {timings['long'][1]:8.2f} "
              f"{timings['long cpu'][0]:10.2f} {timings['long cpu'][1]:10.2f}")
    print("start s: Service.create (knowledge, private-report model training, matcher, and for fused the model"
          " load and the semantic index); RSS after both modes are loaded in this process; cpu: CPU time"
          " (process for start-up, thread for a decision), which another process's load does not inflate.")
    throughput(service, [i["q"] for i in items], args.rounds)


def throughput(service: Service, questions: list[str], rounds: int) -> None:
    """Questions per second one by one, in batches, and through the decision thread (best of `rounds`)."""
    from bot.core.service import LEXICAL_DECIDES

    skipped = sum(service.brain.matcher.match(q).confidence >= LEXICAL_DECIDES for q in questions)
    print(f"\nthroughput, fused, {len(questions)} real questions ({skipped} decided lexically, no model run):")

    async def all_at_once() -> None:
        await asyncio.gather(*(service._run_decision(service.decide, q) for q in questions))

    variants = {"one by one": lambda: [service.decide(q) for q in questions]}
    for size in (4, 8, 16, 32):
        variants[f"batches of {size}"] = lambda size=size: [
            service.decide_many([(q, ()) for q in questions[i:i + size]]) for i in range(0, len(questions), size)]
    variants["decision thread, all queued"] = lambda: asyncio.run(all_at_once())
    # Rounds interleave the variants, so a change in the machine's load hits them all alike; best of the rounds.
    wall = dict.fromkeys(variants, float("inf"))
    cpu = dict.fromkeys(variants, float("inf"))
    before = len(service._worker.batches)
    for _ in range(rounds):
        for name, work in variants.items():
            t0, c0 = time.perf_counter(), time.process_time()
            work()
            wall[name] = min(wall[name], time.perf_counter() - t0)
            cpu[name] = min(cpu[name], time.process_time() - c0)
    sizes = service._worker.batches[before:]
    rates = {name: (len(questions) / wall[name], cpu[name] * 1000 / len(questions)) for name in variants}
    base_rate, base_cpu = rates["one by one"]
    for name, (rate, cpu_ms) in rates.items():
        print(f"  {name:28} {rate:7.1f} questions/s ({rate / base_rate:.2f}x)   CPU {cpu_ms:6.2f} ms/question "
              f"({base_cpu / cpu_ms:.2f}x)")
    if sizes:
        print(f"  decision thread batch sizes: median {statistics.median(sizes):.0f}, max {max(sizes)}")


if __name__ == "__main__":
    main()
