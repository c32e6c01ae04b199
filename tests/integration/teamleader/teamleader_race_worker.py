"""One process of the refresh race: 20 threads call `users.me` at once with an expired token.

Started by test_teamleader_refresh_race.py with the database URL, sandbox URL and secret key in
the environment; prints "ready", waits for "go" on stdin, then prints one JSON line of outcomes.
"""

from __future__ import annotations

import json
import os
import sys
import threading

from connector.settings import Settings
from connector.storage import create_db_engine
from connector.teamleader import build_client

THREADS = 20


def main() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=os.environ["RACE_DATABASE_URL"],
        secret_key=os.environ["RACE_SECRET_KEY"],
        teamleader_api_url=os.environ["RACE_SANDBOX_URL"],
        teamleader_auth_url=os.environ["RACE_SANDBOX_URL"],
        teamleader_client_id=os.environ["RACE_CLIENT_ID"],
        teamleader_client_secret=os.environ["RACE_CLIENT_SECRET"],
    )
    engine = create_db_engine(settings.resolved_database_url, pool_size=THREADS)
    client = build_client(settings, engine)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def call() -> None:
        barrier.wait()
        try:
            outcome = client.me().account_id
        except Exception as exc:
            outcome = f"error: {type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(outcome)

    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":
        raise SystemExit("expected go")
    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    engine.dispose()
    print(json.dumps(outcomes), flush=True)


if __name__ == "__main__":
    main()
