"""A call with a deadline: its retries stop before their back-off would pass it.

The sync's customer lookups share one deadline per run, so a 503 storm on `tasks.list` costs the
run at most that budget; without a deadline a read keeps its usual six attempts.
"""

from __future__ import annotations

import httpx
import pytest
from support.clock import PinnedClock

from connector.teamleader import ServerError, TeamleaderClient
from connector.teamleader.operations import MAX_ATTEMPTS

from .conftest import FakeTeamleader


def test_retries_stop_at_the_deadline_and_the_wait_never_passes_it(
    client: TeamleaderClient, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    route = fake.api("tasks.list").respond(503, json={"errors": [{"title": "Service unavailable"}]})
    deadline = clock.monotonic() + 2.0
    with pytest.raises(ServerError, match="Service unavailable"):
        client.call("tasks.list", {"filter": {"ids": ["t-1"]}}, deadline=deadline)
    assert 1 <= route.call_count < MAX_ATTEMPTS
    assert clock.monotonic() <= deadline


def test_a_spent_deadline_still_sends_once_but_never_retries(
    client: TeamleaderClient, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    route = fake.api("tasks.list").respond(503)
    with pytest.raises(ServerError):
        client.call("tasks.list", {}, deadline=clock.monotonic())
    assert route.call_count == 1
    assert clock.sleeps == []


def test_a_request_waits_no_longer_than_the_time_left(
    client: TeamleaderClient, fake: FakeTeamleader, clock: PinnedClock
) -> None:
    seen: list[float | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={"data": []})

    fake.api("tasks.list").mock(side_effect=answer)
    client.call("tasks.list", {}, deadline=clock.monotonic() + 3.0)
    client.call("tasks.list", {})
    assert seen[0] == pytest.approx(3.0)
    assert seen[1] == 30.0


def test_without_a_deadline_a_read_keeps_its_attempts(client: TeamleaderClient, fake: FakeTeamleader) -> None:
    route = fake.api("tasks.list").respond(503)
    with pytest.raises(ServerError):
        client.call("tasks.list", {})
    assert route.call_count == MAX_ATTEMPTS
