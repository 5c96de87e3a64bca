"""Time redact_secrets + assess_disclosure (+ bound_input, escape_mrkdwn) on 4,000-char adversarial inputs.

Shows there is no catastrophic backtracking: every input should cost about the same, in the low
milliseconds, and doubling the input should roughly double the time (linear), not quadruple it.
`redact_secrets` is `bot.safety.secrets` (the one redaction the bot uses); its own p99 is reported
per input and on three 4,000-character messages (ordinary, adversarial, secret-heavy, built by
benchmarks/bench_secrets.py). Target: redaction p99 <= 5 ms on a 4,000-character message.

    .venv/bin/python benchmarks/bench_guards.py [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bot.safety.disclosure import assess_disclosure  # noqa: E402
from bot.safety.bounds import bound_input  # noqa: E402
from bot.safety.escaping import escape_mrkdwn  # noqa: E402
from bot.safety.secrets import redact_secrets  # noqa: E402
from bench_secrets import adversarial_message, ordinary_message, secret_heavy_message  # noqa: E402

N = 4000


def _fill(unit: str, n: int = N) -> str:
    return (unit * (n // len(unit) + 1))[:n]


CASES: dict[str, str] = {
    "a*4000": "a" * N,
    "'xoxb-'*800": _fill("xoxb-"),
    "'xoxb-1'*": _fill("xoxb-1"),
    "'-----BEGIN'*": _fill("-----BEGIN"),
    "BEGIN PRIVATE KEY header*": _fill("-----BEGIN RSA PRIVATE KEY-----\n"),
    "BEGIN header + base64, no END": "-----BEGIN PRIVATE KEY-----\n" + _fill("QUJDRA== ", N - 28),
    "'eyJ' + 'A'*": "eyJ" + "A" * (N - 3),
    "'eyJa.'*": _fill("eyJa."),
    "'password='*": _fill("password="),
    "'password: x '*": _fill("password: x "),
    "'token: '*": _fill("token: "),
    "'https://a:'*": _fill("https://a:"),
    "'https://a:b'+'@'": "https://a:" + "b" * (N - 11) + "@",
    "'bearer '*": _fill("bearer "),
    "'Authorization: Bearer '+'a'*": "Authorization: Bearer " + "a" * (N - 22),
    "'aws '+b64*": "aws " + _fill("Ab1/", N - 4),
    "'AKIA'*": _fill("AKIA"),
    "spaces*": " " * N,
    "'\\n'*": "\n" * N,
    "'i found a '*": _fill("i found a "),
    "'can '*": _fill("can "),
    "'lets a '*": _fill("lets a "),
    "'is '* (enough gap)": _fill("is "),
    "'sent a '*": _fill("sent a "),
    "'how do '*": _fill("how do "),
    "'@here <!channel> '*": _fill("@here <!channel> "),
    "mixed scripts": _fill("Привет kubelet 中文 🎉 \u202e\u200b "),
    "realistic long post": _fill("so we found that the kubelet leaks tokens with a crafted request, "
                                 "password=hunter22 xoxb-123456789012-abc, where do i report? "),
}


def _p99(samples: list[float]) -> float:
    samples = sorted(samples)
    return samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def bench(text: str, runs: int) -> tuple[float, float, float, float]:
    """(mean, p99, max) of redaction + disclosure check, and the p99 of the redaction alone (microseconds)."""
    samples, redaction = [], []
    for _ in range(runs):
        start = time.perf_counter()
        redacted = redact_secrets(text).text
        middle = time.perf_counter()
        assess_disclosure(redacted)
        end = time.perf_counter()
        samples.append((end - start) * 1e6)
        redaction.append((middle - start) * 1e6)
    return statistics.fmean(samples), _p99(samples), max(samples), _p99(redaction)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    print(f"redact_secrets + assess_disclosure, {N}-char inputs, {args.runs} runs each (microseconds)")
    print(f"{'input':34} {'mean':>9} {'p99':>9} {'max':>9}   {'x2 len mean':>11}   {'redact p99':>10}")
    worst = worst_redaction = 0.0
    for name, text in CASES.items():
        assert len(text) == N or name.startswith("'https://a:b'"), name
        mean, p99, top, redact_p99 = bench(text, args.runs)
        double, _, _, _ = bench(text + text, max(20, args.runs // 5))
        worst, worst_redaction = max(worst, p99), max(worst_redaction, redact_p99)
        print(f"{name:34} {mean:9.0f} {p99:9.0f} {top:9.0f}   {double:11.0f}   {redact_p99:10.0f}")
    print("\n4,000-character messages: redaction alone, and redaction + disclosure check (microseconds)")
    print(f"{'message':34} {'redact p50':>10} {'redact p99':>10} {'both p99':>9}")
    message_worst = 0.0
    for name, make in (("ordinary", ordinary_message), ("adversarial", adversarial_message),
                       ("secret-heavy", secret_heavy_message)):
        text = make()
        assert len(text) == N, name
        for _ in range(20):  # warm up (first-call caches), as bench_secrets.py does
            redact_secrets(text)
        alone = []
        for _ in range(args.runs):
            start = time.perf_counter()
            redact_secrets(text)
            alone.append((time.perf_counter() - start) * 1e6)
        _, both_p99, _, _ = bench(text, args.runs)
        message_worst = max(message_worst, _p99(alone))
        print(f"{name:34} {statistics.median(alone):10.0f} {_p99(alone):10.0f} {both_p99:9.0f}")
    # The other two guards, on the nastiest inputs for them.
    for label, fn in (("bound_input", lambda t: bound_input(t)), ("escape_mrkdwn", escape_mrkdwn)):
        samples = []
        for text in CASES.values():
            start = time.perf_counter()
            fn(text * 10)  # 40,000 chars: bound_input must also cope with over-long raw input
            samples.append((time.perf_counter() - start) * 1e6)
        print(f"{label} on 40,000-char inputs: mean {statistics.fmean(samples):.0f} us, max {max(samples):.0f} us")
    print(f"worst p99, redaction + disclosure check, any input: {worst:.0f} us")
    print(f"worst p99, redaction alone, any input: {worst_redaction:.0f} us")
    print(f"worst p99, redaction alone, on a 4,000-character message: {message_worst:.0f} us (target <= 5,000 us): "
          f"{'OK' if message_worst <= 5000 else 'OVER'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
