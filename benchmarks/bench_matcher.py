"""Matcher speed: index build time and per-question latency, beside plain rapidfuzz.

    .venv/bin/python benchmarks/bench_matcher.py [--quick]

Knowledge sizes: the shipped knowledge, and generated knowledge of 1,000 and 10,000 entries
(5 phrasings each, words drawn from the shipped vocabulary plus synthetic words). Questions:
perturbed phrasings (typos, preambles, dropped words) plus off-topic chatter. The baseline is
`rapidfuzz.process.extractOne(question, all_phrasings, scorer=WRatio)` over the same strings.
Targets: p99 < 1 ms shipped, < 10 ms at 10,000 entries; build < 1 s at 10,000.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.config import load_settings  # noqa: E402
from bot.core.knowledge import FaqEntry, load_or_raise  # noqa: E402
from bot.core.matcher import Matcher  # noqa: E402
from bot.core.text import Shorthand, tokens  # noqa: E402

SETTINGS = load_settings({})

BUILD_RUNS = 5
PREAMBLES = ["hey folks, quick q: ", "hi all! ", "sorry if this is the wrong channel but ", "",
             "we're on a managed cluster and ", "ok long story short, ", ""]
CHATTER = ["thanks!", "anyone around?", "pod stuck in pending, ideas?", "lol", "how do i scale a deployment",
           "what time is the contributor summit", "helm chart values question", "good morning"]


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 5:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def perturb(phrasing: str, rng: random.Random) -> str:
    words = phrasing.split()
    if len(words) > 3 and rng.random() < 0.5:
        words.pop(rng.randrange(len(words)))
    words = [typo(w, rng) if rng.random() < 0.15 else w for w in words]
    return rng.choice(PREAMBLES) + " ".join(words)


def generated_entries(count: int, vocabulary: list[str], rng: random.Random) -> list[FaqEntry]:
    synthetic = [f"{rng.choice(vocabulary)[:4]}{n}x" for n in range(count // 2)]
    pool = vocabulary + synthetic
    entries = []
    for n in range(count):
        topic = rng.sample(pool, 3)

        def phrase() -> str:
            return " ".join(rng.sample(pool, 4) + topic + rng.sample(["how", "do", "i", "the", "what", "is"], 2))

        entries.append(FaqEntry(id=f"gen-{n}", question=phrase(), answer=" ".join(rng.sample(pool, 30)),
                                alternates=tuple(phrase() for _ in range(4)), tags=tuple(topic),
                                reviewed=dt.date(2026, 1, 1)))
    return entries


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(name: str, entries: list[FaqEntry], shorthand: Shorthand, questions: list[str]) -> dict:
    builds = []
    for _ in range(BUILD_RUNS):  # this machine's timings are noisy: report the best and the median
        started = time.perf_counter()
        matcher = Matcher(entries, shorthand, answer_threshold=SETTINGS.answer_threshold,
                          suggest_threshold=SETTINGS.suggest_threshold)
        builds.append(time.perf_counter() - started)
    phrasings = [p for e in entries for p in e.phrasings]
    for q in questions[:20]:  # warm caches of both sides
        matcher.match(q)
        process.extractOne(q, phrasings, scorer=fuzz.WRatio)
    # Timed apart: interleaving the baseline between matches would evict the matcher's caches.
    ours, base = [], []
    for q in questions:
        t0 = time.perf_counter()
        matcher.match(q)
        ours.append((time.perf_counter() - t0) * 1000)
    for q in questions:
        t0 = time.perf_counter()
        process.extractOne(q, phrasings, scorer=fuzz.WRatio)
        base.append((time.perf_counter() - t0) * 1000)
    return {"knowledge": name, "entries": len(entries), "phrasings": len(phrasings), "build_s": min(builds),
            "build_median_s": statistics.median(builds),
            "p50": statistics.median(ours), "p99": percentile(ours, 0.99),
            "base_p50": statistics.median(base), "base_p99": percentile(base, 0.99), "questions": len(questions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer questions and no 10,000 run")
    args = parser.parse_args()
    rng = random.Random(7)
    settings = load_settings({})
    knowledge = load_or_raise(settings.knowledge_dir, settings.routing_file)
    shorthand = Shorthand.load(settings.shorthand_file)
    shipped = list(knowledge.entries)
    vocabulary = sorted({w for e in shipped for p in e.phrasings for w in tokens(p) if len(w) > 3})
    count = 300 if args.quick else 2000
    rows = []
    sizes = [("shipped", shipped)] + [(f"generated {n:,}", generated_entries(n, vocabulary, rng))
                                      for n in ((1000,) if args.quick else (1000, 10000))]
    for name, entries in sizes:
        sources = [p for e in entries for p in e.phrasings]
        questions = [perturb(rng.choice(sources), rng) for _ in range(count)] + CHATTER * (count // 80)
        rows.append(measure(name, entries, shorthand, questions))
    print(f"{'knowledge':<18}{'entries':>8}{'phrasings':>10}{'build s':>9}{'median':>8}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'extractOne p50':>16}{'extractOne p99':>16}")
    for r in rows:
        print(f"{r['knowledge']:<18}{r['entries']:>8,}{r['phrasings']:>10,}{r['build_s']:>9.3f}"
              f"{r['build_median_s']:>8.3f}{r['p50']:>9.3f}"
              f"{r['p99']:>9.3f}{r['base_p50']:>16.3f}{r['base_p99']:>16.3f}")
    print(f"({rows[0]['questions']} questions per size; latency is Matcher.match alone, one core; "
          f"build s is the best of {BUILD_RUNS} builds)")


if __name__ == "__main__":
    main()
