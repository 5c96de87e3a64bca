"""`sigsec-bot eval`: score the bot on a labelled question file.

File format (as ../shared/eval/dev-questions.yaml): a YAML list of items with `q` (the message),
`faq` (accepted entry ids; [] when no catalog entry answers) and `route` (accepted route ids;
[] when not scored). Other keys are ignored. Rules per item:
- faq lists ids: the answer is correct when the bot answers with one of them;
- faq is []: answering is a false answer; with a catalog, only answers with catalog ids count
  (an entry the project added beyond the catalog is not held against it);
- route lists ids: the item is correct only if the bot's route is one of them.
Answer accuracy is over items with faq ids; false-answer rate over items with faq []; route
accuracy over items with route ids; overall over all items.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.config import Settings
from bot.core.validation import catalog_faq_ids


class EvalFileError(ValueError):
    """The evaluation file is not a list of labelled items."""


SPLIT_SEED = "sigsec-bot real corpus split 2026-11-28"  # recorded once; never changed to improve a score
SPLITS = ("tune", "check")


@dataclass(frozen=True)
class Item:
    q: str
    faq: tuple[str, ...]
    route: tuple[str, ...]
    source: str = ""

    @property
    def half(self) -> str:
        return corpus_half(self.source)


def corpus_half(source: str) -> str:
    """'tune' or 'check': the real corpora's one split, by the SHA-256 of the seed and the item's source.

    Stable when items are added or reordered, and never chosen by looking at results.
    """
    return "tune" if hashlib.sha256(f"{SPLIT_SEED}|{source}".encode()).digest()[0] % 2 == 0 else "check"


@dataclass(frozen=True)
class Outcome:
    item: Item
    kind: str
    faq_id: str | None
    route_id: str | None
    confidence: float
    answer_ok: bool  # the FAQ part of the item is satisfied
    false_answer: bool  # answered where it should not have
    route_ok: bool | None  # None when the route is not scored

    @property
    def correct(self) -> bool:
        return self.answer_ok and self.route_ok is not False


def load_items(path: Path) -> list[Item]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise EvalFileError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(document, list):
        raise EvalFileError(f"{path} must be a YAML list of items with q, faq and route")
    items = []
    for number, raw in enumerate(document, start=1):
        if not isinstance(raw, dict) or not isinstance(raw.get("q"), str):
            raise EvalFileError(f"{path}: item {number} needs a text field 'q'")
        lists = {}
        for key in ("faq", "route"):
            value = raw.get(key) or []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise EvalFileError(f"{path}: item {number}: '{key}' must be a list of ids")
            lists[key] = tuple(value)
        items.append(Item(raw["q"], lists["faq"], lists["route"], str(raw.get("source") or "")))
    return items


def score(item: Item, *, kind: str, faq_id: str | None, route_id: str | None, confidence: float,
          catalog: frozenset[str] | None) -> Outcome:
    if item.faq:
        answer_ok = faq_id in item.faq
        false_answer = False
    else:
        counts_against = faq_id is not None and (catalog is None or faq_id in catalog)
        answer_ok = not counts_against
        false_answer = counts_against
    route_ok = (route_id in item.route) if item.route else None
    return Outcome(item, kind, faq_id, route_id, confidence, answer_ok, false_answer, route_ok)


def summarize(outcomes: list[Outcome]) -> dict[str, float | int]:
    answerable = [o for o in outcomes if o.item.faq]
    unanswerable = [o for o in outcomes if not o.item.faq]
    routed = [o for o in outcomes if o.route_ok is not None]
    ordinary = [o for o in outcomes if "report-vulnerability" not in o.item.faq]

    def share(hits: int, total: int) -> float:
        return round(hits / total, 4) if total else 0.0

    return {
        "items": len(outcomes),
        "answer_accuracy": share(sum(o.answer_ok for o in answerable), len(answerable)),
        "false_answer_rate": share(sum(o.false_answer for o in unanswerable), len(unanswerable)),
        "route_accuracy": share(sum(bool(o.route_ok) for o in routed), len(routed)),
        "overall": share(sum(o.correct for o in outcomes), len(outcomes)),
        # ordinary questions (not about reporting a vulnerability) that got the private-only reply
        "private_flagged_rate": share(sum(o.kind == "private" for o in ordinary), len(ordinary)),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "route_scored": len(routed),
    }


async def evaluate(settings: Settings, items: list[Item], catalog: frozenset[str] | None) -> list[Outcome]:
    from bot.core.service import Service

    service = await Service.create(settings)
    outcomes = []
    for item in items:
        reply = service.decide(item.q)  # no rate limit, no logging: a measurement
        outcomes.append(score(item, kind=reply.kind.value, faq_id=reply.faq_id, route_id=reply.route_id,
                              confidence=reply.confidence, catalog=catalog))
    return outcomes


def run_eval(settings: Settings, path: Path, *, catalog: Path | None, as_json: bool, split: str | None = None) -> int:
    try:
        items = load_items(path)
    except EvalFileError as exc:
        print(f"sigsec-bot eval: {exc}")
        return 2
    if split:
        items = [item for item in items if item.half == split]
    catalog_ids = catalog_faq_ids(catalog) if catalog else None
    outcomes = asyncio.run(evaluate(settings, items, catalog_ids))
    summary = summarize(outcomes)
    if as_json:
        for o in outcomes:
            print(json.dumps({"q": o.item.q, "kind": o.kind, "faq_id": o.faq_id, "route_id": o.route_id,
                              "confidence": round(o.confidence, 3)}, ensure_ascii=False))
        print(json.dumps({"summary": summary}))
        return 0
    print(f"items:             {summary['items']}")
    print(f"answer accuracy:   {summary['answer_accuracy']:.1%}  (of {summary['answerable']} answerable)")
    print(f"false-answer rate: {summary['false_answer_rate']:.1%}  (of {summary['unanswerable']} with no answer)")
    print(f"route accuracy:    {summary['route_accuracy']:.1%}  (of {summary['route_scored']} with a route)")
    print(f"overall:           {summary['overall']:.1%}")
    print(f"flagged private:   {summary['private_flagged_rate']:.1%}  (of ordinary questions)")
    wrong = [o for o in outcomes if not o.correct]
    if wrong:
        print(f"\n{len(wrong)} wrong:")
    for o in wrong:
        expected = f"faq {list(o.item.faq) or '-'} route {list(o.item.route) or '-'}"
        got = f"{o.kind} {o.faq_id or '-'} route {o.route_id or '-'} ({o.confidence:.2f})"
        print(f"- {o.item.q[:100]!r}\n    expected {expected}; got {got}")
    return 0
