"""Deterministic agency data: the same `SeedParams` always give the same account.

The data looks like a small agency: users with hourly rates (one without), work types, three
departments each with 21 %, 6 % and 0 % tax rates, companies and contacts (some linked),
projects with milestones, tickets and to-dos for customers, and time entries over months with
varied durations; some not invoiceable, some already invoiced or settled as prepaid in
Teamleader, some tracked on a milestone or ticket rather than on the customer; and, with
`task_share`, a chosen share on tasks, with or without a customer.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from connector.sandbox.config import SeedParams
from connector.sandbox.model import (
    Company,
    Contact,
    CustomFieldDefinition,
    Department,
    Milestone,
    PaymentTerm,
    Project,
    Ref,
    TaxRate,
    Ticket,
    TimeEntry,
    Todo,
    User,
    WorkType,
)
from connector.sandbox.seed_history import add_invoiced_history
from connector.sandbox.state import SandboxState

__all__ = ["build_state"]

_USERS = (
    ("Ann", "Peeters", "Managing partner", "95.00"),
    ("Bram", "Claes", "Developer", "110.00"),
    ("Chloé", "Dubois", "Designer", "85.00"),
    ("Dries", "Janssens", "Strategist", "125.00"),
    ("Eva", "Maes", "Copywriter", "75.00"),
    ("Femke", "Willems", "Project manager", "90.00"),
    ("Goran", "Petrov", "Intern", None),
    ("Hanne", "Mertens", "Developer", "105.00"),
)
_WORK_TYPES = ("Design", "Development", "Project management", "Copywriting", "Strategy", "Support", "Meeting")
_DEPARTMENTS = (
    ("Pixel & Pine Agency", "BE0811223344"),
    ("Pixel & Pine Academy", "BE0822334455"),
    ("Pixel & Pine International", "BE0833445566"),
)
_TAX_RATES = (("21%", "0.21"), ("6%", "0.06"), ("0%", "0.00"))
_PAYMENT_TERMS = (
    ("cash", None),
    ("after_invoice_date", 14),
    ("after_invoice_date", 30),
    ("end_of_month", 30),
)
_NAME_HEADS = ("Bright", "Blue", "North", "Oak", "Silver", "Green", "Red", "Golden", "Urban", "Sunny", "Iron")
_NAME_TAILS = ("Bakery", "Logistics", "Dental", "Architects", "Brewing", "Yoga", "Motors", "Florist", "Legal")
_FIRST = (
    "Lars",
    "Sofie",
    "Tom",
    "Lotte",
    "Pieter",
    "Nina",
    "Wout",
    "Elise",
    "Jonas",
    "Marie",
    "Arne",
    "Ines",
)
_LAST = ("Vermeulen", "De Smet", "Jacobs", "Lambert", "Hermans", "Goossens", "Wouters", "Michiels", "Pauwels")
_CITIES = (
    ("Ghent", "9000"),
    ("Antwerp", "2000"),
    ("Brussels", "1000"),
    ("Leuven", "3000"),
    ("Bruges", "8000"),
)
_CUSTOM_FIELDS = (
    ("company", "number", "Prepaid balance"),
    ("contact", "number", "Prepaid balance"),
    ("invoice", "single_line", "Connector reference"),
)
_TAGS = ("prepaid", "retainer", "vip", "newsletter")
_DESCRIPTIONS = (
    "Homepage redesign",
    "Bug fixing",
    "Weekly sync",
    "Newsletter copy",
    "Social media visuals",
    "Hosting support",
    "Campaign strategy",
    "Landing page build",
    "Logo iterations",
    "Analytics report",
)
_TASK_TITLES = ("Write release notes", "Fix contact form", "Prepare workshop", "Review copy", "Update DNS")
_NO_CUSTOMER_SHARE = 0.15
_REUSE_SHARE = 0.2
"""Chance that an entry moved onto a task lands on one already made, so some tasks carry more."""
_DURATIONS = (900, 1800, 1800, 2700, 3600, 3600, 3600, 5400, 7200, 7200, 10800, 14400, 28800)


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_state(params: SeedParams, today: date) -> SandboxState:
    """Generates a full account; `params.anchor` (else `today`) is the last day with tracked time."""
    rng = random.Random(params.seed)
    anchor = params.anchor or today
    start = anchor - timedelta(days=max(1, params.months * 30))
    state = SandboxState(account_id=_uid(rng))
    _reference_data(state, rng, start)
    customers = _customers(state, rng, params, start, anchor)
    work = _customer_work(state, rng, customers, start, anchor)
    entries = _entries(state, rng, params.entries, customers, work, start, anchor)
    if params.task_share > 0:
        _track_on_tasks(state, random.Random(f"tasks-{params.seed}"), entries, params.task_share, start)
    state.load_entries(entries)
    add_invoiced_history(state, rng, start)
    return state


def _reference_data(state: SandboxState, rng: random.Random, start: date) -> None:
    for first, last, function, rate in _USERS:
        user = User(
            id=_uid(rng),
            first_name=first,
            last_name=last,
            email=f"{first.lower()}@pixelandpine.be",
            function=function,
            language="nl",
            status="active",
            hourly_rate=Decimal(rate) if rate else None,
        )
        state.users[user.id] = user
    state.current_user_id = next(iter(state.users))
    for name in _WORK_TYPES:
        work_type = WorkType(id=_uid(rng), name=name)
        state.work_types[work_type.id] = work_type
    created = datetime.combine(start - timedelta(days=400), time(9), tzinfo=UTC)
    for index, (name, vat) in enumerate(_DEPARTMENTS):
        department = Department(
            id=_uid(rng),
            name=name,
            vat_number=vat,
            currency="EUR",
            email=f"billing{index or ''}@pixelandpine.be",
            status="active",
            created_at=created + timedelta(days=index),
            is_default=index == 0,
        )
        state.departments[department.id] = department
        for description, rate in _TAX_RATES:
            tax_rate = TaxRate(
                id=_uid(rng), description=description, rate=Decimal(rate), department_id=department.id
            )
            state.tax_rates[tax_rate.id] = tax_rate
    for kind, days in _PAYMENT_TERMS:
        term = PaymentTerm(id=_uid(rng), type=kind, days=days)
        state.payment_terms[term.id] = term
        if kind == "after_invoice_date" and days == 30:
            state.default_payment_term_id = term.id
    for context, kind, label in _CUSTOM_FIELDS:
        definition = CustomFieldDefinition(id=_uid(rng), context=context, type=kind, label=label)
        state.custom_field_definitions[definition.id] = definition


def _moment(rng: random.Random, start: date, anchor: date) -> datetime:
    day = start + timedelta(days=rng.randrange((anchor - start).days + 1))
    return datetime.combine(day, time(rng.randrange(8, 18), rng.randrange(60)), tzinfo=UTC)


def _customers(
    state: SandboxState, rng: random.Random, params: SeedParams, start: date, anchor: date
) -> list[Ref]:
    names: set[str] = set()
    users = list(state.users)
    for index in range(params.companies):
        name = f"{rng.choice(_NAME_HEADS)}{rng.choice(_NAME_TAILS).lower()} {rng.choice(_NAME_TAILS)}"
        if name in names:
            name = f"{name} {index}"
        names.add(name)
        city, postal_code = rng.choice(_CITIES)
        added = _moment(rng, start - timedelta(days=365), start)
        slug = "".join(character for character in name.lower() if character.isalnum())
        company = Company(
            id=_uid(rng),
            name=name,
            vat_number=f"BE0{rng.randrange(100_000_000, 999_999_999)}",
            email=f"info@{slug}.be",
            telephone=f"+32 9 {rng.randrange(100, 999)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
            website=f"https://{slug}.be",
            city=city,
            postal_code=postal_code,
            line_1=f"Kerkstraat {rng.randrange(1, 200)}",
            country="BE",
            language="nl",
            status="active" if rng.random() > 0.05 else "deactivated",
            tags=sorted(rng.sample(_TAGS, rng.randrange(0, 3))),
            responsible_user_id=rng.choice(users),
            added_at=added,
            updated_at=_moment(rng, start, anchor),
        )
        state.companies[company.id] = company
    company_ids = list(state.companies)
    for _ in range(params.contacts):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        links = rng.sample(company_ids, min(len(company_ids), rng.choice((0, 0, 1, 1, 1, 2))))
        contact = Contact(
            id=_uid(rng),
            first_name=first,
            last_name=last,
            email=f"{first.lower()}.{last.lower().replace(' ', '')}@example.be",
            telephone=f"+32 470 {rng.randrange(10, 99)} {rng.randrange(10, 99)} {rng.randrange(10, 99)}",
            language=rng.choice(("nl", "fr", "en")),
            status="active",
            tags=sorted(rng.sample(_TAGS, rng.randrange(0, 2))),
            company_ids=links,
            added_at=_moment(rng, start - timedelta(days=365), start),
            updated_at=_moment(rng, start, anchor),
        )
        state.contacts[contact.id] = contact
    return [("company", key) for key in state.companies] + [("contact", key) for key in state.contacts]


def _customer_work(
    state: SandboxState, rng: random.Random, customers: list[Ref], start: date, anchor: date
) -> dict[Ref, list[Ref]]:
    """Projects, milestones, tickets and to-dos per customer; returns the subjects to track on.

    To-dos are not among them: time goes on tasks only by `task_share` (`_track_on_tasks`), whose
    entries cost a client a task lookup each, so the default seed keeps none."""
    users = list(state.users)
    work_types = list(state.work_types)
    work: dict[Ref, list[Ref]] = {}
    for number, customer in enumerate(customers, start=1):
        subjects: list[Ref] = []
        milestone_ids: list[str] = []
        if rng.random() < 0.5:
            project = Project(_uid(rng), f"PRO-{number}", f"Website {number}", customer, start, "active")
            state.projects[project.id] = project
            for step in range(rng.randrange(1, 4)):
                milestone = Milestone(
                    _uid(rng),
                    project.id,
                    ("Design", "Build", "Launch")[step],
                    start,
                    anchor,
                    "open",
                    rng.choice(users),
                )
                state.milestones[milestone.id] = milestone
                project.milestone_ids.append(milestone.id)
                milestone_ids.append(milestone.id)
                subjects.append(("milestone", milestone.id))
        if rng.random() < 0.3:
            milestone_id = rng.choice(milestone_ids) if milestone_ids and rng.random() < 0.5 else None
            ticket = Ticket(
                id=_uid(rng),
                reference=number,
                subject="Something is broken",
                customer=customer,
                project_id=state.milestones[milestone_id].project_id if milestone_id else None,
                milestone_id=milestone_id,
                assignee_id=rng.choice(users),
                created_at=_moment(rng, start, anchor),
            )
            state.tickets[ticket.id] = ticket
            subjects.append(("ticket", ticket.id))
        if rng.random() < 0.3:
            milestone_id = rng.choice(milestone_ids) if milestone_ids else None
            todo = Todo(
                id=_uid(rng),
                title="Prepare monthly report",
                customer=customer,
                project_id=state.milestones[milestone_id].project_id if milestone_id else None,
                milestone_id=milestone_id,
                assignee_id=rng.choice(users),
                work_type_id=rng.choice(work_types),
                due_on=anchor,
                added_at=datetime.combine(start, time(8), tzinfo=UTC),
            )
            state.todos[todo.id] = todo
        work[customer] = subjects
    return work


def _entries(
    state: SandboxState,
    rng: random.Random,
    count: int,
    customers: list[Ref],
    work: dict[Ref, list[Ref]],
    start: date,
    anchor: date,
) -> list[TimeEntry]:
    if not customers:
        return []
    users = list(state.users.values())
    work_types = list(state.work_types)
    span_days = (anchor - start).days + 1
    base = datetime.combine(start, time(0), tzinfo=UTC)
    weights = [(3 if kind == "company" else 1) * (1 + index % 7) for index, (kind, _) in enumerate(customers)]
    chosen_customers = rng.choices(customers, weights=weights, k=count)
    entries: list[TimeEntry] = []
    random_value = rng.random
    for customer in chosen_customers:
        user = users[int(random_value() * len(users))]
        subjects = work[customer]
        subject = (
            subjects[int(random_value() * len(subjects))] if subjects and random_value() < 0.35 else customer
        )
        offset = timedelta(
            days=int(random_value() * span_days),
            hours=8 + int(random_value() * 9),
            minutes=15 * int(random_value() * 4),
        )
        invoiceable = random_value() >= 0.12
        entries.append(
            TimeEntry(
                id=_uid(rng),
                user_id=user.id,
                work_type_id=work_types[int(random_value() * len(work_types))],
                started_at=base + offset,
                duration=_DURATIONS[int(random_value() * len(_DURATIONS))],
                description=_DESCRIPTIONS[int(random_value() * len(_DESCRIPTIONS))],
                subject=subject,
                invoiceable=invoiceable,
                billing_type=None,
                billing_invoice_id=None,
                hourly_rate=user.hourly_rate,
            )
        )
    return entries


def _track_on_tasks(
    state: SandboxState, rng: random.Random, entries: list[TimeEntry], share: float, start: date
) -> None:
    """Moves entries from their customer onto tasks until `share` of all entries are on a task.

    Uses its own RNG, so the rest of the seed stays what it was. About one task in seven has no
    customer (the entry's time then belongs to nobody); the others belong to the entry's customer
    (its seeded to-dos first), and some hang on a milestone (of that customer's project, for a
    task with a customer).
    """
    candidates = [
        index
        for index, entry in enumerate(entries)
        if entry.subject is not None and entry.subject[0] in ("company", "contact")
    ]
    wanted = min(round(len(entries) * share), len(candidates))
    milestones: dict[Ref | None, list[Milestone]] = {None: list(state.milestones.values())}
    for step in state.milestones.values():
        milestones.setdefault(state.projects[step.project_id].customer, []).append(step)
    users, work_types = list(state.users), list(state.work_types)
    added_at = datetime.combine(start, time(8), tzinfo=UTC)
    pools: dict[Ref | None, list[str]] = {}
    for todo in state.todos.values():
        pools.setdefault(todo.customer, []).append(todo.id)
    for index in sorted(rng.sample(candidates, wanted)):
        entry = entries[index]
        customer = None if rng.random() < _NO_CUSTOMER_SHARE else entry.subject
        pool = pools.setdefault(customer, [])
        if pool and rng.random() < _REUSE_SHARE:
            entry.subject = ("todo", rng.choice(pool))
            continue
        choices = milestones.get(customer, [])
        milestone = rng.choice(choices) if choices and rng.random() < 0.4 else None
        task = Todo(
            id=_uid(rng),
            title=rng.choice(_TASK_TITLES),
            customer=customer,
            project_id=milestone.project_id if milestone else None,
            milestone_id=milestone.id if milestone else None,
            assignee_id=rng.choice(users),
            work_type_id=rng.choice(work_types),
            due_on=entry.started_at.date(),
            added_at=added_at,
        )
        state.todos[task.id] = task
        pool.append(task.id)
        entry.subject = ("todo", task.id)
