"""How fast is the maintainers' report on a big question log?

Fills a SQLite store (and PostgreSQL if reachable) with 10,000 and 100,000 realistic logged
questions, then times `build_report` and rendering, next to a naive baseline (fetch the same gap
rows and count exact texts with a Counter). Target: under 3 s at 100,000 on one core.
The report is timed twice: words only, and with the sentence-embedding model merging groups by
meaning (what a service with MATCHER=fused does; `bot.reports.meaning`).

    .venv/bin/python benchmarks/bench_report.py            # 10k and 100k
    .venv/bin/python benchmarks/bench_report.py --quick    # 2k only, SQLite + PostgreSQL smoke run

PostgreSQL: BENCH_POSTGRES_URL or TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test);
a throwaway schema is created and dropped. `--no-postgres` skips it.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from bot.core.config import mask  # noqa: E402
from bot.core.knowledge import FaqEntry, KnowledgeBase  # noqa: E402
from bot.reports import FORMATS, build_report, render_report  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.storage.questions import GAP_KINDS  # noqa: E402
from bot.storage.schema import feedback, questions, suggestion_picks  # noqa: E402

NOW = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")

# --------------------------------------------------------------------------- realistic questions

TOPICS: list[tuple[str, str | None, list[str]]] = [
    # (faq id or "" for an FAQ gap, route id, phrasings of the core question)
    ("report-vulnerability", "security-response", ["report a vulnerability", "report a security bug",
                                                   "disclose a security issue", "submit a vuln report"]),
    ("rotate-certs", "sig-auth", ["rotate kubelet certificates", "rotate the cluster certificates",
                                  "renew expired certs", "rotate kubelet serving certs"]),
    ("audit-logging", "sig-auth", ["enable audit logging", "turn on audit logs", "configure an audit policy"]),
    ("pod-security", "sig-auth", ["use pod security admission", "replace pod security policy",
                                  "enforce the restricted pod security standard"]),
    ("secrets-encryption", "sig-auth", ["encrypt secrets at rest", "enable etcd encryption",
                                        "use a kms provider for secrets"]),
    ("network-policy", "sig-network", ["restrict traffic between namespaces", "write a default deny network policy",
                                       "block egress from pods"]),
    ("image-scanning", "sig-security", ["scan container images for cves", "find vulnerable images in my cluster"]),
    ("sbom", "sig-release", ["get the sbom for a kubernetes release", "verify the release sbom"]),
    ("signing", "sig-release", ["verify kubernetes release signatures", "check the cosign signature of images"]),
    ("rbac-least-privilege", "sig-auth", ["give a service account least privilege", "audit rbac permissions",
                                          "find who can read secrets"]),
    ("", "sig-node", ["run containers as non root with user namespaces", "enable seccomp by default",
                      "use apparmor profiles on nodes"]),
    ("", "sig-auth", ["integrate oidc with the api server", "use external jwt issuers",
                      "set up structured authentication config"]),
    ("", "sig-security", ["join the sig security tooling subproject", "help with the third party audit",
                          "find the sig security meeting notes"]),
    ("", "sig-network", ["encrypt pod to pod traffic", "use mtls between services"]),
    ("", None, ["harden the kubelet read only port", "disable anonymous auth on the kubelet"]),
    ("", None, ["is cve-2024-3177 exploitable", "patch cve-2023-5528 on windows nodes",
                "which versions fix cve-2024-7646"]),
    ("", "sig-node", ["protect against container escapes", "detect runtime attacks in containers"]),
    ("", None, ["store secrets in vault instead of etcd", "use the secrets store csi driver"]),
]
OPENERS = ["", "", "", "hi all, ", "hey folks! ", "quick question: ", "hello, ", "sorry if this was asked before, "]
FRAMES = ["how do I {q}?", "how can I {q}", "what is the best way to {q}?", "how to {q}", "is it possible to {q}?",
          "any docs on how to {q}?", "{q}?", "can someone explain how to {q}"]
TAILS = ["", "", "", "", " on 1.29", " with kubeadm", " in EKS", " on bare metal", " thanks!", " in our prod cluster",
         " for a multi-tenant cluster", " before the upgrade"]
LONG_TAIL = ["why does my {x} fail with forbidden", "where is the {x} documented", "who owns {x}",
             "is {x} affected by the latest advisory", "can {x} leak tokens"]
THINGS = ["kube-proxy", "the admission webhook", "csi driver", "the metrics server", "ingress-nginx", "coredns",
          "cluster autoscaler", "the dashboard", "helm charts", "the cloud controller manager", "etcd backups",
          "node problem detector", "the scheduler", "gateway api", "image pull secrets", "projected tokens"]


def typo(text: str, rng: random.Random) -> str:
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) > 5]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def make_rows(n: int, seed: int = 7) -> tuple[list[dict[str, Any]], list[tuple[int, bool, str]], list[int]]:
    """Question rows plus (question index, helpful, faq id) votes and picked question indexes."""
    rng = random.Random(seed)
    users = [hashlib.sha256(f"U{n:06d}".encode()).hexdigest() for n in range(max(200, n // 20))]
    channels = ["C0SECURITY", "C0KUBERNETES", "C0SIGAUTH", "C0SIGNODE", "C0NOVICE", None]
    rows, votes, picks = [], [], []
    for index in range(n):
        asked_at = NOW - dt.timedelta(seconds=rng.uniform(0, 30 * 86400))
        roll = rng.random()
        if roll < 0.02:
            rows.append(dict(asked_at=asked_at, channel_id=rng.choice(channels), user_hash=None, source="dm",
                             text=None, normalized=None, kind="private", faq_id=None, confidence=0.0,
                             route_id=None, suggestion_ids=None))
            continue
        if roll < 0.10:  # the long tail: one-off questions about specific components
            core = rng.choice(LONG_TAIL).format(x=rng.choice(THINGS)) + rng.choice(TAILS)
            faq_id, route = "", rng.choice([None, "sig-auth", "sig-node", "sig-network"])
        else:
            faq_id, route, phrasings = rng.choice(TOPICS)
            core = rng.choice(FRAMES).format(q=rng.choice(phrasings)) + rng.choice(TAILS)
        text = rng.choice(OPENERS) + core
        if rng.random() < 0.15:
            text = typo(text, rng)
        if rng.random() < 0.3:
            text = text.lower()
        if faq_id:
            confidence = min(1.0, max(0.0, rng.gauss(0.78, 0.15)))
            kind = "answered" if confidence >= 0.55 else "suggestions" if confidence >= 0.35 else "unknown"
        else:
            confidence = rng.uniform(0, 0.35)
            kind = "routed" if route else "unknown"
        rows.append(dict(
            asked_at=asked_at, channel_id=rng.choice(channels), user_hash=rng.choice(users), source="mention",
            text=text, normalized=" ".join(text.lower().replace("?", " ").replace(",", " ").split()),
            kind=kind, faq_id=faq_id if kind == "answered" else None, confidence=confidence,
            route_id=route if kind in ("routed", "unknown", "suggestions") else None,
            suggestion_ids=faq_id if kind == "suggestions" else None,
        ))
        if kind == "answered" and rng.random() < 0.05:
            votes.append((index, rng.random() < 0.7, faq_id))
        if kind == "suggestions" and rng.random() < 0.5:
            picks.append(index)
    return rows, votes, picks


def knowledge() -> KnowledgeBase:
    entries = []
    for n, (faq_id, _route, phrasings) in enumerate(t for t in TOPICS if t[0]):
        reviewed = (NOW - dt.timedelta(days=100 * n)).date()
        entries.append(FaqEntry(id=faq_id, question=phrasings[0], answer="...", reviewed=reviewed))
    return KnowledgeBase(entries=tuple(entries), routes=())


# --------------------------------------------------------------------------- filling and timing


async def fill(store: Storage, rows: list[dict], votes: list, picks: list[int]) -> float:
    started = time.perf_counter()
    ids: list[int] = []
    chunk = 5000
    async with store.engine.begin() as connection:
        for start in range(0, len(rows), chunk):
            result = await connection.execute(
                insert(questions).returning(questions.c.id, sort_by_parameter_order=True), rows[start:start + chunk])
            ids.extend(result.scalars().all())
        if votes:
            await connection.execute(insert(feedback), [
                dict(question_id=ids[i], faq_id=faq_id, user_hash=None, helpful=helpful, created_at=NOW)
                for i, helpful, faq_id in votes])
        if picks:
            await connection.execute(insert(suggestion_picks), [
                dict(question_id=ids[i], faq_id="x", created_at=NOW) for i in picks])
    return time.perf_counter() - started


async def baseline(store: Storage) -> tuple[float, int]:
    """The naive way: fetch unanswered questions' text and count exact strings."""
    started = time.perf_counter()
    async with store.engine.connect() as connection:
        texts = (await connection.execute(
            select(questions.c.text).where(questions.c.kind.in_([*GAP_KINDS, "suggestions"]),
                                           questions.c.asked_at >= NOW - dt.timedelta(days=30)))).scalars().all()
    counts = Counter(texts)
    counts.most_common(50)
    return time.perf_counter() - started, len(counts)


