#!/usr/bin/env python3
"""Train the private-report model and write the weights file the bot loads at start.

    .venv/bin/python scripts/train_disclosure.py [--out bot/safety/data/disclosure-model.json] [--check]
        [--semantic] [--select]

Deterministic: the same training files (bot/safety/data/disclosure-train-*.yaml) give byte-identical
output, with the training settings and thresholds of `bot.safety.disclosure` and a SHA-256 of the
training files recorded in it. Run it after changing any training file or setting, and commit both.
--check writes nothing and exits 1 when the file on disk differs from a fresh build (tests do the same).

--semantic also (re)builds bot/safety/data/disclosure-semantic.json, the embedding part of the check
(bot/safety/disclosure_semantic.py; needs the embedding model), and with --check compares it too.
--select prints the selection table of docs/matching.md ("Reading meaning"): 5-fold cross-validation on
the training files and the flagged share of the real-question corpus's `tune` half, for every candidate.

Only the training files (and, for --select, the `tune` half's ordinary questions) are read: the evaluation sets (benchmarks/data/, tests/data/disclosure-blind*)
must never be trained on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.safety.disclosure import MODEL_FILE, TRAINING_FILES, dump_document, model_document  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GATES = (0.0, 0.05, 0.2)
L2S = (1e-3, 1e-2, 1e-1)
PRIVATE_ATS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))


def tune_half() -> list[str]:
    """The ordinary questions of the real-question corpus's `tune` half, bounded and redacted as in the bot."""
    import yaml

    from bot.evaluation import corpus_half
    from bot.safety.bounds import bound_input
    from bot.safety.secrets import redact_secrets

    items = yaml.safe_load((ROOT / "benchmarks" / "data" / "real-questions.yaml").read_text(encoding="utf-8"))
    return [redact_secrets(bound_input(i["q"], limit=4000).text).text for i in items
            if "report-vulnerability" not in (i.get("faq") or []) and corpus_half(str(i.get("source") or "")) == "tune"]


def select() -> int:
    """Print every candidate of the selection rule and the winner."""
    import numpy as np

    from bot.core.service import shared_embedder
    from bot.safety import disclosure_semantic as sem
    from bot.safety.disclosure import PrivateReportCheck, load_examples

    embedder = shared_embedder()
    examples, real = [], []
    for path in TRAINING_FILES:
        for example in load_examples([path]):
            examples.append(example)
            real.append("real" in path.name)
    labels = np.array([label for _, label in examples])
    real = np.array(real)
    folds = np.array(sem.fold_of(len(examples)))
    logits, _ = sem.out_of_fold_logits(examples, list(folds))
    x = sem.design(embedder.encode([t for t, _ in examples]), logits)
    bow_oof = 1 / (1 + np.exp(-np.array(logits)))
    shipped = PrivateReportCheck.load()
    tune = tune_half()
    tune_logits = [shipped.model.logit(t) for t in tune]
    tune_x = sem.design(embedder.encode(tune), tune_logits)
    tune_bow = 1 / (1 + np.exp(-np.array(tune_logits)))
    real_pos, real_neg, syn_pos = real & labels, real & ~labels, ~real & labels
    print(f"{len(examples)} training examples, {int(real_pos.sum())} real reports, tune half {len(tune)} ordinary")
    print(f"bag-of-words alone at 0.9: CV real recall {np.mean(bow_oof[real_pos] >= 0.9):.3f}, "
          f"tune flagged {np.mean(tune_bow >= 0.9):.1%}")
    rows = []
    for l2 in L2S:
        cv = np.zeros(len(examples))
        for k in range(sem.FOLDS):
            w = sem.fit(x[folds != k], labels[folds != k], l2, sem.SEMANTIC_TRAINING["newton_steps"])
            cv[folds == k] = 1 / (1 + np.exp(-(x[folds == k] @ w)))
        w = sem.fit(x, labels, l2, sem.SEMANTIC_TRAINING["newton_steps"])
        tune_p = 1 / (1 + np.exp(-(tune_x @ w)))
        for gate in GATES:
            score = np.where(bow_oof >= gate, cv, bow_oof)
            tune_score = np.where(tune_bow >= gate, tune_p, tune_bow)
            for at in PRIVATE_ATS:
                rows.append(dict(l2=l2, gate=gate, at=at, tune=float(np.mean(tune_score >= at)),
                                 recall=float(np.mean(score[real_pos] >= at)),
                                 fa=float(np.mean(score[real_neg] >= at)), syn=float(np.mean(score[syn_pos] >= at)),
                                 embedded=float(np.mean(tune_bow >= gate))))
    print(f"{'l2':>7} {'gate':>5} {'priv':>5} {'tune flagged':>13} {'CV real recall':>15} {'CV real FA':>11}"
          f" {'CV synth recall':>16} {'tune embedded':>14}")
    for r in rows:
        print(f"{r['l2']:>7} {r['gate']:>5} {r['at']:>5} {r['tune']:>13.1%} {r['recall']:>15.3f} {r['fa']:>11.1%}"
              f" {r['syn']:>16.3f} {r['embedded']:>14.1%}")
    ok = [r for r in rows if r["tune"] <= 0.02]
    best = max(ok, key=lambda r: (r["recall"], r["at"], r["gate"], r["l2"]))
    print(f"chosen: {best}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    parser.add_argument("--semantic", action="store_true", help="also build the embedding part of the check")
    parser.add_argument("--select", action="store_true", help="print the selection table, write nothing")
    args = parser.parse_args()
    if args.select:
        return select()
    started = time.perf_counter()
    document = model_document()
    text = dump_document(document)
    seconds = time.perf_counter() - started
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'STALE: run scripts/train_disclosure.py'}")
    status = 1 if args.check and not same else 0
    if not args.check:
        args.out.write_text(text, encoding="utf-8")
        print(f"trained on {len(TRAINING_FILES)} files in {seconds:.1f} s: {len(document['weights'])} weights, "
              f"{len(text) // 1024} KiB -> {args.out}")
    if not args.semantic:
        return status
    from bot.core.service import shared_embedder
    from bot.safety.disclosure_semantic import SEMANTIC_FILE, dump_semantic, semantic_document

    started = time.perf_counter()
    semantic = dump_semantic(semantic_document(shared_embedder()))
    if args.check:
        same = SEMANTIC_FILE.exists() and SEMANTIC_FILE.read_text(encoding="utf-8") == semantic
        print(f"{SEMANTIC_FILE}: {'up to date' if same else 'STALE: run scripts/train_disclosure.py --semantic'}")
        return status if same else 1
    SEMANTIC_FILE.write_text(semantic, encoding="utf-8")
    print(f"embedding part trained in {time.perf_counter() - started:.1f} s -> {SEMANTIC_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
