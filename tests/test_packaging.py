"""A regular (non-editable) install finds its knowledge: build the wheel, install it into a fresh venv,
and run `validate` and `ask` from a folder that holds no knowledge of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the built wheel installed (dependencies from the package registry or pip's cache)."""
    work = tmp_path_factory.mktemp("wheel")
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(work / "dist"),
                 str(ROOT), cwd=work)
    assert built.returncode == 0, built.stderr[-2000:]
    [wheel] = list((work / "dist").glob("sigsec_bot-*.whl"))
    venv = work / "venv"
    assert _run(sys.executable, "-m", "venv", str(venv), cwd=work).returncode == 0
    # A clean environment: a PYTHONPATH pointing at a source tree would make pip think it is installed.
    pip = _run(str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(wheel), cwd=work,
               env=_clean_env())
    if pip.returncode != 0 and "Could not find a version" in pip.stderr:
        pytest.skip("no package registry reachable to install the wheel's dependencies")
    assert pip.returncode == 0, pip.stderr[-2000:]
    return venv


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in {"KNOWLEDGE_DIR", "ROUTING_FILE", "PYTHONPATH"}}


def test_wheel_install_validates_its_shipped_knowledge(installed: Path, tmp_path: Path) -> None:
    done = _run(str(installed / "bin" / "sigsec-bot"), "validate", cwd=tmp_path, env=_clean_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("OK: ")
    shipped = sum(len((yaml.safe_load(path.read_text()) or {}).get("entries") or [])
                  for path in (ROOT / "knowledge").glob("*.yaml"))
    assert int(done.stdout.strip().splitlines()[-1].split()[1]) == shipped  # every entry of the real knowledge


def test_wheel_install_answers_a_question(installed: Path, tmp_path: Path) -> None:
    done = _run(str(installed / "bin" / "sigsec-bot"), "ask", "how do I write a default deny network policy?",
                "--json", cwd=tmp_path, env=_clean_env())
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["kind"] == "answered" and answer["faq_id"] == "network-policies"


def test_wheel_install_says_where_to_point_when_knowledge_is_missing(installed: Path, tmp_path: Path) -> None:
    env = _clean_env() | {"KNOWLEDGE_DIR": str(tmp_path / "nowhere")}
    done = _run(str(installed / "bin" / "sigsec-bot"), "validate", cwd=tmp_path, env=env)
    assert done.returncode == 1 and "set KNOWLEDGE_DIR" in done.stdout
