"""Settings: defaults, one-line errors that name the variable, the generated secret key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.settings import Settings, load_settings


def _run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PREPAID_")}
    return subprocess.run(
        [sys.executable, "-m", "connector", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/prepaid.db"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("database_url", "mysql://x", "PREPAID_DATABASE_URL='mysql://x' uses 'mysql'"),
        ("database_url", "not a url", "PREPAID_DATABASE_URL='not a url' is not a database URL"),
        ("port", "99999", "PREPAID_PORT='99999' Input should be less than or equal to 65535"),
        ("log_format", "xml", "PREPAID_LOG_FORMAT='xml'"),
        ("public_url", "ftp://x", "PREPAID_PUBLIC_URL='ftp://x' is not an http(s) URL"),
        ("sync_since", "yesterday", "PREPAID_SYNC_SINCE='yesterday'"),
    ],
)
def test_bad_value_names_the_variable_and_an_example(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(f"PREPAID_{variable.upper()}", value)
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    message = str(raised.value)
    assert message.startswith(expected)
    assert "for example PREPAID_" in message
    assert "\n" not in message


def test_missing_client_id_when_needed_is_named(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="PREPAID_TEAMLEADER_CLIENT_ID is not set"):
        settings.require_client()


def test_bad_database_url_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    result = _run_cli("db", "status", env={"PREPAID_DATABASE_URL": "oracle://x"}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: PREPAID_DATABASE_URL=")
    assert "Traceback" not in result.stderr + result.stdout


def test_secret_key_is_generated_once_into_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    first = settings.derived_key("tokens")
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    assert Settings(_env_file=None, data_dir=tmp_path).derived_key("tokens") == first  # type: ignore[call-arg]
    assert settings.derived_key("cookies") != first


def test_db_upgrade_then_status_on_a_fresh_data_dir(tmp_path: Path) -> None:
    env = {"PREPAID_DATA_DIR": str(tmp_path / "d"), "PREPAID_LOG_FORMAT": "json"}
    assert _run_cli("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    status = _run_cli("db", "status", "--json", env=env, cwd=tmp_path)
    assert status.returncode == 0
    assert '"up_to_date": true' in status.stdout


def test_a_bad_secret_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREPAID_API_TOKEN", "too-short-but-secret")
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    assert "too-short-but-secret" not in str(raised.value)
    assert str(raised.value).startswith("PREPAID_API_TOKEN (value hidden):")


def test_the_readme_embeds_the_current_configuration_reference() -> None:
    from connector.cli.config import embed_reference

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert embed_reference(readme) == readme, "run `prepaid config reference --update README.md`"
