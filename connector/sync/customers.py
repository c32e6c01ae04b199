"""Finding the customer of a time entry tracked on a task, ticket or milestone: fetch, then write.

Most entries name their customer directly (subject) or through the `relates_to` sideload, at no
extra cost. The rest are written as `unresolved` and settled after the page loop, for the whole
run at once, so a thousand entries on a hundred tasks cost one `tasks.list`:

1. a short read: the subjects of every unresolved entry (anywhere, not only in the synced
   window), the cached links that are older than PREPAID_CUSTOMER_LINK_MAX_AGE_HOURS, and those
   a webhook said changed;
2. the lookups, outside any transaction (`SubjectLookups`: batched, one shared deadline);
3. one transaction that stores the definitive answers in `subject_link` and relinks the entries
   whose customer they change; those entries are handed on to the budgets.

A page being written uses the cached links (any age) in its own transaction and never calls the
API, so no token refresh can wait for a lock the sync itself holds. A subject whose lookup failed
stays unresolved: nothing is cached, and the next sync asks again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, literal_column, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from connector.clock import Clock
from connector.storage.tables.sync import subject_link, time_entry
from connector.sync.lookups import Answers, Key, Link, LookupDeadline, SubjectLookups
from connector.sync.mapping import (
    CUSTOMER_TYPES,
    LOOKED_UP,
    LOOKUP_SUBJECTS,
    NO_CUSTOMER,
    UNRESOLVED,
    entry_with_customer,
)
from connector.sync.source import TeamleaderSource

__all__ = ["CustomerResolver", "Settled", "count_unresolved", "is_unresolved"]

_RELINKABLE = (UNRESOLVED, LOOKED_UP, NO_CUSTOMER)
_STALE = datetime(1970, 1, 1, tzinfo=UTC)
_CHUNK = 400


def is_unresolved() -> ColumnElement[bool]:
    """`customer_source = 'unresolved'` written literally, so SQLite uses the partial index on it."""
    return time_entry.c.customer_source == literal_column(f"'{UNRESOLVED}'")


@dataclass
class Settled:
    """What one settling round did: entries relinked (to hand on), subjects asked, calls, what is left."""

    changed: list[str] = field(default_factory=list)
    asked: int = 0
    api_calls: int = 0
    unresolved_entries: int = 0


class CustomerResolver:
    """Resolves subject -> customer links through the cache in `subject_link` and batched lookups."""

    def __init__(self, engine: Engine, source: TeamleaderSource, *, clock: Clock, max_age: timedelta) -> None:
        self._engine = engine
        self._source = source
        self._lookups = SubjectLookups(source)
        self._clock = clock
        self._max_age = max_age

    def fill_from_cache(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """`rows` with the cached customer of every unresolved entry whose subject has a link (no I/O)."""
        keys = {_key(r) for r in rows if r["customer_source"] == UNRESOLVED}
        known = _links(conn, keys)
        return [
            _relinked(row, known[_key(row)])
            if row["customer_source"] == UNRESOLVED and _key(row) in known
            else row
            for row in rows
        ]

    def deadline(self, seconds: float) -> LookupDeadline:
        """A fresh deadline for one run's lookups."""
        return LookupDeadline(self._clock, seconds)

    def settle(
        self,
        deadline: LookupDeadline,
        *,
        subjects: Iterable[Key] | None = None,
        refresh: Iterable[Key] = (),
        include_stale: bool = True,
    ) -> Settled:
        """Look up unresolved entries' subjects (only `subjects` when given), stale and `refresh`ed links."""
        now = self._clock.now()
        calls_before = self._source.api_calls
        only = None if subjects is None else set(subjects)
        with self._engine.connect() as conn:
            pending = _pending_subjects(conn, only)
            cached = _links(conn, pending)
            forced = set(_links(conn, _with_milestones(conn, set(refresh))))
            stale = _stale_links(conn, now - self._max_age) if include_stale else set()
            previous = _links(conn, forced | stale)
        ask = (pending - cached.keys()) | forced | stale
        answers = self._lookup(ask, deadline) if ask else Answers()
        with self._engine.begin() as conn:
            _remember(conn, answers.links, now)
            _mark_stale(conn, forced & answers.unresolved)
            moved = {k for k, link in answers.links.items() if previous.get(k) != link}
            moved |= _follow_projects(conn, {i for k, i in moved if k == "project"}, answers.links, now)
            final = {**cached, **answers.links}
            changed = _relink_entries(conn, pending & final.keys(), final, is_unresolved())
            relinkable = time_entry.c.customer_source.in_(_RELINKABLE)
            changed += _relink_entries(conn, (moved - pending) & final.keys(), final, relinkable)
            left = count_unresolved(conn)
        return Settled(changed, len(ask), self._source.api_calls - calls_before, left)

    def _lookup(self, keys: set[Key], deadline: LookupDeadline) -> Answers:
        answers = self._lookups.direct({k for k in keys if k[0] != "milestone"}, deadline)
        milestones = self._lookups.milestones({i for k, i in keys if k == "milestone"}, deadline)
        answers.unresolved |= milestones.unresolved
        projects = {link.project_id for link in milestones.links.values() if link.project_id}
        with self._engine.connect() as conn:
            known = {k[1]: v for k, v in _links(conn, {("project", p) for p in projects}).items()}
        known.update({i: v for (k, i), v in answers.links.items() if k == "project"})
        asked = self._lookups.direct({("project", p) for p in projects - known.keys()}, deadline)
        answers.merge(asked)
        known.update({i: v for (k, i), v in asked.links.items()})
        for key, link in milestones.links.items():
            if link.project_id is None:
                answers.links[key] = Link(None)
            elif link.project_id in known:
                answers.links[key] = Link(known[link.project_id].customer, link.project_id)
            else:
                answers.unresolved.add(key)
        answers.links = {k: Link(_customer(v.customer), v.project_id) for k, v in answers.links.items()}
        return answers


