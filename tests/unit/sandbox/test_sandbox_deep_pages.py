"""§2.4 Pagination: a deep page holds exactly the rows that walking the whole list would give."""

from __future__ import annotations

from itertools import islice

import pytest
from support.clock import PINNED_AT

from connector.sandbox.config import SeedParams
from connector.sandbox.seed import build_state
from connector.sandbox.timeindex import TimeFilter


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("kind", ["none", "started", "started+ended", "user"])
def test_skipping_to_a_page_equals_walking_to_it(kind: str, descending: bool) -> None:
    state = build_state(SeedParams(seed=3, entries=1500), PINNED_AT.date())
    entries = sorted(state.entries.values(), key=lambda e: e.started_at)
    middle = entries[len(entries) // 3].started_at.timestamp()
    wanted = {
        "none": TimeFilter(),
        "started": TimeFilter(started_after=middle),
        "started+ended": TimeFilter(started_after=middle, ended_after=middle + 7200),
        "user": TimeFilter(user_id=entries[0].user_id),
    }[kind]
    walked = [e.id for e in state.time_index.query(state.entries, wanted, descending)]
    assert walked
    for skip in (0, 1, 99, 100, 250, len(walked) - 1, len(walked)):
        page = [e.id for e in islice(state.time_index.query(state.entries, wanted, descending, skip), 100)]
        assert page == walked[skip : skip + 100]
