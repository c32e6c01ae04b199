"""`python -m connector.sandbox --port N ...`: the sandbox as its own process.

For tests that need the sandbox in a separate process; the same options as `prepaid sandbox`,
parsed with argparse so this entry point imports nothing from the product's CLI.
"""

from __future__ import annotations

import argparse
import sys

from connector.sandbox.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from connector.sandbox.core import Sandbox
from connector.sandbox.server import SandboxStartError, bind, serve
from connector.sandbox.startup import banner, build_config


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m connector.sandbox", description="Local Teamleader sandbox"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--companies", type=int, default=40)
    parser.add_argument("--contacts", type=int, default=60)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--anchor", default=None, help="last day of tracked time, YYYY-MM-DD (default today)")
    parser.add_argument(
        "--task-share", type=float, default=0.0, help="share of the entries tracked on tasks, 0..1"
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--token-lifetime", type=int, default=3600)
    parser.add_argument("--rate-limit", type=int, default=200, help="requests per 60 s; 0 disables the limit")
    parser.add_argument(
        "--fault", action="append", default=[], help="ENDPOINT:KIND[:VALUE][,probability=P][,count=N]"
    )
    parser.add_argument("--fault-seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        config = build_config(
            seed=args.seed,
            companies=args.companies,
            contacts=args.contacts,
            entries=args.entries,
            months=args.months,
            anchor=args.anchor,
            task_share=args.task_share,
            client_id=args.client_id,
            client_secret=args.client_secret,
            token_lifetime=args.token_lifetime,
            rate_limit=args.rate_limit,
            faults=args.fault,
            fault_seed=args.fault_seed,
        )
        sock = bind(args.host, args.port)
    except (ValueError, SandboxStartError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sandbox = Sandbox(config)
    host, port = sock.getsockname()[:2]
    print(banner(f"http://{host}:{port}", config), flush=True)
    try:
        serve(sandbox, sock)
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
