"""Time `bot.safety.secrets.redact_secrets` on 4,000-character messages, beside plain baselines.

Three messages the issue names (an ordinary question, an adversarial one, a secret-heavy one), then
a table of single-pattern adversarial inputs (each 4,000 characters, and its time at 8,000 to show
the cost is linear). Baseline in the same run: a floor, one compiled alternation regex of vendor
prefixes and `label=value`, `.sub()` once. (The 12-kind redaction the bot used before,
`bot.safety.redaction`, is gone; its last numbers are in docs/secrets.md.)

    .venv/bin/python benchmarks/bench_secrets.py [--runs 300] [--json out.json]

Target: p99 <= 5 ms for redact_secrets on every 4,000-character input.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.safety.secrets import redact_secrets  # noqa: E402
from tests.support.fake_credentials import BUILDERS, embed, make_credential  # noqa: E402

N = 4000


def _fill(unit: str, n: int = N) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def ordinary_message() -> str:
    """Real questions from the corpora, joined until 4,000 characters (a long, ordinary post)."""
    texts: list[str] = []
    try:
        import yaml

        for path in sorted((ROOT / "benchmarks" / "data").glob("*.yaml")):
            for item in yaml.safe_load(path.read_text()) or []:
                if isinstance(item, dict) and isinstance(item.get("q") or item.get("text"), str):
                    texts.append(item.get("q") or item.get("text"))
    except Exception:  # noqa: BLE001 - fall back to a built-in paragraph
        texts = []
    if not texts:
        texts = ["how do I rotate the service account token and the kubelet client certificate after a "
                 "node was compromised? we use kubeadm 1.30, image nginx@sha256:"
                 + "4f1e2d3c5b6a7980" * 4 + " and resourceVersion 123456, uid 0b6f3c1e-2f7a-4c1d-9e8b-7a6d5c4b3a21."]
    out = "\n\n".join(texts)
    return _fill(out) if len(out) < N else out[:N]


def adversarial_message() -> str:
    """Long runs of `=`, `:`, base64-ish text, nested quotes and label decoys, 4,000 characters."""
    parts = [
        "=" * 400, ":" * 400, _fill("QUJDRA+/Zz09", 600), _fill("\"'\"'\\\"", 400),
        _fill("password=", 300), _fill("token: ", 300), _fill('"key":"', 300), _fill("--password ", 200),
        _fill("https://a:", 200), _fill("-----BEGIN PRIVATE KEY-----\\n", 300), _fill("eyJa.", 200),
        _fill("Bearer ", 200), _fill("kind: Secret\ndata:\n  k: ", 100),
    ]
    return _fill("".join(parts))


def secret_heavy_message(seed: int = 1) -> str:
    """Fake credentials of every kind, pasted in code fences, YAML, JSON and shell lines, to 4,000 chars."""
    rng = random.Random(seed)
    kinds = sorted(BUILDERS)
    rng.shuffle(kinds)
    out = ""
    for kind in kinds * 3:
        piece = embed(make_credential(kind, rng), rng)
        if len(out) + len(piece) + 2 > N:
            continue
        out += piece + "\n\n"
    return _fill(out + "filler text about rbac and network policies. ", N) if len(out) < N else out[:N]


ADVERSARIAL_TABLE: dict[str, str] = {
    "'='*4000": "=" * N,
    "':'*4000": ":" * N,
    "base64 run": _fill("Ab1/+x9Z"),
    "nested quotes": _fill("\"a\":\"'b'=\""),
    "'password='*": _fill("password="),
    "'token: '*": _fill("token: "),
    "'token:'* (no space)": _fill("token:"),
    "'key='* (entropy label)": _fill("key="),
    "'_authToken='*": _fill("_authToken="),
    "BEGIN header*": _fill("-----BEGIN PRIVATE KEY-----\n"),
    "BEGIN + base64, no END": "-----BEGIN PRIVATE KEY-----\n" + _fill("QUJDRA== ", N - 28),
    "BEGIN + escaped \\n body": "-----BEGIN PRIVATE KEY-----" + _fill("\\nQUJDRA", N - 27),
    "'eyJ'*": _fill("eyJ"),
    "'eyJa.'*": _fill("eyJa."),
    "'https://a:'*": _fill("https://a:"),
    "'https://a:'+'b'*+'@'": "https://a:" + "b" * (N - 11) + "@",
    "'Authorization: Bearer '+'a'*": "Authorization: Bearer " + "a" * (N - 22),
    "'--password '*": _fill("--password "),
    "mysql + '-p'*": "mysql " + _fill("-p", N - 6),
    "docker login + '-p x '*": "docker login " + _fill("-p x ", N - 13),
    "curl + '-u a:b '*": "curl " + _fill("-u a:b ", N - 5),
    "'--from-literal=a='*": "kubectl create secret " + _fill("--from-literal=a=", N - 22),
    "kind: Secret + data lines": "kind: Secret\ndata:\n" + _fill("  k: v\n", N - 19),
    "JSON Secret + pairs": '{"kind":"Secret","data":{' + _fill('"k":"v",', N - 25),
    "'LS0tLS1CRUdJTi'*": _fill("LS0tLS1CRUdJTi"),
    "AKIA + 40-char runs": "AKIA" + "A" * 16 + " " + _fill("Ab1/" * 10 + " ", N - 21),
    "name/value pairs*": _fill('{"name":"x_password","value":'),
    "'abc1Q~'*": _fill("abc1Q~"),
    "'$2y$10$'*": _fill("$2y$10$"),
    "'xoxb-1'*": _fill("xoxb-1"),
    "'?sv=1&sig='*": _fill("?sv=1&sig="),
    "'PuTTY-User-Key-File-2: '*": _fill("PuTTY-User-Key-File-2: "),
    "mixed decoys": _fill("password=\"x' token: 'y\" Bearer z --token=w -pq "),
    "'  key: val\\n'*": _fill("  key: val\n"),
    "'password is Ab1cdef '*": _fill("password is Ab1cdef "),
    "'<password>'* and unclosed element": _fill("<password>", 2000) + "<password>" + "v" * 1990,
    "redis-cli + '-a x '*": "redis-cli " + _fill("-a x ", N - 10),
    "spaces": " " * N,
    "newlines": "\n" * N,
}


# --------------------------------------------------------------------------------------------- baselines

_ALTERNATION = re.compile(
    r"(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,250}|gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_\w{40,255}"
    r"|glpat-[\w-]{20,60}|npm_[A-Za-z0-9]{36}|dckr_pat_[\w-]{27,64}|hvs\.[\w-]{24,300}|[sr]k_live_[A-Za-z0-9]{10,99}"
    r"|AIza[\w-]{35}|sk-[\w-]{20,200}|(?:AKIA|ASIA)[A-Z0-9]{16}|SG\.[\w-]{22}\.[\w-]{43}|hf_[A-Za-z]{34}"
    r"|eyJ[\w-]{4,4000}\.eyJ[\w-]{4,4000}\.[\w-]{0,4000}|-----BEGIN[A-Z ]{0,40}PRIVATE KEY-----"
    r"|(?i:password|passwd|pwd|secret|token|api_?key)[\"']?\s{0,4}[:=]\s{0,4}[^\s\"']{1,200}")


def alternation_floor(text: str) -> str:
    return _ALTERNATION.sub("[redacted]", text)


# --------------------------------------------------------------------------------------------- timing

def timed(fn: Callable[[str], object], text: str, runs: int) -> dict[str, float]:
    for _ in range(min(20, runs)):
        fn(text)
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        fn(text)
        samples.append((time.perf_counter_ns() - start) / 1e6)
    samples.sort()
    return {"p50": samples[len(samples) // 2], "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "max": samples[-1], "mean": sum(samples) / len(samples)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args()
    gc.collect()

    messages = {"ordinary": ordinary_message(), "adversarial": adversarial_message(),
                "secret-heavy": secret_heavy_message()}
    contenders: list[tuple[str, Callable[[str], object]]] = [("bot.safety.secrets.redact_secrets", redact_secrets)]
    contenders.append(("floor: one alternation regex .sub()", alternation_floor))

    results: dict[str, object] = {"runs": args.runs, "messages": {}, "adversarial_table": {}}
    print(f"{args.runs} runs per cell, milliseconds per 4,000-character message (p50 / p99 / max)\n")
    print(f"{'message':14} {'implementation':54} {'p50':>7} {'p99':>7} {'max':>7}")
    for name, text in messages.items():
        assert len(text) == N, (name, len(text))
        kinds = redact_secrets(text).kinds
        for label, fn in contenders:
            stats = timed(fn, text, args.runs)
            results["messages"].setdefault(name, {})[label] = stats  # type: ignore[union-attr]
            print(f"{name:14} {label:54} {stats['p50']:7.3f} {stats['p99']:7.3f} {stats['max']:7.3f}")
        print(f"{'':14} (kinds found by redact_secrets: {len(kinds)})")

    print(f"\nadversarial inputs, redact_secrets only: {N} chars p50 / p99, and p50 at {2 * N} chars (linear: ~2x)")
    worst = 0.0
    for name, text in ADVERSARIAL_TABLE.items():
        stats = timed(redact_secrets, text, max(50, args.runs // 3))
        double = timed(redact_secrets, text + text, max(20, args.runs // 10))
        worst = max(worst, stats["p99"])
        results["adversarial_table"][name] = {"p50": stats["p50"], "p99": stats["p99"],  # type: ignore[index]
                                              "p50_x2": double["p50"]}
        print(f"  {name:34} {stats['p50']:7.3f} {stats['p99']:7.3f}   x2 {double['p50']:7.3f}")
    overall = max([worst] + [results["messages"][m]["bot.safety.secrets.redact_secrets"]["p99"]  # type: ignore[index]
                             for m in messages])
    results["worst_p99_ms"] = overall
    print(f"\nworst p99 of redact_secrets on any 4,000-char input: {overall:.3f} ms (target <= 5 ms): "
          f"{'OK' if overall <= 5 else 'OVER'}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
