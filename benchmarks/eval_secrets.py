"""Measure credential redaction: coverage on the generated corpus, false alarms on real questions, and
the same for detect-secrets (Yelp, Apache-2.0) when it is installed, with its speed per message.

    .venv/bin/python benchmarks/eval_secrets.py [--samples 30] [--json out.json]
    (detect-secrets is optional: `.venv/bin/pip install detect-secrets`; without it only our side runs)

Coverage: for every kind in `bot.safety.secrets.KINDS`, `--samples` generated messages
(tests/support/fake_credentials.py, every wrapper: prose, code fence, inline code, quote, ...). A
sample is *protected* when none of its secret substrings survive. For our detector the kind must
also be reported. detect-secrets reports values, not a redaction: we replace every value it
reports and then apply the same "nothing survives" test, so both sides are judged on what would
reach the database.

False alarms: every `q` / `text` item of benchmarks/data/*.yaml and ../shared/eval/dev-questions.yaml
(plus tests/data/*.yaml, reported separately); an item counts as changed if anything is redacted /
reported, and each changed item is listed.

Speed: detect-secrets is built for files, so it is timed the way it would have to run here:
every plugin's `analyze_line` over every line of a 4,000-character message (no filters), and the
public ad-hoc API `detect_secrets.core.scan.scan_line` per line (plugins + its heuristic filters).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bot.safety.secrets import KINDS, redact_secrets  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_secrets import timed  # noqa: E402  (one timing helper for both benchmarks)
from tests.support.fake_credentials import WRAPPERS, fake_message  # noqa: E402

CORPORA = sorted((ROOT / "benchmarks" / "data").glob("*.yaml")) + [
    ROOT.parent / "shared" / "eval" / "dev-questions.yaml"]
EXTRA_CORPORA = sorted((ROOT / "tests" / "data").glob("*.yaml"))


def corpus_items(paths: Iterable[Path]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for path in paths:
        if not path.exists():
            continue
        for item in yaml.safe_load(path.read_text()) or []:
            if isinstance(item, dict):
                text = item.get("q") or item.get("text")
                if isinstance(text, str) and text.strip():
                    items.append((path.name, text))
    return items


# --------------------------------------------------------------------------------------------- detect-secrets

class DetectSecrets:
    """detect-secrets 1.x, all plugins, used as a per-line detector (no network verification)."""

    def __init__(self, filename: str = "adhoc-string-scan") -> None:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import default_settings, get_plugins, get_settings

        self._ctx = default_settings()
        self._ctx.__enter__()
        filters = get_settings().filters
        assert "detect_secrets.filters.common.is_ignored_due_to_verification_policies" not in filters, \
            "verification would call vendor APIs"
        self.plugins = get_plugins()
        self._by_type = {plugin.secret_type: plugin for plugin in self.plugins}
        self.filename = filename
        self._scan_line = scan_line
        import detect_secrets

        self.version = detect_secrets.__version__ if hasattr(detect_secrets, "__version__") else "?"
        try:
            from detect_secrets.__version__ import VERSION

            self.version = VERSION
        except ImportError:
            pass

    def values_plugins(self, text: str) -> list[tuple[str, str]]:
        """(plugin type, value) for every finding of every plugin's analyze_line, line by line."""
        out = []
        for number, line in enumerate(text.splitlines(), 1):
            for plugin in self.plugins:
                for secret in plugin.analyze_line(filename=self.filename, line=line, line_number=number):
                    if secret.secret_value:
                        out.append((secret.type, secret.secret_value))
        return out

    def values_scan_line(self, text: str) -> list[tuple[str, str]]:
        """The ad-hoc API. Its high-entropy plugins return every candidate (eager search) and leave
        the entropy limit to the caller, as `detect-secrets scan --string` does when it prints
        "False (2.1)": apply that limit here."""
        out = []
        for line in text.splitlines():
            for secret in self._scan_line(line):
                if not secret.secret_value:
                    continue
                plugin = self._by_type.get(secret.type)
                limit = getattr(plugin, "entropy_limit", None)
                if limit is not None and plugin.calculate_shannon_entropy(secret.secret_value) <= limit:
                    continue
                out.append((secret.type, secret.secret_value))
        return out


