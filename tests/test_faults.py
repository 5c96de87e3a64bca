"""Faults against the REAL process (`sigsec-bot run`, HTTP mode) with a mock Slack Web API on loopback:
kill -9 and restart, SIGTERM mid-burst, Slack answering 500 / 429 for a while, a slow Slack. Each test
asserts that every event Slack got a 2xx for is answered exactly once and logged exactly once.

The process is started as an operator would start it; its leases are short (INBOX_LEASE_SECONDS=2) so a
crashed process's work is taken over within seconds of the restart.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import aiohttp
import pytest

from support.signed_client import SlackSigner

SECRET = "fault-signing-secret"
TOKEN = "xoxb-fault-0000-token"
CHANNEL = "C1"
ROOT = Path(__file__).resolve().parent.parent


class AppProcess:
    """One `sigsec-bot run` process; its port is read from its 'started' log line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    async def start(self, timeout: float = 60.0) -> "AppProcess":
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], env=self.env, cwd=ROOT,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            line = await loop.run_in_executor(None, self.proc.stderr.readline)  # type: ignore[union-attr]
            if not line:
                break
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("event") == "started":
                self.port = int(record["port"])
                loop.run_in_executor(None, self._drain)
                return self
        raise AssertionError(f"the app did not start (exit code {self.proc.poll()})")

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for _ in self.proc.stderr:
            pass

    def kill(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    async def wait(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        return await asyncio.get_running_loop().run_in_executor(None, lambda: self.proc.wait(timeout))


@pytest.fixture
async def harness(tmp_path: Path, mock_slack: Any, slack_knowledge: tuple[Path, Path]) -> AsyncIterator[Any]:
    folder, routing = slack_knowledge
    database = tmp_path / "faults.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": mock_slack.api_url,
                "PORT": "0", "HOST": "127.0.0.1", "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
                "KNOWLEDGE_DIR": str(folder), "ROUTING_FILE": str(routing), "MATCHER": "lexical",
                "INBOX_LEASE_SECONDS": "2", "RATE_LIMIT_PER_MINUTE": "1000", "LOG_LEVEL": "INFO",
                "USER_ID_SALT": "fault-test-salt-0123456789", "PYTHONPATH": str(ROOT)})
    started: list[AppProcess] = []
    session = aiohttp.ClientSession()
    signer = SlackSigner(SECRET)

    async def start(**overrides: str) -> AppProcess:
        app = await AppProcess({**env, **overrides}).start()
        started.append(app)
        return app

    async def send(app: AppProcess, n: int, *, first: int = 0) -> list[str]:
        """n signed mentions in one channel; the ts of each one Slack got a 2xx for."""
        accepted = []
        for i in range(first, first + n):
            ts = f"1700000000.{i:06d}"
            body, headers = signer.event({"type": "app_mention", "user": f"U{i % 5}", "channel": CHANNEL, "ts": ts,
                                          "text": f"<@UBOT> how do I enforce pod security standards? ({i})"},
                                         event_id=f"Ev{i:04d}")
            async with session.post(f"http://127.0.0.1:{app.port}/slack/events", data=body, headers=headers) as r:
                if r.status == 200:
                    accepted.append(ts)
        return accepted

    def answered() -> Counter[str]:
        """How many replies Slack accepted per event (replies go in the event's thread)."""
        return Counter(c.body.get("thread_ts") for c in mock_slack.accepted if c.method == "chat.postMessage")

    def logged() -> int:
        with sqlite3.connect(database) as connection:
            return connection.execute("SELECT count(*) FROM questions").fetchone()[0]

    async def until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not check():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            await asyncio.sleep(0.1)

    async def logged_pg(url: str) -> int:
        import asyncpg

        connection = await asyncpg.connect(url)
        try:
            return await connection.fetchval("SELECT count(*) FROM questions")
        finally:
            await connection.close()

    class H:
        pass

    h = H()
    h.start, h.send, h.answered, h.logged, h.until, h.mock = start, send, answered, logged, until, mock_slack
    h.logged_pg = logged_pg
    try:
        yield h
    finally:
        for app in started:
            if app.proc and app.proc.poll() is None:
                app.proc.kill()
                app.proc.wait(10)
        await session.close()


def exactly_once(counts: Counter[str], accepted: list[str]) -> None:
    assert sorted(counts) == sorted(accepted), "every accepted event answered"
    assert set(counts.values()) == {1}, f"answered twice: {[ts for ts, n in counts.items() if n > 1]}"


async def test_kill_9_mid_burst_then_restart_answers_everything_once(harness) -> None:
    harness.mock.delay["chat.postMessage"] = 0.3  # a slow Slack: the burst is still in flight at the kill
    app = await harness.start()
    accepted = await harness.send(app, 20)
    assert len(accepted) == 20
    await harness.until(lambda: sum(harness.answered().values()) >= 2, "the first replies")
    app.kill(signal.SIGKILL)
    await app.wait()
    before = sum(harness.answered().values())
    assert before < 20, "the kill came too late to test anything"
    await harness.start()  # a restart: its worker takes over the dead process's leases once they expire
    await harness.until(lambda: len(harness.answered()) == 20, "every event answered after the restart")
    await asyncio.sleep(1.0)
    exactly_once(harness.answered(), accepted)
    assert harness.logged() == 20


