"""Indexes over time entries so `timeTracking.list` stays fast with 100,000 entries.

Entries are kept sorted by start time (the only sort Teamleader offers, `starts_on`), so date
windows are two binary searches; user, subject, subject type and `relates_to` filters use hash
sets. A query walks the narrowest candidate set, or the date window when that is smaller.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from connector.sandbox.model import Ref, TimeEntry

__all__ = ["TimeFilter", "TimeIndex"]

_MAX_ID = "\uffff"


@dataclass(slots=True)
class TimeFilter:
    """The filters of teamleader-api.md §3.3; datetimes as POSIX seconds, bounds inclusive."""

    ids: set[str] | None = None
    user_id: str | None = None
    started_after: float | None = None
    started_before: float | None = None
    ended_after: float | None = None
    ended_before: float | None = None
    subject: Ref | None = None
    subject_types: set[str | None] | None = None
    relates_to: Ref | None = None


class TimeIndex:
    def __init__(self) -> None:
        self._keys: list[tuple[float, str]] = []
        self._by_user: dict[str, set[str]] = {}
        self._by_subject: dict[Ref | None, set[str]] = {}
        self._by_subject_type: dict[str | None, set[str]] = {}
        self._by_relation: dict[Ref, set[str]] = {}
        self._max_duration = 0

    def __len__(self) -> int:
        return len(self._keys)

    def bulk_load(self, entries: Iterable[TimeEntry]) -> None:
        """Indexes many entries at once (one sort instead of many insertions)."""
        for entry in entries:
            self._keys.append((entry.started_at.timestamp(), entry.id))
            self._add_to_sets(entry)
        self._keys.sort()

    def add(self, entry: TimeEntry) -> None:
        insort(self._keys, (entry.started_at.timestamp(), entry.id))
        self._add_to_sets(entry)

    def remove(self, entry: TimeEntry) -> None:
        key = (entry.started_at.timestamp(), entry.id)
        position = bisect_left(self._keys, key)
        if position < len(self._keys) and self._keys[position] == key:
            del self._keys[position]
        self._by_user.get(entry.user_id, set()).discard(entry.id)
        self._by_subject.get(entry.subject, set()).discard(entry.id)
        self._by_subject_type.get(_subject_type(entry), set()).discard(entry.id)
        for relation in entry.relates_to:
            self._by_relation.get(relation, set()).discard(entry.id)

    def on_subject(self, subject: Ref) -> list[str]:
        """Ids of the entries tracked on `subject`, e.g. every entry of a task that just moved."""
        return list(self._by_subject.get(subject, ()))

    def _add_to_sets(self, entry: TimeEntry) -> None:
        self._by_user.setdefault(entry.user_id, set()).add(entry.id)
        self._by_subject.setdefault(entry.subject, set()).add(entry.id)
        self._by_subject_type.setdefault(_subject_type(entry), set()).add(entry.id)
        for relation in entry.relates_to:
            self._by_relation.setdefault(relation, set()).add(entry.id)
        self._max_duration = max(self._max_duration, entry.duration)

    def query(
        self, entries: dict[str, TimeEntry], wanted: TimeFilter, descending: bool, skip: int = 0
    ) -> Iterator[TimeEntry]:
        """Yields the matching entries in start-time order (ties broken by id), after the first `skip`.

        When only start bounds filter, every indexed position in range matches, so a deep page
        is reached by arithmetic instead of by walking (keeps a full sync's paging linear) and
        no entry needs checking.
        """
        low = self._lower_bound(wanted)
        high = self._upper_bound(wanted)
        start = bisect_left(self._keys, (low, "")) if low is not None else 0
        stop = bisect_right(self._keys, (high, _MAX_ID)) if high is not None else len(self._keys)
        sets = self._candidate_sets(wanted)
        window_is_answer = not sets and wanted.ended_after is None and wanted.ended_before is None
        if window_is_answer:
            if descending:
                stop -= skip
            else:
                start += skip
            skip = 0
        if start >= stop:
            return
        if skip:
            yield from islice(self.query(entries, wanted, descending), skip, None)
            return
        if sets and len(sets[0]) * 8 < stop - start:
            chosen = [entries[entry_id] for entry_id in sets[0] if entry_id in entries]
            matching = [entry for entry in chosen if _matches(entry, wanted, sets[1:])]
            matching.sort(key=lambda entry: (entry.started_at, entry.id), reverse=descending)
            yield from matching
            return
        window = range(stop - 1, start - 1, -1) if descending else range(start, stop)
        keys = self._keys
        if window_is_answer:
            yield from (entries[keys[position][1]] for position in window)
            return
        for position in window:
            entry_id = keys[position][1]
            if all(entry_id in candidates for candidates in sets):
                entry = entries[entry_id]
                if _matches(entry, wanted, ()):
                    yield entry

    def _lower_bound(self, wanted: TimeFilter) -> float | None:
        bounds = [wanted.started_after]
        if wanted.ended_after is not None:
            bounds.append(wanted.ended_after - self._max_duration)
        present = [bound for bound in bounds if bound is not None]
        return max(present) if present else None

    def _upper_bound(self, wanted: TimeFilter) -> float | None:
        present = [bound for bound in (wanted.started_before, wanted.ended_before) if bound is not None]
        return min(present) if present else None

    def _candidate_sets(self, wanted: TimeFilter) -> list[set[str]]:
        sets: list[set[str]] = []
        if wanted.ids is not None:
            sets.append(wanted.ids)
        if wanted.user_id is not None:
            sets.append(self._by_user.get(wanted.user_id, set()))
        if wanted.subject is not None:
            sets.append(self._by_subject.get(wanted.subject, set()))
        if wanted.subject_types is not None:
            union: set[str] = set()
            for subject_type in wanted.subject_types:
                union |= self._by_subject_type.get(subject_type, set())
            sets.append(union)
        if wanted.relates_to is not None:
            sets.append(self._by_relation.get(wanted.relates_to, set()))
        sets.sort(key=len)
        return sets


def _subject_type(entry: TimeEntry) -> str | None:
    return entry.subject[0] if entry.subject else None


def _matches(entry: TimeEntry, wanted: TimeFilter, sets: Iterable[set[str]]) -> bool:
    started = entry.started_at.timestamp()
    ended = started + entry.duration
    if wanted.started_after is not None and started < wanted.started_after:
        return False
    if wanted.started_before is not None and started > wanted.started_before:
        return False
    if wanted.ended_after is not None and ended < wanted.ended_after:
        return False
    if wanted.ended_before is not None and ended > wanted.ended_before:
        return False
    return all(entry.id in candidates for candidates in sets)
