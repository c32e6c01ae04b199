"""Subtraction rules: which time entries a budget in auto mode subtracts as they arrive.

A rule is a conjunction of optional criteria (each list is "any of"). Rules are versioned values:
a change makes a new version with `revise`, never an edit, so a subtraction line keeps naming the
rule id and version that matched at the time (provenance), and changing a rule rewrites no history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from connector.billing.entries import TimeEntry, tags_of, words_of
from connector.billing.errors import InvalidBudget

__all__ = ["RuleMatch", "SubtractionRule", "carry_versions", "first_match"]


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """The provenance of an automatic subtraction: which rule, in which version."""

    rule_id: str
    version: int

    def __str__(self) -> str:
        return f"{self.rule_id}@v{self.version}"


@dataclass(frozen=True, slots=True)
class SubtractionRule:
    """Matches an entry when every criterion that is set holds; an unset criterion matches all."""

    id: str
    version: int = 1
    invoiceable: bool | None = None
    work_type_ids: frozenset[str] = frozenset()
    user_ids: frozenset[str] = frozenset()
    subject_types: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise InvalidBudget("rules.id", "every rule needs a non-empty id")
        if self.version < 1:
            raise InvalidBudget(f"rules.{self.id}.version", "versions start at 1")
        object.__setattr__(self, "words", frozenset(w.casefold() for w in self.words))
        object.__setattr__(self, "tags", frozenset(t.removeprefix("#").casefold() for t in self.tags))

    @property
    def provenance(self) -> RuleMatch:
        return RuleMatch(self.id, self.version)

    def matches(self, entry: TimeEntry) -> bool:
        if self.invoiceable is not None and entry.invoiceable != self.invoiceable:
            return False
        if self.work_type_ids and entry.work_type_id not in self.work_type_ids:
            return False
        if self.user_ids and entry.user_id not in self.user_ids:
            return False
        if self.subject_types and entry.subject_type not in self.subject_types:
            return False
        if self.words and not self.words & words_of(entry.description):
            return False
        return not self.tags or bool(self.tags & tags_of(entry.description))

    def revise(self, changed: SubtractionRule) -> SubtractionRule:
        """`changed` criteria as the next version of this rule; the old version stays what it was."""
        if changed.id != self.id:
            raise InvalidBudget(f"rules.{self.id}", f"a revision keeps the rule id, not {changed.id!r}")
        return replace(changed, version=self.version + 1)

    def same_criteria(self, other: SubtractionRule) -> bool:
        """True when only id/version differ: applying a file twice must not bump versions."""
        return replace(other, id=self.id, version=self.version) == self


def first_match(rules: Iterable[SubtractionRule], entry: TimeEntry) -> RuleMatch | None:
    """The first rule (in the budget's order) that matches, so provenance is deterministic."""
    for rule in rules:
        if rule.matches(entry):
            return rule.provenance
    return None


def carry_versions(
    new: Iterable[SubtractionRule], old: Iterable[SubtractionRule]
) -> tuple[SubtractionRule, ...]:
    """Version the rules of an updated budget against its current ones: an unchanged rule keeps
    its version, a changed rule gets the next one, a new rule starts at 1. Applying the same
    budgets file twice therefore changes no version."""
    current = {rule.id: rule for rule in old}
    versioned = []
    for rule in new:
        before = current.get(rule.id)
        if before is None:
            versioned.append(replace(rule, version=1))
        elif before.same_criteria(rule):
            versioned.append(before)
        else:
            versioned.append(before.revise(rule))
    return tuple(versioned)