def embedder() -> Any:
    """The shipped sentence-embedding model, or None (then only words are timed)."""
    from bot.core.service import shared_embedder

    try:
        return shared_embedder()
    except Exception as exc:  # noqa: BLE001
        print(f"embedding model unavailable ({type(exc).__name__}): timing words only", file=sys.stderr)
        return None


async def best_build(store: Storage, kb: KnowledgeBase, model: Any) -> tuple[float, Any]:
    """Best of 3 build_report runs after one warm-up (statement cache, pages)."""
    await build_report(store, knowledge=kb, now=NOW, embedder=model)
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        report = await build_report(store, knowledge=kb, now=NOW, embedder=model)
        timings.append(time.perf_counter() - started)
    return min(timings), report


async def bench_one(label: str, url: str, size: int, connect_args: dict | None = None) -> dict[str, Any]:
    store = await Storage.open(url, connect_args=connect_args)
    try:
        rows, votes, picks = make_rows(size)
        fill_s = await fill(store, rows, votes, picks)
        kb = knowledge()
        build_s, report = await best_build(store, kb, None)
        model = embedder()
        meaning_s, meaning = await best_build(store, kb, model) if model is not None else (float("nan"), report)
        started = time.perf_counter()
        for fmt in FORMATS:
            render_report(report, fmt)
        render_s = time.perf_counter() - started
        base_s, base_groups = min([await baseline(store) for _ in range(3)])
        return dict(backend=label, rows=size, fill=fill_s, build=build_s, render=render_s,
                    baseline=base_s, groups=report.gap_groups, naive_groups=base_groups,
                    meaning=meaning_s, meaning_groups=meaning.gap_groups,
                    top=report.gaps[0].count if report.gaps else 0)
    finally:
        await store.close()


