"""From usage to knowledge: `sigsec-bot suggest` proposes alternates, checked against the eval sets.

    result = await suggest(settings, storage, days=90, eval_files=[...])
    result.patch_yaml()      # the YAML patch to review (never written into knowledge/)

Phrasings people confirmed (`usage`) become proposed `alternates`. The eval sets are run on the
knowledge as it is and with the patch (a patched copy in a temporary folder). A change that lowers
any score of any set (answer, route or overall accuracy down; false-answer or private-flagged rate
up), or that turns an item that was right into a wrong one, is refused: an entry that now wrongly
answers an item that was right is dropped (a gain elsewhere must not hide a loss in the totals), and if a
score still drops with no entry to blame, each entry is tried alone. Nothing is proposed otherwise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from bot.core.config import PROJECT_ROOT, Settings
from bot.core.knowledge import KnowledgeBase, knowledge_files, load_knowledge
from bot.curation.usage import Candidate, candidates, confirmed_phrasings

DEFAULT_EVAL_SETS = (PROJECT_ROOT.parent / "shared" / "eval" / "dev-questions.yaml",
                     PROJECT_ROOT / "benchmarks" / "data" / "holdout-questions.yaml",
                     PROJECT_ROOT / "benchmarks" / "data" / "real-questions.yaml")
DEFAULT_CATALOG = PROJECT_ROOT.parent / "shared" / "knowledge-catalog.yaml"
HIGHER_IS_BETTER = ("answer_accuracy", "route_accuracy", "overall")
LOWER_IS_BETTER = ("false_answer_rate", "private_flagged_rate")
MAX_ENTRIES = 20  # entries in one patch: bounds the entry-by-entry eval runs
Patch = dict[str, list[Candidate]]
Scores = dict[str, dict[str, float]]  # eval set name -> metric -> value


@dataclass
class SuggestResult:
    """What was proposed, what was refused and why, and the scores behind both."""

    days: int
    proposed: Patch
    refused: dict[str, str] = field(default_factory=dict)  # entry id -> the score it lowered
    before: Scores = field(default_factory=dict)
    after: Scores = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # entry id -> its knowledge file

    def patch_yaml(self) -> str:
        """The patch: per entry, the alternates to add with their counts; then the scores."""
        document = {
            "generated_by": "sigsec-bot suggest",
            "window_days": self.days,
            "note": "Review, then copy the alternates into the entries' knowledge files by hand.",
            "entries": [
                {"id": faq_id, "file": f"knowledge/{self.sources.get(faq_id, '?')}", "add_alternates": [
                    {"text": c.text, "count": c.count, "askers": len(c.askers), "sources": dict(sorted(c.sources.items()))}
                    for c in found]}
                for faq_id, found in sorted(self.proposed.items())],
            "refused": [{"id": faq_id, "lowers": why} for faq_id, why in sorted(self.refused.items())],
            "eval": {"before": self.before, "after": self.after},
        }
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)


def lowered(before: Scores, after: Scores) -> str | None:
    """The first score the change lowers (`set: metric a -> b`), or None."""
    for name, old in before.items():
        new = after.get(name, {})
        for metric in HIGHER_IS_BETTER:
            if new.get(metric, 0.0) < old.get(metric, 0.0):
                return f"{name}: {metric} {old[metric]} -> {new.get(metric)}"
        for metric in LOWER_IS_BETTER:
            if new.get(metric, 0.0) > old.get(metric, 0.0):
                return f"{name}: {metric} {old[metric]} -> {new.get(metric)}"
    return None


def patched_copy(knowledge_dir: Path, patch: Patch, folder: Path) -> Path:
    """A copy of the knowledge folder with the patch's alternates added; the original is never touched."""
    target = folder / "knowledge"
    shutil.copytree(knowledge_dir, target)
    wanted = {faq_id: [c.text for c in found] for faq_id, found in patch.items() if found}
    for path in knowledge_files(target):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        entries = document.get("entries") if isinstance(document, dict) else None
        changed = False
        for raw in entries or []:
            if isinstance(raw, dict) and raw.get("id") in wanted:
                raw["alternates"] = [*(raw.get("alternates") or []), *wanted[raw["id"]]]
                changed = True
        if changed:
            path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return target


Outcomes = dict[str, list[Any]]  # eval set name -> bot.evaluation.Outcome per item


