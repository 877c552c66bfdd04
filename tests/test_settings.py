"""Settings read by pydantic-settings, by group (issue 28, point 7): every variable from the environment or
`.env`, a refused value named with what was expected, no field that nothing reads, and the documented table
matching the fields."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from app import serve
from app.settings import ROOT, VARIABLES, Settings, SettingsError, load_settings
from app.settings_groups import GROUPS, HttpSettings

NO_DOTENV = Path("/nonexistent/.env")


def test_settings_come_from_the_environment_over_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Given a .env file and some variables in the process environment, one of them also in the file
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=8100\nTREE_CACHE_MB=12\nLOG_LEVEL=warning\nUNRELATED=1\n")
    monkeypatch.setenv("PORT", "8200")
    monkeypatch.setenv("DEV_MODE", "false")
    monkeypatch.setenv("CORS_ORIGINS", "https://App.example.test, http://localhost:5173")
    monkeypatch.setenv("REQUEST_TIMEOUT_SECONDS", " 2.5 ")
    monkeypatch.setenv("SMTP_URL", "")  # blank: unset
    # When the settings are loaded
    settings = load_settings(env_file=dotenv)
    # Then the environment wins over the file, values are converted and normalized, blanks are defaults
    assert (settings.port, settings.tree_cache_mb, settings.log_level) == (8200, 12, "WARNING")
    assert settings.dev_mode is False and settings.request_timeout_seconds == 2.5 and settings.smtp_url is None
    assert settings.cors_origins == ("https://app.example.test", "http://localhost:5173")
    assert settings.answer_cache_mb == Settings().answer_cache_mb


def test_a_given_mapping_replaces_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given PORT in the process environment
    monkeypatch.setenv("PORT", "8300")
    # When settings are loaded from a mapping / Then only the mapping counts
    assert load_settings({}, env_file=NO_DOTENV).port == 8000
    assert load_settings({"port": "8400", "SUBSCRIPTION_PAGE_EVENTS": "7"}, env_file=NO_DOTENV).port == 8400
    assert load_settings({"SUBSCRIPTION_PAGE_EVENTS": "7"}, env_file=NO_DOTENV).subscription_page_events == 7


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("PORT", "abc", "valid integer"),
    ("PORT", "70000", "less than or equal to 65535"),
    ("ANSWER_CACHE_MB", "-1", "greater than or equal to 0"),
    ("DEV_MODE", "maybe", "valid boolean"),
    ("DELIVERY_POLL_SECONDS", "nan", "finite number"),
    ("OIDC_LEEWAY_SECONDS", "301", "less than or equal to 300"),
    ("DATABASE_POOLER", "pgbouncer-session", "'none' or 'pgbouncer-transaction'"),
    ("LOG_LEVEL", "loud", "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"),
    ("DATABASE_URL", "mysql://app:s3cret@db/app", "SQLite or PostgreSQL"),
    ("CORS_ORIGINS", "https://*.example.test", "not an origin"),
    ("SMTP_URL", "smtp://app:s3cret@relay", "from="),
    ("READ_DATABASE_URLS", "postgresql+asyncpg://app:s3cret@standby/app, mysql://app:s3cret@db/app",
     "not a PostgreSQL URL"),
    ("MAX_REPLICA_LAG", "0", "greater than 0"),
])
def test_a_refused_value_names_its_variable_and_what_was_expected(variable: str, value: str, expected: str) -> None:
    # Given one bad value / When the settings are loaded
    with pytest.raises(SettingsError) as refused:
        load_settings({variable: value}, env_file=NO_DOTENV)
    # Then the message names the variable and says what it should be, without a URL's password
    assert f"{variable}=" in str(refused.value) and expected in str(refused.value)
    assert "s3cret" not in str(refused.value)


def test_standbys_are_a_comma_separated_list_and_need_a_postgresql_primary() -> None:
    primary = "postgresql+asyncpg://app:pw@primary:5432/app"
    given = {"DATABASE_URL": primary, "READ_DATABASE_URLS": " postgresql+asyncpg://app:pw@one/app ,"
             "postgresql+asyncpg://app:pw@two/app,"}
    assert load_settings(given, env_file=NO_DOTENV).read_database_urls == (
        "postgresql+asyncpg://app:pw@one/app", "postgresql+asyncpg://app:pw@two/app")
    assert load_settings({"DATABASE_URL": primary}, env_file=NO_DOTENV).read_database_urls == ()
    with pytest.raises(SettingsError, match="READ_DATABASE_URLS needs a PostgreSQL DATABASE_URL"):
        load_settings({"READ_DATABASE_URLS": "postgresql+asyncpg://app:pw@one/app"}, env_file=NO_DOTENV)


def test_every_refused_value_is_named_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings({"PORT": "abc", "TREE_CACHE_MB": "lots", "HOST": "0.0.0.0"}, env_file=NO_DOTENV)
    assert re.findall(r"^  ([A-Z_]+)=", str(refused.value), re.MULTILINE) == ["PORT", "TREE_CACHE_MB"]


def test_serve_prints_a_refused_setting_and_exits_without_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Given PORT=abc / When scripts/serve starts
    monkeypatch.setenv("PORT", "abc")
    with pytest.raises(SystemExit) as exited:
        serve.main([])
    # Then it exits with status 2 and says which variable, before migrating or serving anything
    said = capsys.readouterr()
    assert exited.value.code == 2 and said.out == ""
    assert said.err.startswith("Processgraph: settings refused:\n  PORT='abc': Input should be a valid integer")


@pytest.mark.parametrize("module", ["app.notify.worker", "app.auth.cli", "app.demo", "app.migrate"])
def test_every_command_prints_a_refused_setting_and_exits_without_a_traceback(module: str) -> None:
    # Given PORT=abc / When a command of scripts/ (worker, admin, demo-data, the migration) starts
    env = {**os.environ, "PORT": "abc"}
    args = ["create-workspace", "--name", "x"] if module == "app.auth.cli" else []
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    # Then it exits with status 2, naming the variable, with no traceback
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("Processgraph: settings refused:\n  PORT='abc'"), done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_and_removed_fields_are_refused_when_building_settings() -> None:
    for removed in ("max_nodes_ids", "max_tree_depth", "max_tree_nodes"):
        # Given a field nothing read (the tree limits are constants of app/process/limits.py)
        # When Settings is built with it / Then it is refused, and Settings has no such attribute
        changes: dict[str, Any] = {removed: 1}
        with pytest.raises(ValidationError, match="Unexpected keyword argument"):
            Settings(**changes)
        assert not hasattr(Settings(), removed)
        assert removed not in VARIABLES


def test_settings_built_directly_are_checked_too() -> None:
    settings = Settings(port=8001)
    with pytest.raises(ValidationError, match="port"):
        dataclasses.replace(settings, port=-1)
    assert dataclasses.replace(settings, host="0.0.0.0").port == 8001


def test_settings_compose_the_groups_and_each_field_is_described() -> None:
    # Every field (but the clock) is in exactly one group, and Settings is all of them
    names = [f.name for group in GROUPS for f in dataclasses.fields(group)]
    assert len(names) == len(set(names)) == len(VARIABLES)
    assert {f.name for f in dataclasses.fields(Settings)} == set(names) | {"clock"}
    assert all(issubclass(Settings, group) for group in GROUPS)
    # A group stands alone
    assert HttpSettings(port=8001).port == 8001 and not hasattr(HttpSettings(), "database_url")
    for group in GROUPS:
        assert group.__doc__, group
        # (a pydantic dataclass keeps each field's FieldInfo as the dataclass field's default)
        assert [f.name for f in dataclasses.fields(group)
                if not (isinstance(f.default, FieldInfo) and f.default.description)] == [], group


def test_the_documented_settings_are_the_variables() -> None:
    # Given the settings tables of docs/operations.md
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text[text.index("## Settings"):text.index("## Health, metrics and logs")]
    first_cells = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    # Then every variable is documented and every documented one is read
    assert documented == {name.upper() for name in VARIABLES}
    headings = re.findall(r"^### (.+)$", section, re.MULTILINE)
    assert headings == ["Database", "HTTP", "Auth and OIDC", "Notifications", "Caches", "Limits", "Operations"]
