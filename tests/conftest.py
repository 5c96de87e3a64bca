"""Shared fixtures. Keep each section small and documented; add new sections below the last one."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, TypeVar

import pytest

from bot.core.config import mask

T = TypeVar("T")

# --------------------------------------------------------------------------- databases
# Storage tests run against SQLite (a file in tmp_path) and PostgreSQL for real. PostgreSQL:
# TEST_POSTGRES_URL (default below, trust auth). A fresh uniquely named schema is created once per
# test session (emptied before each test) and dropped at the end. Unreachable server: the
# postgres cases are skipped, unless REQUIRE_POSTGRES=1 (CI), where they fail.

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES", "").strip().lower() in {"1", "true", "yes"}


@dataclass(frozen=True)
class TestDatabase:
    """Where a test's store lives; pass both fields to `Store.open` / `upgrade_database`."""

    __test__ = False  # not a test class, despite the name

    backend: str  # "sqlite" | "postgres"
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)


def _in_thread(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine on its own loop in a worker thread (never disturbs pytest-asyncio's loop)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()  # type: ignore[arg-type]


def _asyncpg_dsn(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_execute(*statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A fresh schema for this session; skips (or fails under REQUIRE_POSTGRES=1) without a server."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    try:
        _in_thread(lambda: _pg_execute(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no usable server"
        reason = f"PostgreSQL unreachable at {mask(POSTGRES_URL)} ({type(exc).__name__}: {exc})"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason}; REQUIRE_POSTGRES=1 forbids skipping", pytrace=False)
        pytest.skip(f"{reason}; set TEST_POSTGRES_URL or start PostgreSQL to run these")
    yield schema
    _in_thread(lambda: _pg_execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> TestDatabase:
    """An empty database of each backend (no tables yet)."""
    if request.param == "sqlite":
        return TestDatabase("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    schema: str = request.getfixturevalue("postgres_schema")
    await _pg_execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
    return TestDatabase("postgres", POSTGRES_URL, {"server_settings": {"search_path": schema}})


@pytest.fixture
async def store(database: TestDatabase) -> AsyncIterator[Any]:
    """A migrated `bot.storage.Storage` on each backend, user ids hashed with the default salt."""
    from bot.storage import Storage

    opened = await Storage.open(database.url, connect_args=database.connect_args)
    try:
        yield opened
    finally:
        await opened.close()


# --------------------------------------------------------------------------- Slack end-to-end
# The REAL app (bot.bootstrap.SlackBot: composition root, server, listeners) on 127.0.0.1 port 0, a tmp SQLite store, and a
# mock Slack Web API (tests/support/mock_slack.py) that SLACK_API_URL points at. Requests are signed
# like Slack signs them (tests/support/signed_client.py). Replies happen after the ack, so tests poll
# the mock's recorded calls with a deadline (`await harness.mock.wait_for(...)`).

SLACK_SIGNING_SECRET = "test-signing-secret"
SLACK_BOT_TOKEN = "xoxb-test-0000-token"
SLACK_MAINTAINER = "UMAINT"

SLACK_TEST_FAQ = """\
entries:
  - id: report-vulnerability
    question: How do I report a security vulnerability in Kubernetes?
    alternates: ["Where do I send a security bug report?"]
    answer: Email security@kubernetes.io or use the bug bounty. Never post details publicly.
    links: [https://kubernetes.io/docs/reference/issues-security/security/]
    tags: [disclosure]
    owner: security-response-committee
    reviewed: 2025-01-15
  - id: pod-security-standards
    question: What are the Pod Security Standards?
    alternates: ["How do I enforce pod security standards in a namespace?"]
    answer: The Pod Security Standards define privileged, baseline and restricted profiles, enforced by Pod Security Admission <labels> & modes.
    links: [https://kubernetes.io/docs/concepts/security/pod-security-standards/]
    tags: [pss, admission]
    owner: sig-auth
    reviewed: 2025-01-15
  - id: rbac-least-privilege
    question: How do I set up RBAC with least privilege?
    answer: Grant Roles per namespace, avoid cluster-admin and wildcard verbs, and audit bindings regularly.
    links: [https://kubernetes.io/docs/concepts/security/rbac-good-practices/]
    tags: [rbac, authorization]
    owner: sig-auth
    reviewed: 2025-01-15
  - id: secrets-encryption
    question: How do I encrypt Secrets at rest in etcd?
    answer: Configure an EncryptionConfiguration with a KMS provider on the API server.
    links: [https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/]
    tags: [secrets, etcd, encryption]
    owner: sig-auth
    reviewed: 2025-01-15
  - id: secrets-external
    question: How do I use an external secrets manager with Kubernetes Secrets?
    answer: Use the Secrets Store CSI driver or an operator that syncs from your vault.
    links: [https://secrets-store-csi-driver.sigs.k8s.io/]
    tags: [secrets, vault]
    owner: sig-auth
    reviewed: 2025-01-15
  - id: security-audits
    question: Where can I read the Kubernetes third-party security audit reports?
    answer: The audit reports are published in the sig-security repository.
    links: [https://github.com/kubernetes/sig-security]
    tags: [audit]
    owner: sig-security
    reviewed: 2025-01-15
"""

SLACK_TEST_ROUTES = """\
routes:
  - id: security-response-committee
    name: Security Response Committee
    channel: security@kubernetes.io
    link: https://github.com/kubernetes/committee-security-response
    owns: private vulnerability reports
    terms: [disclosure, embargo]
  - id: sig-security
    name: SIG Security
    sig: sig-security
    channel: "#sig-security"
    link: https://github.com/kubernetes/community/tree/master/sig-security
    owns: audits, docs, tooling
    terms: [audit, assessment]
  - id: sig-auth
    name: SIG Auth
    sig: sig-auth
    channel: "#sig-auth"
    link: https://github.com/kubernetes/community/tree/master/sig-auth
    owns: authentication, authorization, admission, secrets
    terms: [rbac, authentication, authorization, oidc, serviceaccount]
  - id: sig-network
    name: SIG Network
    sig: sig-network
    channel: "#sig-network"
    link: https://github.com/kubernetes/community/tree/master/sig-network
    owns: networking
    terms: [networkpolicy, ingress, cni, dns, kube-proxy]
    phrases: [network policy, service mesh]
"""


@pytest.fixture
def slack_knowledge(tmp_path: Path) -> tuple[Path, Path]:
    """A small, self-contained knowledge folder and routing file for the Slack tests."""
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "faq.yaml").write_text(SLACK_TEST_FAQ, encoding="utf-8")
    shorthand = Path(__file__).resolve().parent.parent / "knowledge" / "shorthand.yaml"
    if shorthand.exists():
        (folder / "shorthand.yaml").write_text(shorthand.read_text(encoding="utf-8"), encoding="utf-8")
    routing = tmp_path / "routing.yaml"
    routing.write_text(SLACK_TEST_ROUTES, encoding="utf-8")
    return folder, routing


@pytest.fixture
async def mock_slack() -> AsyncIterator[Any]:
    from support.mock_slack import MockSlack

    mock = await MockSlack(bot_user_id="UBOT", bot_id="BBOT").start()
    try:
        yield mock
    finally:
        await mock.stop()


@dataclass
class SlackHarness:
    """A running app plus the tools to talk to it like Slack does."""

    __test__ = False

    bot: Any  # bot.bootstrap.SlackBot
    mock: Any  # support.mock_slack.MockSlack
    signer: Any  # support.signed_client.SlackSigner
    session: Any  # aiohttp.ClientSession
    knowledge_dir: Path
    routing_file: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.bot.port}"

    async def send(self, body: str | bytes, headers: dict[str, str], path: str = "/slack/events") -> tuple[int, str]:
        async with self.session.post(self.url + path, data=body, headers=headers) as response:
            return response.status, await response.text()

    async def event(self, event: dict[str, Any], **kwargs: Any) -> tuple[int, str]:
        return await self.send(*self.signer.event(event, **kwargs))

    async def command(self, text: str, *, user_id: str = "U1", channel_id: str = "C1") -> tuple[int, str]:
        return await self.send(*self.signer.command(text, user_id=user_id, channel_id=channel_id,
                                                    response_url=self.mock.response_url("cmd")))

    async def action(self, action_id: str, value: str, **kwargs: Any) -> tuple[int, str]:
        kwargs.setdefault("response_url", self.mock.response_url("act"))
        return await self.send(*self.signer.block_action(action_id, value, **kwargs))

    async def get(self, path: str) -> tuple[int, str]:
        async with self.session.get(self.url + path) as response:
            return response.status, await response.text()


@pytest.fixture
async def slack_factory(tmp_path: Path, mock_slack: Any, slack_knowledge: tuple[Path, Path]
                        ) -> AsyncIterator[Callable[..., Awaitable[SlackHarness]]]:
    """`await slack_factory(WATCH_CHANNELS="C9", ...)`: start the real app with extra environment."""
    import aiohttp

    from bot.bootstrap import SlackBot, open_service
    from bot.core.config import load_settings
    from support.signed_client import SlackSigner

    started: list[SlackHarness] = []
    session = aiohttp.ClientSession()

    async def start(*, pace_seconds: float = 0.0, database_url: str | None = None,
                    **env: str) -> SlackHarness:
        folder, routing = slack_knowledge
        settings = load_settings({
            "SLACK_BOT_TOKEN": SLACK_BOT_TOKEN, "SLACK_SIGNING_SECRET": SLACK_SIGNING_SECRET,
            "SLACK_API_URL": mock_slack.api_url, "PORT": "0", "KNOWLEDGE_DIR": str(folder),
            "ROUTING_FILE": str(routing), "MAINTAINERS": SLACK_MAINTAINER,
            "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{tmp_path / f'slack-{len(started)}.db'}",
            **env,
        })
        service = await open_service(settings)
        bot = SlackBot.build(settings, service, pace_seconds=pace_seconds)
        await bot.start(host="127.0.0.1", port=0)
        harness = SlackHarness(bot, mock_slack, SlackSigner(SLACK_SIGNING_SECRET), session, folder, routing)
        started.append(harness)
        return harness

    try:
        yield start
    finally:
        for harness in started:
            await harness.bot.stop()
        await session.close()


@pytest.fixture
async def slack_app(slack_factory: Callable[..., Awaitable[SlackHarness]]) -> SlackHarness:
    """The app with default settings (HTTP mode, no watched channels, maintainer UMAINT)."""
    return await slack_factory()
