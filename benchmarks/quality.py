"""Answer quality of the bot beside a plain baseline, on a labelled question file.

    .venv/bin/python benchmarks/quality.py [FILE] [--catalog PATH]
    .venv/bin/python benchmarks/quality.py --all     # dev, holdout, tune, check; lexical, embeddings, fused

With `--all`, one run prints every set with the lexical matcher alone, the embedding model alone and the
fused decision (as `benchmarks/tune_fusion.py` computes them, the shipped policy) beside the baseline;
dev and holdout are scored against the catalog, the real corpus's halves against this project's ids.

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


def all_sets(catalog_path: Path) -> None:
    """Every set, every mode, beside the baseline at its best cutoff on that set: one run."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from tune_fusion import MODES, SETS, prepare, run

    from bot.core.service import Service

    service = asyncio.run(Service.create(load_settings({"MATCHER": "fused"})))
    catalog = catalog_faq_ids(catalog_path)
    prepared = prepare(service, list(SETS))
    print(f"policy: {service.brain.fusion}")
    print(f"{'set':8} {'mode':18} {'answers':>8} {'false':>7} {'routes':>7} {'overall':>8}")
    for name, rows in prepared.items():
        results = [(mode, run(service, name, rows, catalog, mode)) for mode in MODES]
        items = [row.item for row in rows]
        counted = catalog if SETS[name][2] else None
        best_cutoff, plain = max(((c, baseline(items, service.knowledge, counted, c)) for c in (60, 70, 80, 90)),
                                 key=lambda cs: cs[1]["answer_accuracy"] - cs[1]["false_answer_rate"])
        results.append((f"WRatio>={best_cutoff}", plain))
        for mode, s in results:
            routes = f"{s['route_accuracy']:7.1%}" if not mode.startswith("WRatio") else f"{'-':>7}"
            print(f"{name:8} {mode:18} {s['answer_accuracy']:8.1%} {s['false_answer_rate']:7.1%} {routes} "
                  f"{s['overall']:8.1%}  (n={s['items']})")
    print("(baseline: WRatio over canonical questions only, at its best cutoff per set; it has no router)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", type=Path, default=ROOT.parent / "shared/eval/dev-questions.yaml")
    parser.add_argument("--catalog", type=Path, default=ROOT.parent / "shared/knowledge-catalog.yaml")
    parser.add_argument("--all", action="store_true", help="every set and mode side by side (one run)")
    args = parser.parse_args()
    if args.all:
        all_sets(args.catalog)
        return
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
