"""The same question gets the same reply in every process: no decision may depend on the order a set of
strings happens to iterate in, which Python's per-process string hash seed changes (a route once did)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from bot.core.config import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "benchmarks" / "data" / "real-questions.yaml"
FUSED_ITEMS = 150  # the model costs ~15 ms a question: a slice is enough to cover the fusion's ranking

DECIDE_ALL = """
import asyncio, json, os, sys
from pathlib import Path
from bot.core.config import load_settings
from bot.core.service import Service
from bot.evaluation import load_items

async def main():
    service = await Service.create(load_settings(dict(os.environ)))
    assert (service.brain.semantic is not None) == (os.environ["MATCHER"] == "fused"), "model not as asked"
    items = load_items(Path(sys.argv[1]))[: int(sys.argv[2])]
    for item in items:
        reply = service.decide(item.q)
        print(json.dumps([reply.kind.value, reply.faq_id, reply.route_id, list(reply.suggestion_ids),
                          round(reply.confidence, 9), round(reply.private_score, 9)]))
    await service.close()

asyncio.run(main())
"""


def decisions(seed: str, matcher: str, count: int) -> list[list]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "MATCHER": matcher}
    done = subprocess.run([sys.executable, "-c", DECIDE_ALL, str(CORPUS), str(count)], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=300, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_decisions_do_not_depend_on_the_string_hash_seed() -> None:
    for matcher, count in (("lexical", 10_000), ("fused", FUSED_ITEMS)):
        first, second = decisions("1", matcher, count), decisions("2", matcher, count)
        assert len(first) == len(second) >= min(count, 700)
        changed = [i for i, (a, b) in enumerate(zip(first, second)) if a != b]
        assert not changed, f"{matcher}: corpus items {changed[:10]} decided differently"
