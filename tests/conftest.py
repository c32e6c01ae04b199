"""Shared fixtures: migrated databases on SQLite and PostgreSQL, and settings for tests.

`db_url` is parametrised over both backends, so every storage test runs on each. PostgreSQL
comes from `PREPAID_TEST_POSTGRES_URL` (set by `make test` when a server answers, always by
`.ci/run`): the session gets its own fresh database, migrated once, and each test starts from
empty tables. SQLite tests get a copy of a database migrated once per session. Every test runs
under the no-network-inside-a-transaction guard (`support.tx_guard_plugin`).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from connector.clock import SYSTEM_CLOCK
from connector.settings import Settings
from connector.storage import create_db_engine, metadata, upgrade

pytest_plugins = ["support.tx_guard_plugin"]

POSTGRES_ENV = "PREPAID_TEST_POSTGRES_URL"
CLOCK_AT_ENV = "TEST_CLOCK_AT"


def pytest_report_header() -> str:
    return f"process clock: {SYSTEM_CLOCK.now().isoformat(timespec='seconds')}"


def pytest_configure() -> None:
    """Under `make test-dates`, refuse to run when the process clock did not move: a run that
    claims 2027-03-28 but tests today would prove nothing."""
    at = os.environ.get(CLOCK_AT_ENV)
    if at and abs(SYSTEM_CLOCK.now() - datetime.fromisoformat(at)) > timedelta(hours=1):
        raise pytest.UsageError(
            f"{CLOCK_AT_ENV}={at} but the process clock shows {SYSTEM_CLOCK.now():%Y-%m-%dT%H:%M}Z: "
            "run the dated suite through `make test-dates` (it puts tests/dates on PYTHONPATH)"
        )


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL for this run")
    name = f"prepaid_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = create_db_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_db_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL, once per backend."""
    if request.param == "sqlite":
        path = tmp_path / "prepaid.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("_postgres_database")
    _empty_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A migrated, empty SQLite database URL, for tests that need only one backend."""
    path = tmp_path / "prepaid.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated, empty database, once per backend."""
    eng = create_db_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings isolated from the developer's environment, on the parametrised database."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "data",
        database_url=db_url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
    )