def redact_values(text: str, values: Iterable[str]) -> str:
    for value in sorted(set(values), key=len, reverse=True):
        text = text.replace(value, "[x]")
    return text


# --------------------------------------------------------------------------------------------- measures

Detector = Callable[[str], tuple[str, tuple[str, ...]]]


def coverage(samples: int, detectors: dict[str, Detector]) -> dict[str, dict[str, float]]:
    """Per kind and detector: share of samples *protected* (nothing survives), and share *flagged*
    (the detector found anything at all in the message: what a drop-the-message policy would use).

    A detector returns (redacted text, kinds); for detect-secrets "kinds" is the list of its finding
    types (the public-IP plugin is ignored for flagging: an IP is not a credential)."""
    wrappers = sorted(WRAPPERS)
    table: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        hits = {name: 0 for name in detectors}
        flags = {name: 0 for name in detectors}
        for seed in range(samples):
            message, cred = fake_message(kind, seed, wrappers[seed % len(wrappers)])
            for name, detect in detectors.items():
                redacted, kinds = detect(message)
                ok = all(secret not in redacted for secret in cred.secrets)
                if name == "ours":
                    ok = ok and kind in kinds
                hits[name] += ok
                flags[name] += any(k != "Public IP (ipv4)" for k in kinds)
        table[kind] = {name: hits[name] / samples for name in detectors}
        table[kind].update({f"{name}_flagged": flags[name] / samples for name in detectors})
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=30, help="generated messages per kind")
    parser.add_argument("--runs", type=int, default=60, help="timing runs per message")
    parser.add_argument("--json", help="write all numbers here")
    args = parser.parse_args()
    report: dict[str, object] = {"kinds": len(KINDS)}

    try:
        ds_adhoc: DetectSecrets | None = DetectSecrets("adhoc-string-scan")
    except ImportError:
        ds_adhoc = None
        print("detect-secrets is not installed: only our detector is measured")

    def ours(text: str) -> tuple[str, tuple[str, ...]]:
        r = redact_secrets(text)
        return r.text, r.kinds

    detectors: dict[str, Callable[[str], tuple[str, tuple[str, ...]]]] = {"ours": ours}
    if ds_adhoc is not None:
        ds_yaml = DetectSecrets("message.yaml")
        def as_detector(find: Callable[[str], list[tuple[str, str]]]) -> Callable[[str], tuple[str, tuple[str, ...]]]:
            def detect(text: str) -> tuple[str, tuple[str, ...]]:
                found = find(text)
                return redact_values(text, (v for _, v in found)), tuple(sorted({t for t, _ in found}))
            return detect

        detectors["ds_plugins"] = as_detector(ds_adhoc.values_plugins)
        detectors["ds_plugins_yaml"] = as_detector(ds_yaml.values_plugins)
        detectors["ds_scan_line"] = as_detector(ds_adhoc.values_scan_line)
        report["detect_secrets_version"] = ds_adhoc.version
        report["detect_secrets_plugins"] = sorted(type(p).__name__ for p in ds_adhoc.plugins)

    # ---- coverage
    table = coverage(args.samples, detectors)
    report["coverage"] = table
    names = list(detectors)
    print(f"\ncoverage on the generated corpus: {len(KINDS)} kinds x {args.samples} messages; "
          "share protected (share flagged)")
    print(f"{'kind':30} " + " ".join(f"{n:>18}" for n in names))
    for kind, row in table.items():
        print(f"{kind:30} " + " ".join(f"{row[n]:9.2f} ({row[n + '_flagged']:.2f})" for n in names))
    summary = {}
    for n in names:
        full = sum(1 for row in table.values() if row[n] == 1.0)
        most = sum(1 for row in table.values() if row[n] >= 0.9)
        some = sum(1 for row in table.values() if row[n] > 0)
        overall = sum(row[n] for row in table.values()) / len(table)
        flagged_full = sum(1 for row in table.values() if row[n + "_flagged"] == 1.0)
        flagged_mean = sum(row[n + "_flagged"] for row in table.values()) / len(table)
        summary[n] = {"kinds_100pct": full, "kinds_ge_90pct": most, "kinds_any": some, "mean_protected": overall,
                      "kinds_always_flagged": flagged_full, "mean_flagged": flagged_mean}
        print(f"  {n:16} kinds fully protected {full:3d}, >=90% {most:3d}, any {some:3d}; "
              f"mean share protected {overall:.3f}; kinds always flagged {flagged_full:3d}, "
              f"mean share flagged {flagged_mean:.3f}")
    report["coverage_summary"] = summary

    # ---- false alarms
    for label, paths in (("question corpora", CORPORA), ("tests/data disclosure sets", EXTRA_CORPORA)):
        items = corpus_items(paths)
        if not items:
            continue
        print(f"\nfalse alarms on the {label}: {len(items)} items ({', '.join(sorted({n for n, _ in items}))})")
        fa: dict[str, object] = {"items": len(items)}
        changed = [(name, text, redact_secrets(text)) for name, text in items]
        changed = [(name, text, r) for name, text, r in changed if r.text != text]
        fa["ours_changed"] = len(changed)
        fa["ours_unchanged_share"] = 1 - len(changed) / len(items)
        fa["ours_changed_items"] = [{"file": n, "kinds": list(r.kinds), "text": t[:300]} for n, t, r in changed]
        print(f"  ours: {len(items) - len(changed)}/{len(items)} unchanged ({1 - len(changed) / len(items):.2%})")
        for name, text, r in changed:
            print(f"    changed [{name}] {r.kinds}: {text[:160]!r}")
        if ds_adhoc is not None:
            for mode, fn in (("ds_plugins", ds_adhoc.values_plugins), ("ds_scan_line", ds_adhoc.values_scan_line)):
                flagged = [(name, text, fn(text)) for name, text in items]
                flagged = [(name, text, found) for name, text, found in flagged if found]
                fa[f"{mode}_flagged"] = len(flagged)
                fa[f"{mode}_unflagged_share"] = 1 - len(flagged) / len(items)
                types: dict[str, int] = {}
                for _, _, found in flagged:
                    for t in {t for t, _ in found}:
                        types[t] = types.get(t, 0) + 1
                fa[f"{mode}_types"] = types
                print(f"  {mode}: {len(items) - len(flagged)}/{len(items)} unflagged "
                      f"({1 - len(flagged) / len(items):.2%}); by type: {types}")
        report[f"false_alarms_{label}"] = fa

    # ---- speed per 4,000-char message
    from benchmarks.bench_secrets import adversarial_message, ordinary_message, secret_heavy_message

    messages = {"ordinary": ordinary_message(), "adversarial": adversarial_message(),
                "secret-heavy": secret_heavy_message()}
    speed: dict[str, dict[str, dict[str, float]]] = {}
    print(f"\nspeed per 4,000-character message, ms (p50 / p99 of {args.runs} runs)")
    for name, text in messages.items():
        row = {"ours": timed(redact_secrets, text, args.runs * 5)}
        if ds_adhoc is not None:
            row["ds_plugins"] = timed(ds_adhoc.values_plugins, text, args.runs)
            row["ds_scan_line"] = timed(ds_adhoc.values_scan_line, text, max(10, args.runs // 3))
        speed[name] = row
        print(f"  {name:13} " + "   ".join(f"{k} {v['p50']:.2f} / {v['p99']:.2f}" for k, v in row.items()))
    report["speed"] = speed

    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
