"""The one tune/check split of the real-question corpora, fixed and recorded.

An item's half is decided by the SHA-256 of a recorded seed and its source URL (`bot.evaluation.corpus_half`): stable when items are added or
reordered, and never chosen by looking at results. Tune thresholds and weights on `tune` only;
report both halves. `python benchmarks/split.py FILE...` prints each file's counts per half.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.evaluation import corpus_half  # noqa: E402


def half(item: dict[str, Any]) -> str:
    """'tune' or 'check' for one corpus item (by its source): `bot.evaluation.corpus_half`."""
    return corpus_half(str(item.get("source") or ""))


def load(path: Path, which: str | None = None) -> list[dict[str, Any]]:
    """A corpus file's items, optionally only one half."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [item for item in items if which is None or half(item) == which]


if __name__ == "__main__":
    for name in sys.argv[1:]:
        items = load(Path(name))
        tune = sum(half(item) == "tune" for item in items)
        print(f"{name}: {len(items)} items, tune {tune}, check {len(items) - tune}")
