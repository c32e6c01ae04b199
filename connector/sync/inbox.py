"""The webhook inbox: accept Teamleader's notifications durably, then process them in batches.

Teamleader does not sign deliveries and says nothing about retries or ordering, so a delivery
is only a hint that a subject changed: `record_event` validates the envelope and stores it
(one pending row per subject, so a burst of 100 events for one entry is one row), and
`InboxProcessor` later fetches the changed subjects with one list call per 100 ids. Subjects
missing from the answer were deleted. Invoice and credit-note events go to the handlers that the
invoicing worker registers.

Events about tasks, projects, milestones and tickets refresh the cached customer links of those
subjects (a task moved to another customer moves its time with it); subjects no entry was tracked
on cost nothing. Every batch fetches first and writes after, and its lookups share one deadline
(PREPAID_CUSTOMER_LOOKUP_SECONDS); what they could not answer stays unresolved for the next sync.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from connector.clock import SYSTEM_CLOCK, Clock
from connector.errors import UserInputError
from connector.storage.tables.sync import company, contact, time_entry, webhook_inbox
from connector.sync.customers import CustomerResolver
from connector.sync.engine import EntriesChanged
from connector.sync.lookups import LookupDeadline
from connector.sync.mapping import MAPPERS, UNRESOLVED
from connector.sync.source import MAX_PAGE_SIZE, TeamleaderSource, data_of
from connector.sync.writer import mark_deleted, upsert_rows

__all__ = ["EVENT_TYPES", "InboxEvent", "InboxProcessor", "InvalidEvent", "SubjectHandler", "record_event"]

SYNC_EVENTS = {
    "timeTracking": ("added", "updated", "deleted"),
    "company": ("added", "updated", "deleted"),
    "contact": ("added", "updated", "deleted"),
}
LINK_EVENTS = {
    "task": ("updated", "deleted"),
    "project": ("updated", "deleted"),
    "milestone": ("updated",),
    "ticket": ("updated", "deleted"),
}
_LINK_KINDS = {"task": "todo", "project": "project", "milestone": "milestone", "ticket": "ticket"}
BILLING_EVENTS = {
    "invoice": ("booked", "updated", "deleted", "paymentRegistered", "paymentRemoved"),
    "creditNote": ("booked",),
}
EVENT_TYPES = tuple(
    f"{kind}.{action}"
    for table in (SYNC_EVENTS, LINK_EVENTS, BILLING_EVENTS)
    for kind, actions in table.items()
    for action in actions
)
_LISTS = {
    "timeTracking": ("timeTracking.list", "time_entries", time_entry),
    "company": ("companies.list", "companies", company),
    "contact": ("contacts.list", "contacts", contact),
}


class InvalidEvent(UserInputError):
    """A delivery that is not a Teamleader event we handle; the reason goes back in the 4xx answer."""


@dataclass(frozen=True)
class InboxEvent:
    """One stored event, as the handlers see it."""

    id: int
    event_type: str
    subject_type: str
    subject_id: str


SubjectHandler = Callable[[Sequence[InboxEvent]], None]


def _validate(payload: Any, account_id: str | None) -> tuple[str, str, str, str | None]:
    if not isinstance(payload, Mapping):
        raise InvalidEvent("the body must be a JSON object")
    event_type, subject = payload.get("type"), payload.get("subject")
    if not isinstance(event_type, str) or not event_type:
        raise InvalidEvent("`type` is missing")
    if event_type not in EVENT_TYPES:
        raise InvalidEvent(f"event type {event_type!r} is not one we subscribe to")
    if not isinstance(subject, Mapping) or not isinstance(subject.get("id"), str) or not subject.get("type"):
        raise InvalidEvent("`subject` must be an object with `type` and `id`")
    if subject["type"] != event_type.split(".")[0]:
        raise InvalidEvent(f"subject type {subject['type']!r} does not match event {event_type!r}")
    account = payload.get("account")
    sender = account.get("id") if isinstance(account, Mapping) else None
    if account_id and sender and sender != account_id:
        raise InvalidEvent("the event is for another Teamleader account than the one connected")
    return event_type, str(subject["type"]), str(subject["id"]), sender


def record_event(engine: Engine, payload: Any, *, account_id: str | None, now: datetime) -> bool:
    """Validate and store one delivery; False when an identical pending event already covers it."""
    event_type, subject_type, subject_id, sender = _validate(payload, account_id)
    row = {
        "event_type": event_type,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "account_id": sender,
        "payload": dict(payload),
        "received_at": now,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(webhook_inbox).values(**row))
    except IntegrityError:
        return False
    return True


class InboxProcessor:
    """Claims pending events and brings the local copy up to date with one fetch per batch."""

    def __init__(
        self,
        engine: Engine,
        source: TeamleaderSource,
        *,
        on_entries_changed: EntriesChanged | None = None,
        handlers: Mapping[str, SubjectHandler] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        lookup_seconds: float = 60.0,
        link_max_age: timedelta = timedelta(hours=24),
    ) -> None:
        self._engine = engine
        self._clock = clock.now
        self._source = source
        self._changed = on_entries_changed
        self._handlers = dict(handlers or {})
        self._lookup_seconds = lookup_seconds
        self._resolver = CustomerResolver(engine, source, clock=clock, max_age=link_max_age)

    def add_handler(self, subject_type: str, handler: SubjectHandler) -> None:
        """Route events about `subject_type` (invoice, creditNote) to `handler`."""
        self._handlers[subject_type] = handler

    def pending(self) -> int:
        """How many events wait (for the metrics and the health check)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(webhook_inbox.c.id).where(webhook_inbox.c.status == "pending"))
            return len(rows.all())

    def process(self, limit: int = 1000) -> int:
        """Process up to `limit` pending events; how many were handled."""
        events = self._claim(limit)
        if not events:
            return 0
        by_type: dict[str, list[InboxEvent]] = defaultdict(list)
        for event in events:
            by_type[event.subject_type].append(event)
        deadline = self._resolver.deadline(self._lookup_seconds)
        try:
            for subject_type, group in by_type.items():
                if subject_type in _LISTS:
                    self._refresh(subject_type, sorted({e.subject_id for e in group}), deadline)
                elif subject_type in self._handlers:
                    self._handlers[subject_type](group)
            links = {
                (_LINK_KINDS[e.subject_type], e.subject_id) for e in events if e.subject_type in _LINK_KINDS
            }
            if links:
                self._hand_on(
                    self._resolver.settle(deadline, subjects=(), refresh=links, include_stale=False).changed
                )
        except Exception as exc:
            self._finish(events, "pending", str(exc))
            raise
        self._finish(events, "done", None)
        return len(events)

    def requeue_stale(self, older_than: timedelta = timedelta(minutes=5)) -> int:
        """Put back events that a killed worker had claimed but not finished."""
        cutoff = self._clock() - older_than
        with self._engine.begin() as conn:
            stale = conn.execute(
                select(webhook_inbox.c.id, webhook_inbox.c.subject_type, webhook_inbox.c.subject_id).where(
                    webhook_inbox.c.status == "processing", webhook_inbox.c.processed_at < cutoff
                )
            ).all()
            for row in stale:
                covered = conn.execute(
                    select(webhook_inbox.c.id).where(
                        webhook_inbox.c.status == "pending",
                        webhook_inbox.c.subject_type == row.subject_type,
                        webhook_inbox.c.subject_id == row.subject_id,
                    )
                ).first()
                status = "done" if covered else "pending"
                conn.execute(update(webhook_inbox).where(webhook_inbox.c.id == row.id).values(status=status))
        return len(stale)

    def _claim(self, limit: int) -> list[InboxEvent]:
        with self._engine.begin() as conn:
            query = (
                select(
                    webhook_inbox.c.id,
                    webhook_inbox.c.event_type,
                    webhook_inbox.c.subject_type,
                    webhook_inbox.c.subject_id,
                )
                .where(webhook_inbox.c.status == "pending")
                .order_by(webhook_inbox.c.id)
                .limit(limit)
            )
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            if rows:
                conn.execute(
                    update(webhook_inbox)
                    .where(webhook_inbox.c.id.in_([r.id for r in rows]))
                    .values(
                        status="processing",
                        processed_at=self._clock(),
                        attempts=webhook_inbox.c.attempts + 1,
                    )
                )
        return [InboxEvent(r.id, r.event_type, r.subject_type, r.subject_id) for r in rows]

    def _finish(self, events: Sequence[InboxEvent], status: str, error: str | None) -> None:
        with self._engine.begin() as conn:
            for event in events:
                if (
                    status == "pending"
                    and conn.execute(
                        select(webhook_inbox.c.id).where(
                            webhook_inbox.c.status == "pending",
                            webhook_inbox.c.subject_type == event.subject_type,
                            webhook_inbox.c.subject_id == event.subject_id,
                        )
                    ).first()
                ):
                    status_here = "done"
                else:
                    status_here = status
                conn.execute(
                    update(webhook_inbox)
                    .where(webhook_inbox.c.id == event.id)
                    .values(
                        status=status_here,
                        processed_at=self._clock(),
                        error=error[:2000] if error else None,
                    )
                )

    def _hand_on(self, entry_ids: Sequence[str]) -> None:
        if entry_ids and self._changed is not None:
            self._changed(entry_ids)

    def _refresh(self, subject_type: str, ids: list[str], deadline: LookupDeadline) -> None:
        operation, resource, table = _LISTS[subject_type]
        changed: list[str] = []
        unresolved: set[tuple[str, str]] = set()
        for start in range(0, len(ids), MAX_PAGE_SIZE):
            chunk = ids[start : start + MAX_PAGE_SIZE]
            body: dict[str, Any] = {"filter": {"ids": chunk}, "page": {"size": MAX_PAGE_SIZE, "number": 1}}
            if subject_type == "timeTracking":
                body["includes"] = "relates_to"
            rows = [r for r in data_of(self._source.call(operation, body)) or [] if r.get("id") in chunk]
            now = self._clock()
            mapped = [MAPPERS[resource](raw, now) for raw in rows]
            with self._engine.begin() as conn:
                if subject_type == "timeTracking":
                    mapped = self._resolver.fill_from_cache(conn, mapped)
                    unresolved |= {
                        (r["subject_type"], r["subject_id"])
                        for r in mapped
                        if r["customer_source"] == UNRESOLVED
                    }
                changed += upsert_rows(conn, table, mapped, now).changed
                missing = set(chunk) - {r["id"] for r in mapped}
                if missing:
                    changed += mark_deleted(conn, table, table.c.id.in_(missing), now)
        if unresolved:
            changed += self._resolver.settle(deadline, subjects=unresolved, include_stale=False).changed
        if subject_type == "timeTracking":
            self._hand_on(sorted(set(changed)))
