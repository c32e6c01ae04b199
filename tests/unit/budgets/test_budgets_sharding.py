"""Sharing a large apply: cuts that keep a customer whole, and a dead worker's share redone."""

from __future__ import annotations

import os

import pytest

from connector.budgets import sharding
from connector.budgets.sharding import default_workers, run_shares, split_by_key
from connector.logging import LoggingConfig, logging_config


def _ordered(*runs: tuple[str, int]) -> list[tuple[str, str]]:
    return [(key, f"{key}-{n}") for key, count in runs for n in range(count)]


def test_shares_are_about_equal_and_cover_every_id_once() -> None:
    ordered = _ordered(*((f"c{n}", 10) for n in range(10)))

    shares = split_by_key(ordered, 3)

    assert [len(s) for s in shares] == [40, 30, 30]
    assert [i for s in shares for i in s] == [i for _, i in ordered]


def test_a_cut_never_splits_one_key() -> None:
    ordered = _ordered(("a", 3), ("b", 90), ("c", 7))

    shares = split_by_key(ordered, 2)

    assert shares == [
        [f"a-{n}" for n in range(3)] + [f"b-{n}" for n in range(90)],
        [f"c-{n}" for n in range(7)],
    ]


def test_fewer_ids_than_parts_gives_fewer_shares() -> None:
    assert split_by_key(_ordered(("a", 2), ("b", 1)), 4) == [["a-0", "a-1"], ["b-0"]]
    assert split_by_key([], 2) == []


def test_one_share_runs_here_without_a_pool() -> None:
    assert run_shares([[1, 2]], own=sum, worker=os._exit, worker_args=lambda share: (3,)) == [3]


def test_a_share_whose_process_died_is_run_here() -> None:
    ran_here: list[list[int]] = []

    def own(share: list[int]) -> int:
        ran_here.append(share)
        return sum(share)

    results = run_shares([[1, 2], [10, 20]], own=own, worker=os._exit, worker_args=lambda share: (3,))

    assert results == [3, 30]
    assert ran_here == [[1, 2], [10, 20]]


def test_other_shares_run_in_other_processes() -> None:
    results = run_shares([0, 1], own=lambda _: os.getpid(), worker=os.getpid, worker_args=lambda share: ())

    assert results[0] == os.getpid()
    assert results[1] != os.getpid()


def test_default_workers_is_between_one_and_four() -> None:
    assert 1 <= default_workers() <= 4


def test_a_worker_process_logs_like_its_parent_and_masks_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = LoggingConfig("json", "warning", frozenset({"tok-0123456789abcdef"}))
    monkeypatch.setattr(sharding, "logging_config", lambda: parent)

    results = run_shares([0, 1], own=lambda _: None, worker=logging_config, worker_args=lambda share: ())

    assert results[1] == parent