def count_unresolved(conn: Connection) -> int:
    """Live time entries whose customer lookup failed or has not happened yet (the next sync retries)."""
    query = (
        select(func.count()).select_from(time_entry).where(is_unresolved(), time_entry.c.deleted_at.is_(None))
    )
    return int(conn.execute(query).scalar_one())


def _key(row: Mapping[str, Any]) -> Key:
    return str(row["subject_type"]), str(row["subject_id"])


def _customer(customer: tuple[str, str] | None) -> tuple[str, str] | None:
    return customer if customer is not None and customer[0] in CUSTOMER_TYPES else None


def _relinked(row: dict[str, Any], link: Link) -> dict[str, Any]:
    return entry_with_customer(row, link.customer, LOOKED_UP if link.customer else NO_CUSTOMER)


def _chunks(keys: Iterable[Key]) -> Iterable[list[Key]]:
    ordered = sorted(keys)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _links(conn: Connection, keys: set[Key]) -> dict[Key, Link]:
    found: dict[Key, Link] = {}
    for chunk in _chunks(keys):
        rows = conn.execute(
            select(subject_link).where(
                tuple_(subject_link.c.subject_type, subject_link.c.subject_id).in_(chunk)
            )
        )
        for r in rows:
            customer = (r.customer_type, r.customer_id) if r.customer_id else None
            found[(r.subject_type, r.subject_id)] = Link(customer, r.project_id)
    return found


def _pending_subjects(conn: Connection, only: set[Key] | None) -> set[Key]:
    query = (
        select(time_entry.c.subject_type, time_entry.c.subject_id)
        .where(
            is_unresolved(),
            time_entry.c.deleted_at.is_(None),
            time_entry.c.subject_type.in_(LOOKUP_SUBJECTS),
            time_entry.c.subject_id.is_not(None),
        )
        .distinct()
    )
    found = {(str(r[0]), str(r[1])) for r in conn.execute(query)}
    return found if only is None else found & only


def _stale_links(conn: Connection, cutoff: datetime) -> set[Key]:
    query = select(subject_link.c.subject_type, subject_link.c.subject_id).where(
        subject_link.c.resolved_at < cutoff
    )
    return {(str(r[0]), str(r[1])) for r in conn.execute(query)}


