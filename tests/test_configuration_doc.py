"""Settings have one source (bot.core.environment.ENVIRONMENT): docs/configuration.md is generated from it and
must not drift, every Settings field and every variable the code reads is in it, and the README, the
Dockerfile and the deploy manifests use no variable it does not know. Plus the new settings' validation.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.core.config import ConfigError, Settings, load_settings
from bot.core.environment import ENVIRONMENT, configuration_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "configuration.md"
NAMES = {setting.name for setting in ENVIRONMENT}


def test_configuration_doc_is_generated_and_current() -> None:
    assert DOC.read_text(encoding="utf-8") == configuration_markdown(), \
        "docs/configuration.md is out of date: run python scripts/configuration_doc.py"
    check = subprocess.run([sys.executable, "scripts/configuration_doc.py", "--check"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60, check=False)
    assert check.returncode == 0, check.stderr


def test_every_settings_field_is_documented_once() -> None:
    documented = [name for setting in ENVIRONMENT for name in setting.fields]
    assert len(documented) == len(set(documented))
    assert set(documented) == {f.name for f in dataclasses.fields(Settings)}
    assert len(NAMES) == len(ENVIRONMENT)
    for setting in ENVIRONMENT:
        assert setting.meaning.endswith((".", ")")) and "|" not in setting.name, setting.name


def test_every_variable_the_code_reads_is_documented() -> None:
    read = set()
    pattern = re.compile(r"""(?:\bget|environ\.get|environ\[|getenv)\(?\s*["']([A-Z][A-Z0-9_]{2,})["']""")
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")]:
        read |= set(pattern.findall(path.read_text(encoding="utf-8")))
    assert read, "the pattern found nothing: update it"
    assert read - NAMES == set()


def test_load_settings_refuses_an_undocumented_variable(monkeypatch) -> None:
    import bot.core.config as config

    monkeypatch.setattr(config, "ENVIRONMENT_BY_NAME", {k: v for k, v in config.ENVIRONMENT_BY_NAME.items()
                                                        if k != "PORT"})
    with pytest.raises(LookupError, match="PORT is not in bot.core.environment.ENVIRONMENT"):
        load_settings({})


def test_readme_links_the_reference_and_names_only_real_settings() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    assert "docs/configuration.md" in section
    rows = re.findall(r"^\| `([A-Z_]+)`(?: / `([A-Z_]+)`)? \|", section, flags=re.MULTILINE)
    named = {name for row in rows for name in row if name}
    assert named and named <= NAMES


def _manifest_variables() -> set[str]:
    names: set[str] = set()
    deployment = yaml.safe_load((ROOT / "deploy/kubernetes/base/deployment.yaml").read_text())
    pod = deployment["spec"]["template"]["spec"]
    for container in [*pod["initContainers"], *pod["containers"]]:
        names |= {item["name"] for item in container.get("env", [])}
    for path in ("deploy/kubernetes/base/settings.yaml", "deploy/kubernetes/secret.example.yaml"):
        document = yaml.safe_load((ROOT / path).read_text())
        names |= set(document.get("data") or {}) | set(document.get("stringData") or {})
    compose = yaml.safe_load((ROOT / "deploy/compose.yaml").read_text())
    for service in compose["services"].values():
        if "sigsec-bot" in str(service.get("command", "")):
            names |= set(service.get("environment") or {})
    for line in (ROOT / "deploy/bot.env.example").read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            names.add(line.split("=", 1)[0])
    env_lines = re.findall(r"^ENV (.+?)(?=^\S)", (ROOT / "Dockerfile").read_text(), flags=re.MULTILINE | re.DOTALL)
    for block in env_lines:
        names |= set(re.findall(r"\b([A-Z][A-Z0-9_]+)=", block))
    return {name for name in names if not name.startswith(("PYTHON", "PIP_", "POSTGRES_"))}


def test_dockerfile_and_manifests_set_only_real_settings() -> None:
    used = _manifest_variables()
    assert {"HOST", "PORT", "METRICS_PORT", "DATABASE_URL", "SLACK_BOT_TOKEN"} <= used
    assert used - NAMES == set()


# --------------------------------------------------------------------------- HOST, METRICS_PORT, LOG_LEVEL


def test_host_defaults_to_loopback_and_is_validated() -> None:
    assert Settings().host == load_settings({}).host == "127.0.0.1"
    for raw, expected in (("0.0.0.0", "0.0.0.0"), ("::", "::"), ("[::1]", "::1"), (" 10.1.2.3 ", "10.1.2.3"),
                          ("localhost", "localhost"), ("bot.internal.example", "bot.internal.example")):
        assert load_settings({"HOST": raw}).host == expected
    for bad in ("1.2.3", "256.1.1.1", "a b", "http://0.0.0.0", "-bad-", "0.0.0.0:3000"):
        with pytest.raises(ConfigError, match="^HOST must be an IP address"):
            load_settings({"HOST": bad})


def test_metrics_port_and_log_level() -> None:
    assert load_settings({}).metrics_port is None
    assert load_settings({"METRICS_PORT": "9090"}).metrics_port == 9090
    with pytest.raises(ConfigError, match="^METRICS_PORT must differ from PORT"):
        load_settings({"METRICS_PORT": "3000"})
    with pytest.raises(ConfigError, match="^METRICS_PORT must be at least 0 and 65535"):
        load_settings({"METRICS_PORT": "70000"})
    assert load_settings({"LOG_LEVEL": "debug"}).log_level == "DEBUG"
    with pytest.raises(ConfigError, match="^LOG_LEVEL must be one of"):
        load_settings({"LOG_LEVEL": "loud"})


def test_app_token_alone_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings({"SLACK_APP_TOKEN": "xapp-1-A1-secretvalue"})
    assert str(raised.value) == "SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: set the bot token (xoxb-...) too"
    assert load_settings({"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1"}).slack_mode == "socket"
