"""`prepaid budgets apply FILE`: make the stored budgets match a declarative budgets file.

The file is parsed and every customer resolved (by Teamleader id, or by the exact name of a
synced company or contact) before anything is written; then every create and update runs in one
transaction, so a bad file changes nothing. Applying the same file again finds nothing to change:
unchanged rules keep their versions, and the opening line is only ever written once.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy import Connection, func, select

from connector.billing import (
    Budget,
    BudgetsFileError,
    BudgetSpec,
    CustomerRef,
    CustomerType,
    parse_budgets_file,
)
from connector.budgets.budget_queries import load_budgets
from connector.budgets.service import BudgetsService
from connector.storage.tables.sync import company, contact

__all__ = ["FileChange", "apply_file"]


@dataclass(frozen=True, slots=True)
class FileChange:
    """What applying the file did to one budget: created, updated (which fields) or unchanged."""

    budget_id: str
    action: str
    fields: tuple[str, ...] = ()


def _by_name(conn: Connection, name: str) -> list[CustomerRef]:
    found = [
        CustomerRef(CustomerType.COMPANY, cid)
        for cid in conn.execute(
            select(company.c.id).where(company.c.name == name, company.c.deleted_at.is_(None))
        ).scalars()
    ]
    full = func.trim(func.coalesce(contact.c.first_name, "") + " " + func.coalesce(contact.c.last_name, ""))
    found += [
        CustomerRef(CustomerType.CONTACT, cid)
        for cid in conn.execute(
            select(contact.c.id).where(full == name, contact.c.deleted_at.is_(None))
        ).scalars()
    ]
    return found


def _customer(conn: Connection, spec: BudgetSpec, path: str) -> CustomerRef:
    if spec.customer_id is not None:
        return spec.customer_id
    assert spec.customer_name is not None
    found = _by_name(conn, spec.customer_name)
    if not found:
        raise BudgetsFileError(
            path,
            spec.line,
            f"budget {spec.id}: customer",
            f"no synced company or contact is named exactly {spec.customer_name!r}; run `prepaid sync`, "
            'check the spelling, or name it by id: customer = { type = "company", id = "..." }',
        )
    if len(found) > 1:
        ids = ", ".join(str(c) for c in found)
        raise BudgetsFileError(
            path,
            spec.line,
            f"budget {spec.id}: customer",
            f"{len(found)} customers are named {spec.customer_name!r} ({ids}); name it by id instead",
        )
    return found[0]


def _differences(old: Budget, new: Budget) -> tuple[str, ...]:
    return tuple(
        f.name for f in fields(Budget) if f.name != "version" and getattr(old, f.name) != getattr(new, f.name)
    )


def apply_file(service: BudgetsService, path: Path, *, actor: str) -> list[FileChange]:
    """Create or update the file's budgets; raises `BudgetsFileError` (nothing written) when bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise BudgetsFileError(str(path), None, "file", f"cannot read it: {error.strerror}") from None
    specs = parse_budgets_file(text, str(path))
    changes: list[FileChange] = []
    touched: list[Budget] = []
    with service.engine.begin() as conn:
        wanted = [spec.build(_customer(conn, spec, str(path))) for spec in specs]
        current = {b.id: b for b in load_budgets(conn, ids=[b.id for b in wanted])}
        for b in wanted:
            old = current.get(b.id)
            if old is None:
                touched.append(service.create(b, actor=actor, conn=conn))
                changes.append(FileChange(b.id, "created"))
                continue
            updated = service.update(b, actor=actor, conn=conn)
            if updated is None:
                changes.append(FileChange(b.id, "unchanged"))
            else:
                touched.append(updated)
                changes.append(FileChange(b.id, "updated", _differences(old, updated)))
    for b in touched:
        service.evaluate_customer(b)
    return changes