async def test_sigterm_mid_burst_hands_work_back_and_the_next_start_finishes_it(harness) -> None:
    harness.mock.delay["chat.postMessage"] = 0.5
    app = await harness.start()
    accepted = await harness.send(app, 20)
    await harness.until(lambda: sum(harness.answered().values()) >= 1, "the first reply")
    app.kill(signal.SIGTERM)
    assert await app.wait() == 0
    assert len(harness.answered()) < 20
    await harness.start()
    await harness.until(lambda: len(harness.answered()) == 20, "every event answered after the restart")
    await asyncio.sleep(1.0)
    exactly_once(harness.answered(), accepted)
    assert harness.logged() == 20


@pytest.mark.parametrize("status", [500, 429])
async def test_slack_errors_for_a_while_are_retried_until_delivered_once(harness, status: int) -> None:
    harness.mock.outage("chat.postMessage", seconds=6, status=status)
    app = await harness.start()
    accepted = await harness.send(app, 10)
    await harness.until(lambda: len(harness.answered()) == 10, "delivery once Slack recovers", timeout=90)
    await asyncio.sleep(1.0)
    exactly_once(harness.answered(), accepted)
    assert harness.logged() == 10


# --------------------------------------------------------------------------- a database outage


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def throwaway_postgres() -> Any:
    """A PostgreSQL cluster of its own on a free loopback port (initdb + pg_ctl), removed afterwards.

    The server refuses to run as root, so the cluster belongs to the `postgres` system user.
    """
    import glob
    import shutil
    import tempfile

    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not bins or shutil.which("runuser") is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    bindir = Path(bins[-1]).parent
    tmp_path = Path(tempfile.mkdtemp(prefix="sigsec-pg-"))
    data = tmp_path / "pgdata"
    data.mkdir()
    shutil.chown(tmp_path, "postgres")
    shutil.chown(data, "postgres")
    port = _free_port()

    def as_postgres(*args: str) -> None:
        done = subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-500:]

    as_postgres(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={tmp_path}"

    class Cluster:
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

        def start(self) -> None:
            as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(tmp_path / "pg.log"),
                        "start")

        def stop(self) -> None:
            as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")

    cluster = Cluster()
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(bindir / "pg_ctl"), "-D", str(data), "-m",
                        "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(tmp_path, ignore_errors=True)


async def test_postgres_stopped_and_started_loses_nothing(harness, throwaway_postgres) -> None:
    app = await harness.start(DATABASE_URL=throwaway_postgres.url)
    accepted = await harness.send(app, 5)
    await harness.until(lambda: len(harness.answered()) == 5, "answers before the outage")
    throwaway_postgres.stop()
    during = await harness.send(app, 5, first=5)  # what Slack sends while the database is down
    refused = [f"1700000000.{i:06d}" for i in range(5, 10) if f"1700000000.{i:06d}" not in during]
    assert refused, "the outage refused nothing: the database was not really down"
    throwaway_postgres.start()
    # Slack sends a refused (non-2xx) event again; the accepted ones are the bot's to answer.
    for i in range(5, 10):
        if f"1700000000.{i:06d}" in refused:
            accepted += await harness.send(app, 1, first=i)
    accepted += during
    await harness.until(lambda: len(harness.answered()) == 10, "every event answered once the database is back",
                        timeout=90)
    await asyncio.sleep(1.0)
    exactly_once(harness.answered(), accepted)
    assert await harness.logged_pg(throwaway_postgres.url) == 10


async def test_two_replicas_with_slack_retries_to_either_answer_each_event_once(harness) -> None:
    first, second = await harness.start(), await harness.start()
    accepted = []
    for i in range(20):  # each event to one replica, and Slack's retry of it to the other
        accepted += await harness.send(first if i % 2 else second, 1, first=i)
        await harness.send(second if i % 2 else first, 1, first=i)
    assert len(accepted) == 20
    await harness.until(lambda: len(harness.answered()) == 20, "every event answered")
    # Then Slack slows down and one replica dies mid-burst: the other takes over its leases.
    harness.mock.delay["chat.postMessage"] = 0.3
    accepted += await harness.send(first, 20, first=100)
    await harness.until(lambda: len(harness.answered()) >= 22, "the first replies of the burst")
    first.kill(signal.SIGKILL)
    await harness.until(lambda: len(harness.answered()) == 40, "the survivor finishing the dead one's work")
    await asyncio.sleep(1.0)
    exactly_once(harness.answered(), accepted)
    assert harness.logged() == 40
