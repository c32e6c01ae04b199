"""Print the PostgreSQL URL that the tests should use, or nothing when no server answers.

`PREPAID_TEST_POSTGRES_URL` wins when set (`.ci/run` always sets it, so an unreachable server
then fails the run instead of being skipped); otherwise the local server at 127.0.0.1:5432.
"""

from __future__ import annotations

import os

import psycopg

LOCAL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def main() -> None:
    configured = os.environ.get("PREPAID_TEST_POSTGRES_URL")
    if configured:
        print(configured)
        return
    try:
        psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", connect_timeout=2).close()
    except psycopg.Error:
        return
    print(LOCAL)


if __name__ == "__main__":
    main()