def _with_milestones(conn: Connection, keys: set[Key]) -> set[Key]:
    """`keys` plus the milestones of the projects among them: a project's change is theirs too.

    Only subjects with a cached link are refreshed: a webhook about a task no entry was tracked on
    costs no call.
    """
    projects = [i for k, i in keys if k == "project"]
    if not projects:
        return keys
    query = select(subject_link.c.subject_id).where(
        subject_link.c.subject_type == "milestone", subject_link.c.project_id.in_(projects)
    )
    return keys | {("milestone", str(r[0])) for r in conn.execute(query)}


def _remember(conn: Connection, links: Mapping[Key, Link], now: datetime) -> None:
    if not links:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(subject_link)
    statement = statement.on_conflict_do_update(
        index_elements=["subject_type", "subject_id"],
        set_={
            "customer_type": statement.excluded.customer_type,
            "customer_id": statement.excluded.customer_id,
            "project_id": statement.excluded.project_id,
            "resolved_at": statement.excluded.resolved_at,
        },
    )
    conn.execute(
        statement,
        [
            {
                "subject_type": kind,
                "subject_id": ident,
                "customer_type": link.customer[0] if link.customer else None,
                "customer_id": link.customer[1] if link.customer else None,
                "project_id": link.project_id,
                "resolved_at": now,
            }
            for (kind, ident), link in sorted(links.items())
        ],
    )


def _mark_stale(conn: Connection, keys: set[Key]) -> None:
    """A webhook said these changed but asking failed: the next sync asks again (the link stays)."""
    for chunk in _chunks(keys):
        conn.execute(
            update(subject_link)
            .where(tuple_(subject_link.c.subject_type, subject_link.c.subject_id).in_(chunk))
            .values(resolved_at=_STALE)
        )


def _follow_projects(conn: Connection, projects: set[str], links: dict[Key, Link], now: datetime) -> set[Key]:
    """Give the milestones of projects whose customer changed that customer; the milestones moved."""
    if not projects:
        return set()
    query = select(subject_link.c.subject_id, subject_link.c.project_id).where(
        subject_link.c.subject_type == "milestone", subject_link.c.project_id.in_(sorted(projects))
    )
    followed = {
        ("milestone", str(r.subject_id)): Link(links[("project", r.project_id)].customer, r.project_id)
        for r in conn.execute(query)
        if ("milestone", str(r.subject_id)) not in links
    }
    _remember(conn, followed, now)
    links.update(followed)
    return set(followed)


def _relink_entries(
    conn: Connection, keys: set[Key], links: Mapping[Key, Link], which: ColumnElement[bool]
) -> list[str]:
    """Set the customer of the live entries on `keys` matching `which` where it differs; their ids.

    Entries waiting for a customer are found through the partial index; those of a subject whose
    link moved (rare: a webhook or an old link that changed) by a scan.
    """
    changed: list[str] = []
    for chunk in _chunks(keys):
        rows = conn.execute(
            select(
                time_entry.c.id,
                time_entry.c.raw,
                time_entry.c.content_hash,
                time_entry.c.subject_type,
                time_entry.c.subject_id,
                time_entry.c.customer_type,
                time_entry.c.customer_id,
                time_entry.c.customer_source,
            ).where(
                tuple_(time_entry.c.subject_type, time_entry.c.subject_id).in_(chunk),
                which,
                time_entry.c.deleted_at.is_(None),
            )
        ).all()
        for row in rows:
            new = _relinked(dict(row._mapping), links[(row.subject_type, row.subject_id)])
            if (new["customer_type"], new["customer_id"], new["customer_source"]) == (
                row.customer_type,
                row.customer_id,
                row.customer_source,
            ):
                continue
            done = conn.execute(
                update(time_entry)
                .where(time_entry.c.id == row.id, time_entry.c.content_hash == row.content_hash)
                .values(
                    customer_type=new["customer_type"],
                    customer_id=new["customer_id"],
                    customer_source=new["customer_source"],
                    content_hash=new["content_hash"],
                    revision=time_entry.c.revision + 1,
                )
            )
            if done.rowcount:
                changed.append(str(row.id))
    return changed
