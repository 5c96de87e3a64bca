"""Answer quality of the bot beside a plain baseline, on a labelled question file.

    .venv/bin/python benchmarks/quality.py [FILE] [--catalog PATH]

FILE defaults to ../shared/eval/dev-questions.yaml. The baseline is rapidfuzz `WRatio` over the
canonical questions only (no alternates, no term weighting, no routing), answering when its best
score reaches a cutoff; it is shown at its own best cutoff (tuned on FILE, which flatters it).
Both are scored with the same rules as `sigsec-bot eval`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from rapidfuzz import fuzz, process, utils

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.config import load_settings  # noqa: E402
from bot.evaluation import evaluate, load_items, score, summarize  # noqa: E402
from bot.core.knowledge import load_or_raise  # noqa: E402
from bot.core.validation import catalog_faq_ids  # noqa: E402


def baseline(items, knowledge, catalog, cutoff: float) -> dict:
    questions = [e.question for e in knowledge.entries]
    outcomes = []
    for item in items:
        best = process.extractOne(item.q, questions, scorer=fuzz.WRatio, processor=utils.default_process)
        faq_id = knowledge.entries[best[2]].id if best and best[1] >= cutoff else None
        outcomes.append(score(item, kind="answered" if faq_id else "unknown", faq_id=faq_id, route_id=None,
                              confidence=(best[1] / 100) if best else 0.0, catalog=catalog))
    return summarize(outcomes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=ROOT.parent / "shared/eval/dev-questions.yaml")
    parser.add_argument("--catalog", type=Path, default=ROOT.parent / "shared/knowledge-catalog.yaml")
    args = parser.parse_args()
    settings = load_settings({})
    knowledge = load_or_raise(settings.knowledge_dir, settings.routing_file)
    catalog = catalog_faq_ids(args.catalog) if args.catalog.exists() else None
    items = load_items(args.file)
    ours = summarize(asyncio.run(evaluate(settings, items, catalog)))
    cutoffs = (60, 70, 80, 90)
    baselines = {cutoff: baseline(items, knowledge, catalog, cutoff) for cutoff in cutoffs}
    print(f"{args.file.name}: {ours['items']} items")
    print(f"{'metric':<20}{'sigsec-bot':>12}" + "".join(f"{f'WRatio>={c}':>13}" for c in cutoffs))
    for metric in ("answer_accuracy", "false_answer_rate", "route_accuracy", "overall"):
        print(f"{metric:<20}{ours[metric]:>12.1%}" + "".join(f"{baselines[c][metric]:>13.1%}" for c in cutoffs))
    print("(baseline: WRatio over canonical questions only, answering at the cutoff; it has no router)")


if __name__ == "__main__":
    main()
