"""Asking Teamleader who the customer of a task, ticket, milestone or project is: batched, bounded.

Tasks, tickets and milestones are asked with one `.list` call per 100 ids (`filter.ids`, as the
spec allows); an id missing from the answer is gone, unless the answer holds ids we did not ask
for (the filter was ignored, as Teamleader does with filters it does not know): then nothing in it
is definitive. Legacy projects have no `filter.ids`, so a
project is asked with `projects.info` (a 404 means gone); there are few of them and their answers
are cached like the others.

Only a definitive answer comes back as a `Link`: the customer, or none (no customer, or gone).
A transient failure (5xx, 429 past its retries, timeout, dropped connection) or an answer we
cannot read leaves the subjects in `unresolved`, to be asked again by the next sync: an outage is
never remembered as "no customer". After one such failure the rest of that kind is not asked in
this run (one failed call, not one per batch), and every call shares the run's `LookupDeadline`,
so an outage costs a run its lookup budget at most and never stalls it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.clock import Clock
from connector.logging import get_logger
from connector.sync.source import MAX_PAGE_SIZE, TeamleaderSource, data_of
from connector.teamleader.errors import NotFound, RequestFailed, TransportFailed

__all__ = ["Answers", "Key", "Link", "LookupDeadline", "SubjectLookups"]

Key = tuple[str, str]
Customer = tuple[str, str]
_LISTS = {"todo": "tasks.list", "ticket": "tickets.list", "milestone": "milestones.list"}
_log = get_logger(__name__)


@dataclass(frozen=True)
class Link:
    """A definitive answer about one subject: its customer (None: it has none or is gone)."""

    customer: Customer | None
    project_id: str | None = None


@dataclass
class Answers:
    """What one round of lookups learnt: definitive links, and the subjects to ask again later."""

    links: dict[Key, Link] = field(default_factory=dict)
    unresolved: set[Key] = field(default_factory=set)

    def merge(self, other: Answers) -> None:
        self.links.update(other.links)
        self.unresolved |= other.unresolved


class LookupDeadline:
    """The one time budget that every lookup of a run shares; it starts with the first lookup."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock = clock
        self._seconds = seconds
        self._at: float | None = None

    def at(self) -> float:
        """The monotonic instant by which lookups must be over (fixed on the first call)."""
        if self._at is None:
            self._at = self._clock.monotonic() + self._seconds
        return self._at

    @property
    def spent(self) -> bool:
        return self._clock.monotonic() >= self.at()


class SubjectLookups:
    """The network side of customer resolution (no database: it runs outside any transaction)."""

    def __init__(self, source: TeamleaderSource) -> None:
        self._source = source

    def direct(self, keys: Iterable[Key], deadline: LookupDeadline) -> Answers:
        """Customers of tasks (`todo`), tickets and projects, which name their customer themselves."""
        answers = Answers()
        wanted = sorted(set(keys))
        for kind in ("todo", "ticket"):
            ids = [i for k, i in wanted if k == kind]
            answers.merge(self._listed(kind, ids, deadline, lambda row: Link(_ref(row.get("customer")))))
        answers.merge(self._projects([i for k, i in wanted if k == "project"], deadline))
        return answers

    def milestones(self, ids: Iterable[str], deadline: LookupDeadline) -> Answers:
        """Each milestone's project (as `project_id`; the customer is the project's, asked next)."""
        return self._listed("milestone", sorted(set(ids)), deadline, _milestone_link)

    def _listed(
        self,
        kind: str,
        ids: list[str],
        deadline: LookupDeadline,
        link: Callable[[Mapping[str, Any]], Link],
    ) -> Answers:
        answers = Answers()
        operation = _LISTS[kind]
        for start in range(0, len(ids), MAX_PAGE_SIZE):
            chunk = ids[start : start + MAX_PAGE_SIZE]
            body = {"filter": {"ids": chunk}, "page": {"size": MAX_PAGE_SIZE, "number": 1}}
            rows = self._ask(operation, body, deadline)
            if not isinstance(rows, list):
                answers.unresolved |= {(kind, i) for i in ids[start:]}
                return answers
            found = {str(r.get("id")): r for r in rows if isinstance(r, Mapping)}
            if found.keys() - set(chunk):
                _log.warning("sync.lookup_filter_ignored", operation=operation, asked=len(chunk))
                answers.unresolved |= {(kind, i) for i in ids[start:]}
                return answers
            for subject_id in chunk:
                answers.links[(kind, subject_id)] = (
                    link(found[subject_id]) if subject_id in found else Link(None)
                )
        return answers

    def _projects(self, ids: list[str], deadline: LookupDeadline) -> Answers:
        answers = Answers()
        for position, project_id in enumerate(ids):
            try:
                data = self._ask("projects.info", {"id": project_id}, deadline, gone_is_none=True)
            except _Gone:
                answers.links[("project", project_id)] = Link(None)
                continue
            if not isinstance(data, Mapping):
                answers.unresolved |= {("project", i) for i in ids[position:]}
                return answers
            answers.links[("project", project_id)] = Link(_ref(data.get("customer")))
        return answers

    def _ask(
        self, operation: str, body: dict[str, Any], deadline: LookupDeadline, *, gone_is_none: bool = False
    ) -> Any:
        """The call's `data`; None after a transient failure or when the deadline is spent."""
        if deadline.spent:
            _log.info("sync.lookup_deadline_spent", operation=operation)
            return None
        try:
            return data_of(self._source.call(operation, body, deadline=deadline.at()))
        except NotFound:
            if gone_is_none:
                raise _Gone from None
            _log.warning("sync.lookup_failed", operation=operation, error="HTTP 404 on a list")
            return None
        except (RequestFailed, TransportFailed) as exc:
            _log.warning("sync.lookup_failed", operation=operation, error=str(exc))
            return None


def _milestone_link(row: Mapping[str, Any]) -> Link:
    project = _ref(row.get("project"))
    return Link(None, project[1] if project else None)


class _Gone(Exception):
    """`.info` answered 404: the subject was deleted, a definitive answer."""


def _ref(value: Any) -> Customer | None:
    if isinstance(value, Mapping) and value.get("type") and value.get("id"):
        return str(value["type"]), str(value["id"])
    return None
