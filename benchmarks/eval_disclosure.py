"""Measure the private-report check on every evaluation set, beside two plain baselines, in one run.

    .venv/bin/python benchmarks/eval_disclosure.py [--json out.json] [--list]

Columns: `keywords` (flag any message with a vulnerability keyword, no model), `rules` (the hand-written
`assess_disclosure` rules alone, their own threshold) and `model` (`PrivateReportCheck`, the shipped
one: private-only at `private_at`, "any guidance" at `hint_at`). Every text goes through the same
bound + redact steps as `Service.decide` first.

Rows: the share of ordinary items flagged private-only on the real-question corpus's `tune` and
`check` halves (items whose accepted answers are not `report-vulnerability`), on the blind question
sets (holdout, and ../shared/eval/dev-questions.yaml when present) and on the alarming-looking
ordinary texts of benchmarks/data/real-private-reports.yaml and -2.yaml; precision / recall on those files' texts;
precision / recall on each blind disclosure set in tests/data. Then the check's load time: training at
start (what the bot did before the weights were shipped) against loading the shipped weights.

None of these sets is trained on; only training data and the `tune` half may be used to choose
features, regularisation and thresholds (scripts/train_disclosure.py). `--list` prints the ids of
wrongly judged items (source URL or first words), never to tune on.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import yaml  # noqa: E402

from bot.evaluation import corpus_half  # noqa: E402
from bot.safety.bounds import bound_input  # noqa: E402
from bot.safety.disclosure import PrivateReportCheck, assess_disclosure, train_default_model  # noqa: E402
from bot.safety.secrets import redact_secrets  # noqa: E402

DATA = ROOT / "benchmarks" / "data"
BLIND_DISCLOSURE = sorted((ROOT / "tests" / "data").glob("disclosure-blind*.yaml"))
SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev-questions.yaml"
MAX_CHARS = 4000  # Settings.max_input_chars' default

# The plain baseline: a keyword list, as a first version of such a check would be written.
_KEYWORDS = re.compile(r"\b(?:vulnerabilit(?:y|ies)|exploit\w*|0-?day|zero[- ]day|rce|poc|proof of concept"
                       r"|privilege escalation|security (?:issue|bug|hole|flaw)|bypass\w*|container escape"
                       r"|report (?:it |this )?privately)\b")

Flag = Callable[[str], bool]


def prepared(text: str) -> str:
    """What the check sees in the bot: bounded, then redacted."""
    return redact_secrets(bound_input(text, limit=MAX_CHARS).text).text


def ordinary_questions(path: Path, which: str | None = None) -> list[tuple[str, str]]:
    """(id, text) of question-corpus items that do not ask how to report a vulnerability."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [(str(i.get("source") or i["q"][:60]), i["q"]) for i in items
            if "report-vulnerability" not in (i.get("faq") or [])
            and (which is None or corpus_half(str(i.get("source") or "")) == which)]


def labelled(path: Path) -> list[tuple[str, str, bool]]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [(str(i.get("source") or i["text"][:60]), i["text"], bool(i["private"])) for i in items]


def flag_rate(flag: Flag, items: list[tuple[str, str]]) -> tuple[float, list[str]]:
    wrong = [ident for ident, text in items if flag(text)]
    return len(wrong) / max(len(items), 1), wrong


def precision_recall(flag: Flag, items: list[tuple[str, str, bool]]) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    wrong = []
    for ident, text, private in items:
        predicted = flag(text)
        tp += predicted and private
        fp += predicted and not private
        fn += private and not predicted
        if predicted != private:
            wrong.append(("FP " if predicted else "FN ") + ident)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1), wrong


def load_times(runs: int = 3) -> dict[str, float]:
    """Best-of-`runs` seconds: training the model at start vs loading the shipped weights."""
    result = {}
    for name, load in (("train at start", lambda: PrivateReportCheck(train_default_model())),
                       ("shipped weights", PrivateReportCheck.load)):
        best = float("inf")
        for _ in range(runs):
            started = time.perf_counter()
            load()
            best = min(best, time.perf_counter() - started)
        result[name] = best
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--list", action="store_true", help="print the ids of wrongly judged items")
    args = parser.parse_args()

    check = PrivateReportCheck.load()
    cache: dict[str, float] = {}

    def score(text: str) -> float:
        if text not in cache:
            cache[text] = check.probability(prepared(text))
        return cache[text]

    flags: dict[str, Flag] = {
        "keywords": lambda text: bool(_KEYWORDS.search(prepared(text).lower())),
        "rules": lambda text: assess_disclosure(prepared(text)).is_private_report,
        "model": lambda text: score(text) >= check.private_at,
        "model, any guidance": lambda text: score(text) >= check.hint_at,
    }
    real_q = DATA / "real-questions.yaml"
    rates = {
        "real questions, tune (ordinary)": ordinary_questions(real_q, "tune"),
        "real questions, check (ordinary)": ordinary_questions(real_q, "check"),
        "holdout questions (ordinary)": ordinary_questions(DATA / "holdout-questions.yaml"),
    }
    if SHARED_DEV.exists():
        rates["shared dev questions (ordinary)"] = ordinary_questions(SHARED_DEV)
    reports = labelled(DATA / "real-private-reports.yaml")
    reports_2 = labelled(DATA / "real-private-reports-2.yaml")
    rates["alarming ordinary texts (real-private-reports)"] = [(i, t) for i, t, p in reports if not p]
    rates["alarming ordinary texts (real-private-reports-2)"] = [(i, t) for i, t, p in reports_2 if not p]
    figures: dict[str, dict[str, object]] = {}
    wrong: dict[str, list[str]] = {}
    names = list(flags)
    print(f"{'flagged share of ordinary items (lower is better)':58}" + "".join(f"{n:>21}" for n in names))
    for row, items in rates.items():
        cells = {name: flag_rate(flag, items) for name, flag in flags.items()}
        figures[row] = {name: round(rate, 4) for name, (rate, _) in cells.items()} | {"items": len(items)}
        wrong[row] = cells["model"][1]
        print(f"{row + f' ({len(items)})':58}" + "".join(f"{cells[n][0]:>21.1%}" for n in names))
    print(f"\n{'precision / recall (higher is better)':58}" + "".join(f"{n:>21}" for n in names))
    sets = {f"real reports (real-private-reports, all {len(reports)})": reports,
            f"real reports (real-private-reports-2, all {len(reports_2)})": reports_2}
    sets.update({f"{path.name} ({len(labelled(path))})": labelled(path) for path in BLIND_DISCLOSURE})
    for row, items in sets.items():
        cells = {name: precision_recall(flag, items) for name, flag in flags.items()}
        figures[row] = {name: {"precision": round(p, 4), "recall": round(r, 4)} for name, (p, r, _) in cells.items()}
        wrong[row] = cells["model"][2]
        print(f"{row:58}" + "".join(f"{f'{cells[n][0]:.3f} / {cells[n][1]:.3f}':>21}" for n in names))
    times = load_times()
    figures["load seconds"] = {name: round(seconds, 4) for name, seconds in times.items()}
    print("\nload time of the check (best of 3): " + ", ".join(f"{n} {s * 1000:.0f} ms" for n, s in times.items()))
    print(f"thresholds: private-only >= {check.private_at}, hint >= {check.hint_at}")
    if args.list:
        for row, idents in wrong.items():
            for ident in idents:
                print(f"  [{row}] {ident}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
