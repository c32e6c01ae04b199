"""Benchmark of the Teamleader sandbox: seeding speed and list requests per second.

The sandbox runs as its own process (one event loop, one core); the load comes from another
process over keep-alive connections with a minimal raw HTTP/1.1 client, so the client is not the
bottleneck. Run: `.venv/bin/python bench/bench_sandbox.py [--requests 20000] [--connections 8]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import date

import httpx

from connector.sandbox.config import SeedParams
from connector.sandbox.seed import build_state


def bench_seed(entries: int) -> float:
    started = time.perf_counter()
    build_state(SeedParams(entries=entries), date(2026, 11, 1))
    return time.perf_counter() - started


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def _worker(host: str, port: int, request: bytes, count: int, statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    for _ in range(count):
        writer.write(request)
        statuses.append(await _read_response(reader))
    writer.close()
    await writer.wait_closed()


async def bench_requests(
    url: str, token: str, endpoint: str, body: dict[str, object], total: int, connections: int
) -> float:
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    request = (
        f"POST /{endpoint} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    statuses: list[int] = []
    started = time.perf_counter()
    per_connection = total // connections
    await asyncio.gather(
        *(_worker(host, int(port), request, per_connection, statuses) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    if set(statuses) != {200}:
        raise SystemExit(f"unexpected statuses: {sorted(set(statuses))}")
    return len(statuses) / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    print(f"seed {args.entries} entries: {bench_seed(args.entries):.2f} s")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "connector.sandbox",
            "--port",
            "0",
            "--rate-limit",
            "0",
            "--entries",
            str(args.entries),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        token = httpx.post(f"{url}/_sandbox/tokens", timeout=30).json()["access_token"]
        cases = [
            ("timeTracking.list", {"page": {"size": 20, "number": 3}}),
            (
                "timeTracking.list",
                {"filter": {"started_after": "2026-09-01T00:00:00+00:00"}, "includes": "relates_to"},
            ),
            ("companies.list", {"page": {"size": 20}}),
            ("timeTracking.list", {"page": {"size": 100}}),
        ]
        for endpoint, body in cases:
            rate = asyncio.run(bench_requests(url, token, endpoint, body, args.requests, args.connections))
            print(f"{endpoint} {json.dumps(body)}: {rate:,.0f} requests/s")
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
