"""Memory under a backlog: 10,000 events accepted while Slack is slow, against the real `sigsec-bot run`.

The mock Slack Web API answers chat.postMessage after `--slack-delay` seconds, so events pile up. The
app must keep accepting them (each is stored in the durable inbox before the 2xx) while its memory
stays bounded: only INBOX_CAPACITY events are worked at once, the rest wait in the database.
Reports the app's resident memory idle, at its peak while accepting, and the acceptance rate; the
plain baseline is the same app idle. Traffic goes to 127.0.0.1 only; the run is bounded in count.

    python benchmarks/bench_backlog.py [--events 10000] [--slack-delay 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import aiohttp  # noqa: E402

from support.mock_slack import MockSlack  # noqa: E402
from support.signed_client import SlackSigner  # noqa: E402

SECRET = "bench-signing-secret"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--slack-delay", type=float, default=2.0)
    parser.add_argument("--matcher", default="lexical")
    args = parser.parse_args()
    mock = await MockSlack().start()
    mock.delay["chat.postMessage"] = args.slack_delay
    work = Path(tempfile.mkdtemp(prefix="sigsec-backlog-"))
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench-0000-token", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": mock.api_url, "PORT": "0", "HOST": "127.0.0.1", "MATCHER": args.matcher,
           "DATABASE_URL": f"sqlite+aiosqlite:///{work / 'backlog.db'}", "RATE_LIMIT_PER_MINUTE": "1000000",
           "USER_ID_SALT": "bench-salt-0123456789", "LOG_LEVEL": "WARNING"}
    app = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT, env={**env, "LOG_LEVEL": "INFO"},
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port = 0
    seen = []
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, app.stderr.readline):  # type: ignore[union-attr]
        seen.append(line)
        if '"started"' in line:
            port = json.loads(line)["port"]
            break
    if not port:
        raise SystemExit("the app did not start:\n" + "".join(seen[-25:]))
    import threading

    threading.Thread(target=lambda: [None for _ in app.stderr], daemon=True).start()  # type: ignore[union-attr]
    try:
        await asyncio.sleep(1.0)
        idle = rss_mb(app.pid)
        signer = SlackSigner(SECRET)
        peak = idle
        statuses: dict[int, int] = {}
        started = time.monotonic()
        queue = iter(range(args.events))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as session:
            async def sender() -> None:
                for i in queue:
                    body, headers = signer.event({"type": "app_mention", "user": f"U{i % 997}", "channel":
                                                  f"C{i % 5000:05d}", "ts": f"1700000000.{i:06d}",
                                                  "text": "<@UBOT> how do I enforce pod security standards?"},
                                                 event_id=f"EvB{i:06d}")
                    async with session.post(f"http://127.0.0.1:{port}/slack/events", data=body,
                                            headers=headers) as response:
                        await response.read()
                        statuses[response.status] = statuses.get(response.status, 0) + 1

            async def sampler() -> None:
                nonlocal peak
                while True:
                    peak = max(peak, rss_mb(app.pid))
                    await asyncio.sleep(0.25)

            sampling = asyncio.create_task(sampler())
            await asyncio.gather(*(sender() for _ in range(32)))
            elapsed = time.monotonic() - started
            await asyncio.sleep(2.0)
            sampling.cancel()
        after = rss_mb(app.pid)
        answered = len([c for c in mock.accepted if c.method == "chat.postMessage"])
        print(f"events {args.events}, accepted {statuses.get(200, 0)} ({statuses}) in {elapsed:.1f} s "
              f"= {statuses.get(200, 0) / elapsed:.0f}/s while Slack takes {args.slack_delay} s per post")
        print(f"app RSS: idle (baseline) {idle:.0f} MB, peak while accepting {peak:.0f} MB, "
              f"2 s later {after:.0f} MB; answered so far {answered}")
    finally:
        app.terminate()
        try:
            app.wait(30)
        except subprocess.TimeoutExpired:
            app.kill()
        await mock.stop()


if __name__ == "__main__":
    asyncio.run(main())
