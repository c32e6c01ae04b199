"""Records kept as ready JSON, so a list page is a join of stored bytes, not a fresh rendering.

Rendering a time entry (dicts, ISO datetimes, exact decimals) costs about 6 µs; a 100-row
`timeTracking.list` page spent most of its time there and stayed near 1,200 requests/s. A record
is now rendered once per variant (e.g. with or without `includes=relates_to`) the first time it
is listed, and its JSON is reused as an `orjson.Fragment`, which orjson writes verbatim: the
answer is byte for byte what rendering the page anew would give. Kept JSON costs memory (about
70 MiB once all 100,000 entries of a large seed were listed with `relates_to`), and a record's
first listing costs what rendering it always did.

A fragment describes one version of a record, so every change to a record must `forget` it.
`SandboxState` does that in each method that changes or removes an entry, company or contact
(the control API and the write endpoints go through them); records are never changed in place
once they have been served (seeding edits them before any request).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Protocol, TypeVar

import orjson

from connector.sandbox.jsonio import encode

__all__ = ["FragmentCache"]


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


Record = TypeVar("Record", bound=_Identified)


class FragmentCache:
    """JSON fragments of records by variant and record id; filled lazily, emptied per record."""

    def __init__(self) -> None:
        self._variants: dict[Hashable, dict[str, orjson.Fragment]] = {}

    def rows(
        self, records: Iterable[Record], variant: Hashable, render: Callable[[Record], Any]
    ) -> list[orjson.Fragment]:
        """The records' JSON in order; `render` must depend on nothing but the record and `variant`."""
        cache = self._variants.setdefault(variant, {})
        result: list[orjson.Fragment] = []
        for record in records:
            fragment = cache.get(record.id)
            if fragment is None:
                fragment = cache[record.id] = orjson.Fragment(_compact(encode(render(record))))
            result.append(fragment)
        return result

    def forget(self, record_id: str) -> None:
        """Drops every variant of a record: it changed or is gone."""
        for cache in self._variants.values():
            cache.pop(record_id, None)


def _compact(raw: bytes) -> bytes:
    """A tight copy: orjson's output keeps a 4 KiB buffer, which for 100,000 kept entries of
    about 550 bytes would be 400 MiB instead of 55 MiB."""
    return memoryview(raw).tobytes()
