"""Write the next migration from the difference between the tables' metadata and the newest one.

Run by `make schema MESSAGE="what changed"` after a table changes. Release 0.1.0 shipped
revision 0001, so a change is a new revision on top (numbered 0002, 0003, ...), never an edit of
a released one; `tests/integration/storage` checks that the migrations and the metadata agree,
so a forgotten run fails the suite.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from connector.storage.engine import create_db_engine
from connector.storage.migrate import alembic_config, head_revision, upgrade


def main() -> None:
    message = " ".join(sys.argv[1:]).strip()
    if not message:
        raise SystemExit('say what changed: make schema MESSAGE="ledger index on (budget, time)"')
    revision = f"{int(head_revision()) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_db_engine(f"sqlite:///{Path(tmp) / 'head.db'}")
        upgrade(engine)
        with engine.begin() as conn:
            command.revision(alembic_config(conn), message=message, autogenerate=True, rev_id=revision)
    print(f"wrote migration {revision}; read it before committing (autogenerate misses some changes)")


if __name__ == "__main__":
    main()
