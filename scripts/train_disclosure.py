#!/usr/bin/env python3
"""Train the private-report model and write the weights file the bot loads at start.

    .venv/bin/python scripts/train_disclosure.py [--out bot/safety/data/disclosure-model.json] [--check]

Deterministic: the same training files (bot/safety/data/disclosure-train-*.yaml) give byte-identical
output, with the training settings and thresholds of `bot.safety.disclosure` and a SHA-256 of the
training files recorded in it. Run it after changing any training file or setting, and commit both.
--check writes nothing and exits 1 when the file on disk differs from a fresh build (tests do the same).

Only the training files are read: the evaluation sets (benchmarks/data/, tests/data/disclosure-blind*)
must never be trained on.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.safety.disclosure import MODEL_FILE, TRAINING_FILES, dump_document, model_document  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args()
    started = time.perf_counter()
    document = model_document()
    text = dump_document(document)
    seconds = time.perf_counter() - started
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'STALE: run scripts/train_disclosure.py'}")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"trained on {len(TRAINING_FILES)} files in {seconds:.1f} s: {len(document['weights'])} weights, "
          f"{len(text) // 1024} KiB -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
