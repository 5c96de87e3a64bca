"""Measure the private-report check on every evaluation set, beside two plain baselines, in one run.

    .venv/bin/python benchmarks/eval_disclosure.py [--json out.json] [--list]

Columns: `keywords` (flag any message with a vulnerability keyword, no model), `rules` (the hand-written
`assess_disclosure` rules alone, their own threshold) and `model` (`PrivateReportCheck`, the shipped
one: private-only at `private_at`, "any guidance" at `hint_at`), and, when the embedding model loads,
`embedding` (the same check reading meaning, bot/safety/disclosure_semantic.py: messages the
bag-of-words model scores at or above its gate are judged by the embedding model, with that model's
thresholds; whether or not it is on by default). Every text goes through the same bound + redact steps
as `Service.decide` first.

Rows: the share of ordinary items flagged private-only on the real-question corpus's `tune` and
`check` halves (items whose accepted answers are not `report-vulnerability`), on the blind question
sets (holdout, and ../shared/eval/dev-questions.yaml when present) and on the alarming-looking
ordinary texts of benchmarks/data/real-private-reports.yaml; recall on that file's real reports;
precision / recall on each blind disclosure set in tests/data. Then the check's load time: training at
start (what the bot did before the weights were shipped) against loading the shipped weights, and for `embedding` the share of messages it embeds and the
check's time per message (p50 / p99, bag-of-words alone vs the cascade, the embedding model loaded).

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
from bot.safety.disclosure_semantic import SemanticDisclosure  # noqa: E402
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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def load_times(embedder: object = None, runs: int = 3) -> dict[str, float]:
    """Best-of-`runs` seconds: training the model at start vs loading the shipped weights (and the embedding
    part, the embedding model itself being loaded already for the semantic index)."""
    result = {}
    loads = [("train at start", lambda: PrivateReportCheck(train_default_model())),
             ("shipped weights", PrivateReportCheck.load)]
    if embedder is not None:
        loads.append(("shipped weights + embedding part",
                      lambda: PrivateReportCheck.load(embedder=embedder, semantic=True)))
    for name, load in loads:
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

    try:
        from bot.core.service import shared_embedder

        embedder = shared_embedder()
        semantic = PrivateReportCheck.load(embedder=embedder, semantic=True)
    except Exception as exc:  # noqa: BLE001 - the bag-of-words figures stand without it
        print(f"embedding model unavailable, no `embedding` column: {exc}")
        embedder = semantic = None
    verdicts: dict[str, tuple[float, str, bool]] = {}  # text -> (seconds, level, embedded)

    def meaning(text: str) -> tuple[float, str, bool]:
        if text not in verdicts:
            ready = prepared(text)
            started = time.perf_counter()
            level = semantic.verdict(ready).level
            seconds = time.perf_counter() - started
            verdicts[text] = (seconds, level, check.probability(ready) >= semantic.semantic.embed_at)
        return verdicts[text]

    flags: dict[str, Flag] = {
        "keywords": lambda text: bool(_KEYWORDS.search(prepared(text).lower())),
        "rules": lambda text: assess_disclosure(prepared(text)).is_private_report,
        "model": lambda text: score(text) >= check.private_at,
        "model, any guidance": lambda text: score(text) >= check.hint_at,
    }
    if semantic is not None:
        flags["embedding"] = lambda text: meaning(text)[1] == "confident"
        flags["embedding, any guid."] = lambda text: meaning(text)[1] != "none"
    real_q = DATA / "real-questions.yaml"
    rates = {
        "real questions, tune (ordinary)": ordinary_questions(real_q, "tune"),
        "real questions, check (ordinary)": ordinary_questions(real_q, "check"),
        "holdout questions (ordinary)": ordinary_questions(DATA / "holdout-questions.yaml"),
    }
    if SHARED_DEV.exists():
        rates["shared dev questions (ordinary)"] = ordinary_questions(SHARED_DEV)
    reports = labelled(DATA / "real-private-reports.yaml")
    rates["alarming ordinary texts (real-private-reports)"] = [(i, t) for i, t, p in reports if not p]
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
    sets = {"real reports (real-private-reports, all 95)": reports}
    sets.update({f"{path.name} ({len(labelled(path))})": labelled(path) for path in BLIND_DISCLOSURE})
    for row, items in sets.items():
        cells = {name: precision_recall(flag, items) for name, flag in flags.items()}
        figures[row] = {name: {"precision": round(p, 4), "recall": round(r, 4)} for name, (p, r, _) in cells.items()}
        wrong[row] = cells["model"][2]
        print(f"{row:58}" + "".join(f"{f'{cells[n][0]:.3f} / {cells[n][1]:.3f}':>21}" for n in names))
    times = load_times(embedder)
    figures["load seconds"] = {name: round(seconds, 4) for name, seconds in times.items()}
    print("\nload time of the check (best of 3): " + ", ".join(f"{n} {s * 1000:.0f} ms" for n, s in times.items()))
    print(f"thresholds: model private-only >= {check.private_at}, hint >= {check.hint_at}")
    if semantic is not None:
        reader: SemanticDisclosure = semantic.semantic
        texts = list(verdicts)
        embedded = sum(verdicts[t][2] for t in texts)
        bag = []
        for text in texts:
            ready = prepared(text)
            started = time.perf_counter()
            check.verdict(ready)
            bag.append(time.perf_counter() - started)
        cascade = [verdicts[t][0] for t in texts]
        inside = [verdicts[t][0] for t in texts if verdicts[t][2]] or [0.0]
        questions = {t for row, items in rates.items() if "questions" in row for _, t in items}
        asked = sum(verdicts[t][2] for t in questions) / max(len(questions), 1)
        print(f"embedded share of the ordinary questions (tune, check, holdout, shared dev): {asked:.1%}")
        print(f"embedding: embeds when the model's score >= {reader.embed_at}, then private-only >= "
              f"{reader.private_at}, hint >= {reader.hint_at}; embedded {embedded} of {len(texts)} texts "
              f"({embedded / max(len(texts), 1):.1%}; these sets are report-heavy)")
        print(f"check time per message, p50 / p99: bag-of-words {percentile(bag, 0.5) * 1000:.2f} / "
              f"{percentile(bag, 0.99) * 1000:.2f} ms, embedding cascade {percentile(cascade, 0.5) * 1000:.2f} / "
              f"{percentile(cascade, 0.99) * 1000:.2f} ms (embedded texts only: {percentile(inside, 0.5) * 1000:.2f}"
              f" / {percentile(inside, 0.99) * 1000:.2f} ms)")
        figures["embedding costs"] = {"embedded share": round(embedded / max(len(texts), 1), 4),
                                      "embedded share, ordinary questions": round(asked, 4),
                                      "bag-of-words p50 ms": round(percentile(bag, 0.5) * 1000, 3),
                                      "bag-of-words p99 ms": round(percentile(bag, 0.99) * 1000, 3),
                                      "cascade p50 ms": round(percentile(cascade, 0.5) * 1000, 3),
                                      "cascade p99 ms": round(percentile(cascade, 0.99) * 1000, 3),
                                      "embedded only p50 ms": round(percentile(inside, 0.5) * 1000, 3),
                                      "embedded only p99 ms": round(percentile(inside, 0.99) * 1000, 3)}
    if args.list:
        for row, idents in wrong.items():
            for ident in idents:
                print(f"  [{row}] {ident}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