async def postgres_schema(create: bool, schema: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    dsn = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"' if create else f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 rows only: a smoke run")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="e.g. 10000,100000")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    sizes = args.sizes or ([2_000] if args.quick else [10_000, 100_000])

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            results.append(await bench_one("sqlite", f"sqlite+aiosqlite:///{tmp}/bench-{size}.db", size))
            print(f"  sqlite {size:,} done", file=sys.stderr)
    if not args.no_postgres:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        try:
            await postgres_schema(True, schema)
        except Exception as exc:  # noqa: BLE001
            print(f"PostgreSQL skipped: unreachable at {mask(POSTGRES_URL)} ({type(exc).__name__})", file=sys.stderr)
        else:
            try:
                for size in sizes:
                    await postgres_schema(False, schema)
                    await postgres_schema(True, schema)
                    results.append(await bench_one("postgres", POSTGRES_URL, size,
                                                   {"server_settings": {"search_path": schema}}))
                    print(f"  postgres {size:,} done", file=sys.stderr)
            finally:
                await postgres_schema(False, schema)

    header = f"{'backend':9} {'rows':>8} {'fill s':>7} {'report s':>9} {'meaning s':>10} {'render s':>9} " \
             f"{'naive s':>8} {'groups':>7} {'by meaning':>11} {'naive groups':>13}"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['backend']:9} {r['rows']:>8,} {r['fill']:>7.2f} {r['build']:>9.3f} {r['meaning']:>10.3f} "
              f"{r['render']:>9.3f} {r['baseline']:>8.3f} {r['groups']:>7,} {r['meaning_groups']:>11,} "
              f"{r['naive_groups']:>13,}")
    worst = lambda r: max(r["build"], r["meaning"] if r["meaning"] == r["meaning"] else 0.0)  # noqa: E731 - NaN: none
    slow = [r for r in results if r["rows"] >= 100_000 and worst(r) + r["render"] > 3.0]
    if slow:
        print("\nover the 3 s target at 100k: " + ", ".join(f"{r['backend']} ({worst(r) + r['render']:.2f} s)"
                                                          for r in slow))
    print("\nreport s = best of 3 build_report runs (gap query + grouping + other sections), words only;"
          " meaning s = the same with\nthe embedding model merging groups by meaning; render s = all four formats;"
          "\nnaive s = fetch the same gap texts and Counter them (exact strings only).")
    return 1 if slow else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
