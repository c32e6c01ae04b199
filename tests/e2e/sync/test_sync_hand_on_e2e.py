"""The sync hands changed time entries on in large runs, and what it stored even when a page fails."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pytest
from support.sandbox_copy import local_entries

from connector.bootstrap import Container
from connector.sync import engine as sync_engine
from connector.sync.engine import SyncEngine
from connector.teamleader import RequestFailed


class _FailingOnPage:
    """The real client, except that one page of time tracking fails as an API error would."""

    def __init__(self, client: Any, page: int) -> None:
        self._client = client
        self._page = page

    def call(
        self, endpoint: str, body: Mapping[str, Any] | None = None, *, deadline: float | None = None
    ) -> Any:
        if endpoint == "timeTracking.list" and (body or {}).get("page", {}).get("number") == self._page:
            raise RequestFailed(endpoint, 400, f"injected failure on page {self._page}")
        return self._client.call(endpoint, body, deadline=deadline)

    @property
    def api_calls(self) -> int:
        return int(self._client.api_calls)


def _engine(stack: Container, source: Any, handed: list[list[str]]) -> SyncEngine:
    return SyncEngine(
        stack.engine,
        source,
        since=stack.settings.sync_since or date(2025, 1, 1),
        window_days=stack.settings.sync_window_days,
        on_entries_changed=lambda ids: handed.append(list(ids)),
    )


def test_a_full_sync_hands_entries_on_in_runs_not_page_by_page(
    start_sandbox: Any, connect_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync_engine, "HAND_ON_EVERY", 250)
    sandbox = start_sandbox(entries=650)
    stack: Container = connect_stack(sandbox)
    handed: list[list[str]] = []

    _engine(stack, stack.teamleader(), handed).full()

    assert [len(run) for run in handed] == [300, 300, 50]
    assert sorted(i for run in handed for i in run) == sorted(local_entries(stack.engine))


def test_entries_stored_before_a_failing_page_are_still_handed_on(
    start_sandbox: Any, connect_stack: Any
) -> None:
    sandbox = start_sandbox(entries=650)
    stack: Container = connect_stack(sandbox)
    handed: list[list[str]] = []

    with pytest.raises(RequestFailed):
        _engine(stack, _FailingOnPage(stack.teamleader(), page=4), handed).full()

    stored = local_entries(stack.engine)
    assert len(stored) == 300
    assert [sorted(run) for run in handed] == [sorted(stored)]