async def run_sets(settings: Settings, eval_files: Iterable[Path], catalog: Path | None) -> tuple[Scores, Outcomes]:
    """Each eval set's summary and per-item outcomes (`bot.evaluation`) for the knowledge `settings` points at."""
    from bot.core.service import Service
    from bot.core.validation import catalog_faq_ids
    from bot.evaluation import load_items, score, summarize

    catalog_ids = catalog_faq_ids(catalog) if catalog else None
    service = await Service.create(settings)
    try:
        found: Scores = {}
        outcomes: Outcomes = {}
        for path in eval_files:
            outcomes[path.name] = []
            for item in load_items(path):
                reply = service.decide(item.q)
                outcomes[path.name].append(score(item, kind=reply.kind.value, faq_id=reply.faq_id,
                                                 route_id=reply.route_id, confidence=reply.confidence,
                                                 catalog=catalog_ids))
            summary = summarize(outcomes[path.name])
            found[path.name] = {m: float(summary[m]) for m in (*HIGHER_IS_BETTER, *LOWER_IS_BETTER)}
        return found, outcomes
    finally:
        await service.close()


async def _with(settings: Settings, patch: Patch, eval_files: list[Path],
                catalog: Path | None) -> tuple[Scores, Outcomes]:
    with tempfile.TemporaryDirectory(prefix="sigsec-suggest-") as folder:
        patched = patched_copy(settings.knowledge_dir, patch, Path(folder))
        _knowledge, problems = load_knowledge(patched, settings.routing_file)
        if any(p.severity == "error" for p in problems):
            raise ValueError("the patched knowledge does not load")
        return await run_sets(dataclasses.replace(settings, knowledge_dir=patched), eval_files, catalog)


def blame(before: Outcomes, after: Outcomes, patch: Patch) -> dict[str, str]:
    """Entries of the patch that now answer an item that was right before and is wrong now."""
    blamed: dict[str, str] = {}
    for name, outcomes in after.items():
        for old, new in zip(before.get(name, []), outcomes):
            if old.correct and not new.correct and new.faq_id in patch and new.faq_id not in blamed:
                blamed[new.faq_id] = f"{name}: turns a right item into a wrong one (now answered with it)"
    return blamed


async def check(settings: Settings, patch: Patch, eval_files: list[Path], catalog: Path | None,
                before: tuple[Scores, Outcomes]) -> tuple[Patch, dict[str, str], Scores]:
    """The largest part of `patch` that lowers no score and turns no right item wrong.

    Entries that now answer items that were right are dropped (a gain elsewhere must not hide a
    loss); if a score still drops with no entry to blame, each entry is tried alone."""
    kept, refused = dict(patch), {}
    while kept:
        after = await _with(settings, kept, eval_files, catalog)
        blamed = blame(before[1], after[1], kept)
        if not blamed:
            if lowered(before[0], after[0]) is None:
                return kept, refused, after[0]
            break
        refused.update(blamed)
        kept = {faq_id: found for faq_id, found in kept.items() if faq_id not in blamed}
    if not kept:
        return {}, refused, before[0]
    alone_ok: Patch = {}
    for faq_id, found in kept.items():
        why = lowered(before[0], (await _with(settings, {faq_id: found}, eval_files, catalog))[0])
        if why is None:
            alone_ok[faq_id] = found
        else:
            refused[faq_id] = why
    if alone_ok:
        after = await _with(settings, alone_ok, eval_files, catalog)
        if lowered(before[0], after[0]) is None and not blame(before[1], after[1], alone_ok):
            return alone_ok, refused, after[0]
        refused.update({faq_id: "together with the others it lowers a score" for faq_id in alone_ok})
    return {}, refused, before[0]


async def suggest(settings: Settings, storage: Any, *, knowledge: KnowledgeBase, days: int = 90,
                  eval_files: list[Path] | None = None, catalog: Path | None = None, min_count: int = 1,
                  now: dt.datetime | None = None) -> SuggestResult:
    """Gather confirmed phrasings of the last `days` days and keep what lowers no eval score."""
    since = (now or storage.clock()) - dt.timedelta(days=days)
    rows = await confirmed_phrasings(storage.engine, since=since)
    found = candidates(rows, knowledge, min_count=min_count)
    ranked = sorted(found.items(), key=lambda item: -sum(c.count for c in item[1]))[:MAX_ENTRIES]
    patch: Patch = dict(sorted(ranked))
    files = [path for path in (eval_files if eval_files is not None else DEFAULT_EVAL_SETS) if path.is_file()]
    before = await run_sets(settings, files, catalog) if patch else ({}, {})
    kept, refused, after = await check(settings, patch, files, catalog, before)
    sources = {entry.id: entry.source for entry in knowledge.entries}
    return SuggestResult(days=days, proposed=kept, refused=refused, before=before[0], after=after, sources=sources)
