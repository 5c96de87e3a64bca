"""`sigsec-bot suggest`: write the alternates patch, or say why nothing is proposed."""

from __future__ import annotations

from pathlib import Path

from bot.core.config import ConfigError, Settings
from bot.core.knowledge import load_or_raise

EXIT_REFUSED = 1  # there were phrasings to propose, and every one of them lowered a score


async def run_suggest(settings: Settings, *, days: int, out: Path, eval_files: list[Path] | None,
                      catalog: Path | None, min_count: int) -> int:
    """Gather, check, write; prints what was proposed and refused (entry ids and scores, never user text)."""
    from bot.bootstrap import open_storage
    from bot.curation.suggest import DEFAULT_CATALOG, suggest

    if days < 1 or min_count < 1:
        raise ConfigError("--days and --min-count must be at least 1")
    if out.resolve().is_relative_to(settings.knowledge_dir.resolve()):
        raise ConfigError(f"--out must be outside the knowledge folder ({settings.knowledge_dir}): "
                          "suggest writes a patch to review, never the knowledge itself")
    missing = [str(path) for path in eval_files or [] if not path.is_file()]
    if missing:
        raise ConfigError(f"eval set not found: {', '.join(missing)}")
    if catalog is None and DEFAULT_CATALOG.is_file():
        catalog = DEFAULT_CATALOG
    knowledge = load_or_raise(settings.knowledge_dir, settings.routing_file)
    storage = await open_storage(settings)
    try:
        result = await suggest(settings, storage, knowledge=knowledge, days=days, eval_files=eval_files,
                               catalog=catalog, min_count=min_count)
    finally:
        await storage.close()
    for faq_id, why in sorted(result.refused.items()):
        print(f"refused {faq_id}: lowers {why}")
    if not result.proposed:
        print("no alternates proposed" + (" (every candidate lowered a score)" if result.refused else
                                          f" (no new confirmed phrasings in the last {days} days)"))
        return EXIT_REFUSED if result.refused else 0
    out.write_text(result.patch_yaml(), encoding="utf-8")
    added = sum(len(found) for found in result.proposed.values())
    print(f"wrote {out}: {added} alternate(s) for {len(result.proposed)} entr{'y' if len(result.proposed) == 1 else 'ies'}")
    for name, scores in result.after.items():
        before = result.before.get(name, {})
        print(f"  {name}: overall {before.get('overall', 0):.4f} -> {scores['overall']:.4f}, "
              f"answer {before.get('answer_accuracy', 0):.4f} -> {scores['answer_accuracy']:.4f}")
    return 0
