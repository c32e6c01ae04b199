"""Benchmark of the Teamleader sandbox: seeding speed and list requests per second.

The sandbox runs as its own process (one event loop, one core); the load comes from another
process over keep-alive connections with a minimal raw HTTP/1.1 client, so the client is not the
bottleneck. Besides requests per second of wall time, each case prints the sandbox's own CPU
time (Linux): on a machine shared with other work, "requests per CPU second" says what the
sandbox would do with a core to itself, and "busy" how much of a core it actually got.
Run: `.venv/bin/python bench/bench_sandbox.py [--requests 20000] [--connections 8] [--task-share 0.02]`;
with a task share, seeding puts that share of the entries on tasks and a case lists 100 tasks by
ids (what a batched customer lookup asks).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import date

import httpx

from connector.sandbox.config import SeedParams
from connector.sandbox.seed import build_state


def bench_seed(entries: int, task_share: float) -> float:
    started = time.perf_counter()
    build_state(SeedParams(entries=entries, task_share=task_share), date(2026, 11, 1))
    return time.perf_counter() - started


def _cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process, from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def _request(host: str, token: str, endpoint: str, body: dict[str, object]) -> bytes:
    payload = json.dumps(body).encode()
    return (
        f"POST /{endpoint} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


async def bench_requests(
    url: str, token: str, endpoint: str, body: dict[str, object], total: int, connections: int
) -> float:
    """The same request over and over: what a benchmark polling or re-reading a page sees."""
    host, port = url.removeprefix("http://").split(":")
    request = _request(host, token, endpoint, body)
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


async def bench_walk(url: str, token: str, pages: int) -> float:
    """Pages of 100 with `includes=relates_to` read once each, in order, on one connection: what
    a full sync asks of the sandbox, every entry served for the first time. Returns pages/s."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    started = time.perf_counter()
    for number in range(1, pages + 1):
        body: dict[str, object] = {"page": {"size": 100, "number": number}, "includes": "relates_to"}
        writer.write(_request(host, token, "timeTracking.list", body))
        status = await _read_response(reader)
        if status != 200:
            raise SystemExit(f"unexpected status {status} on page {number}")
    elapsed = time.perf_counter() - started
    writer.close()
    await writer.wait_closed()
    return pages / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--task-share", type=float, default=0.0)
    args = parser.parse_args()
    print(f"seed {args.entries} entries: {bench_seed(args.entries, args.task_share):.2f} s")
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
            "--task-share",
            str(args.task_share),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().rsplit(" ", 1)[-1].strip()
        token = httpx.post(f"{url}/_sandbox/tokens", timeout=30).json()["access_token"]
        pages = args.entries // 100
        walk = asyncio.run(bench_walk(url, token, pages))
        print(f"first reading of {pages} pages of 100 with relates_to: {walk:,.0f} pages/s")
        cases: list[tuple[str, dict[str, object]]] = [
            ("timeTracking.list", {"page": {"size": 20, "number": 3}}),
            (
                "timeTracking.list",
                {"filter": {"started_after": "2026-09-01T00:00:00+00:00"}, "includes": "relates_to"},
            ),
            ("companies.list", {"page": {"size": 20}}),
            ("timeTracking.list", {"page": {"size": 100}}),
            (
                "timeTracking.list",
                {
                    "filter": {"started_after": "2026-09-01T00:00:00+00:00"},
                    "includes": "relates_to",
                    "page": {"size": 100, "number": 5},
                },
            ),
        ]
        if args.task_share > 0:
            state = httpx.get(f"{url}/_sandbox/state?entries=0", timeout=60).json()
            task_ids = [task["id"] for task in state["todos"]][-100:]
            cases.append(("tasks.list", {"filter": {"ids": task_ids}, "page": {"size": 100}}))
        for endpoint, body in cases:
            cpu_before = _cpu_seconds(process.pid)
            started = time.perf_counter()
            rate = asyncio.run(bench_requests(url, token, endpoint, body, args.requests, args.connections))
            wall = time.perf_counter() - started
            cpu_after = _cpu_seconds(process.pid)
            shown = "filter.ids of 100 tasks" if endpoint == "tasks.list" else json.dumps(body)
            line = f"{endpoint} {shown}: {rate:,.0f} requests/s"
            if cpu_before is not None and cpu_after is not None and cpu_after > cpu_before:
                cpu = cpu_after - cpu_before
                line += f" ({rate * wall / cpu:,.0f} per sandbox CPU second, busy {cpu / wall:.0%})"
            print(line)
    finally:
        process.terminate()
        process.wait(timeout=10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
