"""Records every HTTP request the product starts while its thread holds an open database transaction.

The house rule is "no network call inside a database transaction: fetch, then write". A request
made while a transaction is open holds that transaction (on SQLite: the database's write lock,
since every transaction begins IMMEDIATE) for as long as the remote side takes, and a token
refresh that needs the same lock deadlocks the thread against itself (issue 16, item 3).

How it sees both sides, with no hook inside `connector/`:

- Transactions: SQLAlchemy event listeners on the `Engine` class (so on every engine any code
  creates) see each connection's `begin` (explicit or autobegun by a first statement) and its
  `commit` / `rollback` (a connection closed with its transaction still open rolls back, which
  fires `rollback` too). Each open transaction is kept with the thread that opened it and the stack
  that opened it, and is checked with `Connection.in_transaction()` when a request starts. Read-only transactions count: on SQLite they take the write lock as well, and on
  PostgreSQL they hold a connection and a snapshot for as long as the request takes. Savepoints
  live inside a transaction that is already recorded.
- Requests: the request methods of httpx's transports (`HTTPTransport`, `AsyncHTTPTransport`, and
  `MockTransport`, which unit tests hand to the product's clients) are wrapped at class level, so
  every client the product builds is covered, authlib's OAuth client included; respx mocks below
  the transport, so respx-mocked requests pass through the wrapper as well.

What counts as a violation: a request whose call stack passes through product code (`connector/`,
except `connector/sandbox/`), started on a thread that holds an open transaction. Why those limits:
- The rule is about the product's clients. A test's own request (to the sandbox's control API, to
  the web app under test) is not product behaviour, so it is not flagged.
- The sandbox stands in for Teamleader: its webhook deliveries and whatever it does server side
  run on its own threads, never on a product thread, and it keeps its state in memory, not in the
  product's database. A request served by the product's web app is an incoming request: the
  handler's transactions do not hold anything while a remote side thinks.
- Transactions are per thread because a transaction blocks the thread that holds it: another
  thread's request while this one writes is what "fetch, then write" is for.

`install()` is idempotent and is called by the pytest plugin (`support.tx_guard_plugin`) in the
test process, and by `tests/txguard_site/sitecustomize.py` in every Python subprocess a test starts
(`prepaid` commands, racing workers), which appends its violations to a file the plugin reads.
"""

from __future__ import annotations

import fcntl
import json
import threading
import traceback
import weakref
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, event

__all__ = ["Violation", "install", "recorded", "take"]

_PRODUCT = "/connector/"
_NOT_PRODUCT = ("/connector/sandbox/",)
_LIBRARY_MARKERS = ("/site-packages/", "/lib/python3", "/.venv/", "<frozen ")
_HERE = str(Path(__file__).resolve())


@dataclass(frozen=True)
class Violation:
    """One request started inside an open transaction: what was sent, and where each began."""

    request: str
    thread: str
    transaction_opened_at: str
    transaction_stack: str
    request_stack: str

    def describe(self) -> str:
        """The message a failing test shows."""
        return (
            f"HTTP request {self.request} started on thread {self.thread!r} while a database "
            f"transaction opened at {self.transaction_opened_at} was still open "
            "(fetch, then write: no network call inside a transaction).\n"
            f"  transaction opened by:\n{self.transaction_stack}"
            f"  request started by:\n{self.request_stack}"
        )


@dataclass(frozen=True)
class _Open:
    thread: int
    stack: list[traceback.FrameSummary]
    connection: weakref.ref[Connection]

    def still_open(self) -> bool:
        """A connection dropped without closing it (garbage collected) no longer counts."""
        conn = self.connection()
        return conn is not None and conn.in_transaction()


_lock = threading.Lock()
_open: dict[int, _Open] = {}
_violations: list[Violation] = []
_report: Path | None = None
_installed = False


