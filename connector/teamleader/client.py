"""`TeamleaderClient`: one typed method per Teamleader endpoint the product uses.

Everything else in the product talks to Teamleader through this facade: the sync engine (users,
reference data, companies, contacts, time tracking), the invoicing worker (drafts, booking,
payments, credit notes) and the webhook setup. Lists are iterators that fetch pages as they are
consumed. The facade adds no behaviour of its own: pacing, tokens, retries and errors live in
`ApiTransport`, which the facade exposes as call counters and rate-limit status for statistics.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from connector.teamleader.errors import MalformedResponse
from connector.teamleader.models import (
    Company,
    Contact,
    Created,
    CreditNote,
    Department,
    Invoice,
    Me,
    Milestone,
    Money,
    PaymentTerm,
    PaymentTerms,
    Project,
    Reference,
    Task,
    TaxRate,
    TeamleaderModel,
    Ticket,
    TimeEntry,
    User,
    Webhook,
    WorkType,
)
from connector.teamleader.oauth import TeamleaderOAuth
from connector.teamleader.pagination import pages
from connector.teamleader.ratelimit import Lane, RateLimitStatus
from connector.teamleader.responses import unwrap

__all__ = ["ApiCaller", "TeamleaderClient"]

M = TypeVar("M", bound=TeamleaderModel)


class ApiCaller(Protocol):
    """What the facade needs from a transport (`ApiTransport`, or a fake in tests)."""

    @property
    def api_calls(self) -> int: ...

    @property
    def rate_limit(self) -> RateLimitStatus | None: ...

    def call(
        self, endpoint: str, body: Mapping[str, Any] | None = None, *, deadline: float | None = None
    ) -> Any: ...

    def in_lane(self, lane: Lane) -> ApiCaller: ...

    def refresh_token_if_expiring(self, within: float) -> bool: ...

    def close(self) -> None: ...


def _present(**values: Any) -> dict[str, Any]:
    """The keys whose value is given: Teamleader ignores unknown keys but may reject nulls."""
    return {key: value for key, value in values.items() if value is not None}


def _ids(ids: Sequence[str] | None) -> list[str] | None:
    return list(ids) if ids is not None else None


def _ref(ref: Reference | None) -> dict[str, str] | None:
    return {"type": ref.type, "id": ref.id} if ref is not None else None


class TeamleaderClient:
    """Typed access to the Teamleader API; thread-safe, one per process."""

    def __init__(self, transport: ApiCaller, *, oauth: TeamleaderOAuth | None = None) -> None:
        self._transport = transport
        self._oauth = oauth

    @property
    def api_calls(self) -> int:
        """HTTP requests sent to Teamleader by this process (read by the sync statistics)."""
        return self._transport.api_calls

    @property
    def rate_limit(self) -> RateLimitStatus | None:
        """The rate-limit headers of the last response."""
        return self._transport.rate_limit

    def call(
        self, endpoint: str, body: Mapping[str, Any] | None = None, *, deadline: float | None = None
    ) -> Any:
        """One raw call (decoded JSON), for callers that page and checkpoint by themselves: the sync.

        `deadline` (monotonic seconds of the client's clock) bounds its retries, see `ApiTransport.call`.
        """
        return self._transport.call(endpoint, body, deadline=deadline)

    def in_lane(self, lane: Lane) -> TeamleaderClient:
        """This client for one job whose calls all go in `lane` (a sync: `Lane.BULK`).

        It shares the process's pool, tokens and rate limiter; its `api_calls` counts only its own
        requests, and closing it releases nothing.
        """
        return TeamleaderClient(self._transport.in_lane(lane))

    def refresh_token_if_expiring(self, within: float) -> bool:
        """Refresh the access token now when it expires within `within` seconds; True if it did."""
        return self._transport.refresh_token_if_expiring(within)

    def close(self) -> None:
        """Close the connection pools."""
        self._transport.close()
        if self._oauth is not None:
            self._oauth.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _one(self, model: type[M], endpoint: str, body: Mapping[str, Any]) -> M:
        data = unwrap(self._transport.call(endpoint, body))
        if isinstance(data, list) and len(data) == 1:
            data = data[0]
        if not isinstance(data, dict):
            raise MalformedResponse(endpoint, 200, f"expected one {model.__name__} record")
        return model.model_validate(data)

    def _many(self, model: type[M], endpoint: str, body: Mapping[str, Any]) -> Iterator[M]:
        for page in pages(self._transport.call, endpoint, body):
            for row in page:
                yield model.model_validate(row)

    def _action(self, endpoint: str, body: Mapping[str, Any]) -> None:
        self._transport.call(endpoint, body)

    # -- users and reference data -----------------------------------------------------------

    def me(self) -> Me:
        """The authorising user and the connected account (`users.me`)."""
        return self._one(Me, "users.me", {})

    def users(
        self, *, ids: Sequence[str] | None = None, status: Sequence[str] | None = None
    ) -> Iterator[User]:
        """`users.list`."""
        body = {"filter": _present(ids=_ids(ids), status=_ids(status))}
        return self._many(User, "users.list", body)

    def work_types(self) -> Iterator[WorkType]:
        """`workTypes.list`."""
        return self._many(WorkType, "workTypes.list", {})

    def departments(self, *, status: Sequence[str] | None = None) -> list[Department]:
        """`departments.list` (not paged)."""
        return list(self._many(Department, "departments.list", {"filter": _present(status=_ids(status))}))

    def tax_rates(self, *, department_id: str | None = None) -> Iterator[TaxRate]:
        """`taxRates.list`; a tax rate is valid only for its own department."""
        return self._many(TaxRate, "taxRates.list", {"filter": _present(department_id=department_id)})

    def payment_terms(self) -> PaymentTerms:
        """`paymentTerms.list` with the account's default term (`meta.default`)."""
        body = self._transport.call("paymentTerms.list", {})
        meta = body.get("meta") if isinstance(body, dict) else None
        default = meta.get("default") if isinstance(meta, dict) else None
        terms = [PaymentTerm.model_validate(row) for row in unwrap(body) or []]
        return PaymentTerms(terms=terms, default_id=default if isinstance(default, str) else None)

    # -- customers ----------------------------------------------------------------------------

    def companies(
        self,
        *,
        ids: Sequence[str] | None = None,
        updated_since: datetime | None = None,
        status: str | None = None,
    ) -> Iterator[Company]:
        """`companies.list` with custom fields, oldest change first (for incremental sync)."""
        body = {
            "filter": _present(ids=_ids(ids), updated_since=updated_since, status=status),
            "sort": [{"field": "updated_at", "order": "asc"}],
            "includes": "custom_fields",
        }
        return self._many(Company, "companies.list", body)

    def company(self, company_id: str) -> Company:
        """`companies.info` (always includes custom fields)."""
        return self._one(Company, "companies.info", {"id": company_id})

    def update_company(self, company_id: str, **fields: Any) -> None:
        """`companies.update`; collections such as `custom_fields` replace what is there."""
        self._action("companies.update", {"id": company_id, **fields})

    def contacts(
        self,
        *,
        ids: Sequence[str] | None = None,
        updated_since: datetime | None = None,
        company_id: str | None = None,
        status: str | None = None,
    ) -> Iterator[Contact]:
        """`contacts.list` with custom fields, oldest change first."""
        body = {
            "filter": _present(
                ids=_ids(ids), updated_since=updated_since, company_id=company_id, status=status
            ),
            "sort": [{"field": "updated_at", "order": "asc"}],
            "includes": "custom_fields",
        }
        return self._many(Contact, "contacts.list", body)

    def contact(self, contact_id: str) -> Contact:
        """`contacts.info`."""
        return self._one(Contact, "contacts.info", {"id": contact_id})

    def update_contact(self, contact_id: str, **fields: Any) -> None:
        """`contacts.update`; collections replace what is there."""
        self._action("contacts.update", {"id": contact_id, **fields})

    # -- time tracking and what it is tracked on -----------------------------------------------

    def time_entries(
        self,
        *,
        ids: Sequence[str] | None = None,
        started_after: datetime | None = None,
        started_before: datetime | None = None,
        ended_after: datetime | None = None,
        ended_before: datetime | None = None,
        user_id: str | None = None,
        subject: Reference | None = None,
        relates_to: Reference | None = None,
    ) -> Iterator[TimeEntry]:
        """`timeTracking.list` with `relates_to` included (bounds are inclusive; no updated_since)."""
        body = {
            "filter": _present(
                ids=_ids(ids),
                started_after=started_after,
                started_before=started_before,
                ended_after=ended_after,
                ended_before=ended_before,
                user_id=user_id,
                subject=_ref(subject),
                relates_to=_ref(relates_to),
            ),
            "sort": [{"field": "starts_on", "order": "asc"}],
            "includes": "relates_to",
        }
        return self._many(TimeEntry, "timeTracking.list", body)

    def time_entry(self, entry_id: str) -> TimeEntry:
        """`timeTracking.info` with `relates_to`."""
        return self._one(TimeEntry, "timeTracking.info", {"id": entry_id, "includes": "relates_to"})

    def project(self, project_id: str) -> Project:
        """`projects.info`."""
        return self._one(Project, "projects.info", {"id": project_id})

    def milestone(self, milestone_id: str) -> Milestone:
        """`milestones.info`."""
        return self._one(Milestone, "milestones.info", {"id": milestone_id})

    def ticket(self, ticket_id: str) -> Ticket:
        """`tickets.info` (the spec shows it without the `data` envelope; both are accepted)."""
        return self._one(Ticket, "tickets.info", {"id": ticket_id})

    def task(self, task_id: str) -> Task:
        """`tasks.info` (a `todo` subject in time tracking)."""
        return self._one(Task, "tasks.info", {"id": task_id})

    # -- invoices -------------------------------------------------------------------------------

    def draft_invoice(self, draft: Mapping[str, Any]) -> str:
        """`invoices.draft`; the new invoice's id. Not retried on doubt: `OutcomeUnknown`."""
        return self._one(Created, "invoices.draft", draft).id

    def book_invoice(self, invoice_id: str, on: date) -> None:
        """`invoices.book`: assigns the number; irreversible. Not retried on doubt."""
        self._action("invoices.book", {"id": invoice_id, "on": on})

    def invoice(self, invoice_id: str) -> Invoice:
        """`invoices.info`."""
        return self._one(Invoice, "invoices.info", {"id": invoice_id})

    def invoices(
        self,
        *,
        ids: Sequence[str] | None = None,
        purchase_order_number: str | None = None,
        customer: Reference | None = None,
        status: Sequence[str] | None = None,
        updated_since: datetime | None = None,
        department_id: str | None = None,
    ) -> Iterator[Invoice]:
        """`invoices.list` (`status` is sent as an array, as Teamleader requires)."""
        body = {
            "filter": _present(
                ids=_ids(ids),
                purchase_order_number=purchase_order_number,
                customer=_ref(customer),
                status=_ids(status),
                updated_since=updated_since,
                department_id=department_id,
            )
        }
        return self._many(Invoice, "invoices.list", body)

    def update_invoice(self, invoice_id: str, **fields: Any) -> None:
        """`invoices.update` (drafts only; `grouped_lines` replace what is there)."""
        self._action("invoices.update", {"id": invoice_id, **fields})

    def delete_invoice(self, invoice_id: str) -> None:
        """`invoices.delete` (a draft, or the last booked invoice)."""
        self._action("invoices.delete", {"id": invoice_id})

    def register_payment(
        self, invoice_id: str, payment: Money, paid_at: datetime, *, payment_method_id: str | None = None
    ) -> None:
        """`invoices.registerPayment`. Not retried on doubt."""
        body = _present(
            id=invoice_id, payment=payment.to_api(), paid_at=paid_at, payment_method_id=payment_method_id
        )
        self._action("invoices.registerPayment", body)

    def credit_notes(
        self,
        *,
        ids: Sequence[str] | None = None,
        invoice_id: str | None = None,
        updated_since: datetime | None = None,
        customer: Reference | None = None,
    ) -> Iterator[CreditNote]:
        """`creditNotes.list`."""
        body = {
            "filter": _present(
                ids=_ids(ids), invoice_id=invoice_id, updated_since=updated_since, customer=_ref(customer)
            )
        }
        return self._many(CreditNote, "creditNotes.list", body)

    def credit_note(self, credit_note_id: str) -> CreditNote:
        """`creditNotes.info`."""
        return self._one(CreditNote, "creditNotes.info", {"id": credit_note_id})

    # -- webhooks -------------------------------------------------------------------------------

    def register_webhook(self, url: str, types: Sequence[str]) -> None:
        """`webhooks.register` (no id comes back)."""
        self._action("webhooks.register", {"url": url, "types": list(types)})

    def webhooks(self) -> list[Webhook]:
        """`webhooks.list` (not paged)."""
        return list(self._many(Webhook, "webhooks.list", {}))

    def unregister_webhook(self, url: str, types: Sequence[str]) -> None:
        """`webhooks.unregister`; pass every type to remove a hook entirely."""
        self._action("webhooks.unregister", {"url": url, "types": list(types)})
