"""Regenerate the single initial migration from the tables' metadata (nothing is deployed yet).

Run by `make schema` after a table changes; `tests/integration/storage` checks that the
migrations and the metadata agree, so a forgotten run fails the suite.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from connector.storage.engine import create_db_engine
from connector.storage.migrate import alembic_config

VERSIONS = Path(__file__).resolve().parent.parent / "connector" / "storage" / "migrations" / "versions"


def main() -> None:
    for old in VERSIONS.glob("*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{tmp}/empty.db")
        with engine.begin() as conn:
            command.revision(alembic_config(conn), message="initial schema", autogenerate=True, rev_id="0001")
    print(f"regenerated {next(VERSIONS.glob('*.py'))}")


if __name__ == "__main__":
    main()