def install(report: Path | None = None) -> None:
    """Start watching transactions and requests in this process; `report` receives violations as
    JSON lines (for a subprocess) instead of the in-memory list."""
    global _installed, _report
    with _lock:
        if _installed:
            return
        _installed = True
        _report = report
    event.listen(Engine, "begin", _on_begin)
    event.listen(Engine, "commit", _on_end)
    event.listen(Engine, "rollback", _on_end)
    _wrap_sync(httpx.HTTPTransport)
    _wrap_sync(httpx.MockTransport)
    _wrap_async(httpx.AsyncHTTPTransport)
    _wrap_async(httpx.MockTransport)


def recorded() -> int:
    """How many violations this process has recorded so far (a mark to `take` from)."""
    with _lock:
        return len(_violations)


def take(since: int = 0) -> list[Violation]:
    """The violations recorded after mark `since`; they are dropped from the record."""
    with _lock:
        taken = _violations[since:]
        del _violations[since:]
    return taken


def read_report(path: Path, offset: int) -> tuple[list[Violation], int]:
    """Violations that subprocesses appended to `path` after byte `offset`, and the new offset."""
    if not path.exists():
        return [], offset
    with path.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    complete = data[: data.rfind(b"\n") + 1]
    found = [Violation(**json.loads(line)) for line in complete.splitlines() if line.strip()]
    return found, offset + len(complete)


def _on_begin(conn: Connection) -> None:
    entry = _Open(threading.get_ident(), traceback.extract_stack()[:-1], weakref.ref(conn))
    with _lock:
        _open[id(conn)] = entry


def _on_end(conn: Connection) -> None:
    with _lock:
        _open.pop(id(conn), None)


def _check(request: httpx.Request) -> None:
    me = threading.get_ident()
    with _lock:
        holding = [entry for entry in _open.values() if entry.thread == me and entry.still_open()]
    if not holding:
        return
    stack = traceback.extract_stack()[:-2]
    if not any(_is_product(frame.filename) for frame in stack):
        return
    opened = holding[0].stack
    violation = Violation(
        request=f"{request.method} {request.url.copy_with(query=None)}",
        thread=threading.current_thread().name,
        transaction_opened_at=_site(opened),
        transaction_stack=_format(opened),
        request_stack=_format(stack),
    )
    if _report is not None:
        _append(_report, violation)
        return
    with _lock:
        _violations.append(violation)


def _wrap_sync(cls: type[Any]) -> None:
    original: Callable[[Any, httpx.Request], httpx.Response] = cls.handle_request
    if getattr(original, "_tx_guarded", False):
        return

    def handle_request(self: Any, request: httpx.Request) -> httpx.Response:
        _check(request)
        return original(self, request)

    handle_request._tx_guarded = True  # type: ignore[attr-defined]
    cls.handle_request = handle_request


def _wrap_async(cls: type[Any]) -> None:
    original = cls.handle_async_request
    if getattr(original, "_tx_guarded", False):
        return

    async def handle_async_request(self: Any, request: httpx.Request) -> httpx.Response:
        _check(request)
        response: httpx.Response = await original(self, request)
        return response

    handle_async_request._tx_guarded = True  # type: ignore[attr-defined]
    cls.handle_async_request = handle_async_request


def _is_product(filename: str) -> bool:
    return _PRODUCT in filename and not any(part in filename for part in _NOT_PRODUCT)


def _interesting(frame: traceback.FrameSummary) -> bool:
    return frame.filename != _HERE and not any(marker in frame.filename for marker in _LIBRARY_MARKERS)


def _site(stack: list[traceback.FrameSummary]) -> str:
    """The innermost frame of our own code: the line that began (or autobegan) the transaction."""
    for frame in reversed(stack):
        if _interesting(frame):
            return f"{frame.filename}:{frame.lineno} in {frame.name}"
    return "an unknown site"


def _format(stack: list[traceback.FrameSummary]) -> str:
    frames = [frame for frame in stack if _interesting(frame)]
    return "".join(f"    {frame.filename}:{frame.lineno} in {frame.name}: {frame.line}\n" for frame in frames)


def _append(path: Path, violation: Violation) -> None:
    line = json.dumps(asdict(violation)) + "\n"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.write(line)
        handle.flush()
        fcntl.flock(handle, fcntl.LOCK_UN)
