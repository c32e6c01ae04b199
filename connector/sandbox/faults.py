"""Fault injection: the failures a real Teamleader (or the network to it) can produce.

A `FaultRule` targets one endpoint, every endpoint of a resource (`tasks.*`: `tasks.list` and
`tasks.info`) or all of them (`*`), and has a kind:

- `status`: answer with an error status (e.g. 503) without touching any data;
- `latency`: wait before handling the request (combines with the other kinds);
- `drop`: close the connection without any answer (the client sees a protocol error);
- `applied_500`: apply the write, then answer 500, the "did it happen?" case that exactly-once
  invoicing must survive.

Each rule fires with a probability, drawn from one seedable RNG so runs are reproducible, and
optionally only `count` times.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "FaultPlan", "FaultRule", "InvalidFault", "parse_fault_spec"]

FAULT_KINDS = ("status", "latency", "drop", "applied_500")


class InvalidFault(ValueError):
    """A fault description that cannot be used; the message says what a valid one looks like."""


@dataclass(slots=True)
class FaultRule:
    endpoint: str
    kind: str
    status: int = 500
    latency: float = 0.0
    probability: float = 1.0
    count: int | None = None
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise InvalidFault(f"unknown fault kind {self.kind!r}: use one of {', '.join(FAULT_KINDS)}")
        if not 0.0 <= self.probability <= 1.0:
            raise InvalidFault(f"fault probability {self.probability} is outside 0..1")
        if self.count is not None and self.count < 0:
            raise InvalidFault(f"fault count {self.count} is negative")
        if not 100 <= self.status <= 599:
            raise InvalidFault(f"fault status {self.status} is not an HTTP status")
        if self.latency < 0:
            raise InvalidFault(f"fault latency {self.latency} is negative")

    def matches(self, endpoint: str) -> bool:
        exhausted = self.count is not None and self.fired >= self.count
        if exhausted:
            return False
        if self.endpoint.endswith(".*"):
            return endpoint.startswith(self.endpoint[:-1])
        return self.endpoint in ("*", endpoint)

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "kind": self.kind,
            "status": self.status,
            "latency": self.latency,
            "probability": self.probability,
            "count": self.count,
            "fired": self.fired,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaultRule:
        try:
            count = raw.get("count")
            return cls(
                endpoint=str(raw["endpoint"]),
                kind=str(raw["kind"]),
                status=int(raw.get("status", 500)),
                latency=float(raw.get("latency", 0.0)),
                probability=float(raw.get("probability", 1.0)),
                count=None if count is None else int(count),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, InvalidFault):
                raise
            raise InvalidFault(f"fault {raw!r} needs endpoint and kind, and numeric options: {exc}") from exc


@dataclass(slots=True)
class Decision:
    """What the faults chose for one request."""

    latency: float = 0.0
    status: int | None = None
    drop: bool = False
    applied_500: bool = False


@dataclass(slots=True)
class FaultPlan:
    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def reseed(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)

    def decide(self, endpoint: str) -> Decision:
        """Rolls every matching rule once, in order, and combines the ones that fire."""
        decision = Decision()
        for rule in self.rules:
            if not rule.matches(endpoint) or self.rng.random() >= rule.probability:
                continue
            rule.fired += 1
            if rule.kind == "latency":
                decision.latency += rule.latency
            elif rule.kind == "status" and decision.status is None:
                decision.status = rule.status
            elif rule.kind == "drop":
                decision.drop = True
            elif rule.kind == "applied_500":
                decision.applied_500 = True
        return decision


def parse_fault_spec(text: str) -> FaultRule:
    """Parses the command-line form `ENDPOINT:KIND[:VALUE][,probability=P][,count=N]`.

    Examples: `invoices.draft:applied_500,count=1`, `timeTracking.list:status:503,probability=0.2`,
    `*:latency:0.25`, `companies.list:drop`.
    """
    head, *options = text.split(",")
    parts = head.split(":")
    if len(parts) < 2 or len(parts) > 3:
        raise InvalidFault(f"fault {text!r} must look like ENDPOINT:KIND[:VALUE][,probability=P][,count=N]")
    raw: dict[str, Any] = {"endpoint": parts[0], "kind": parts[1]}
    if len(parts) == 3:
        raw["latency" if parts[1] == "latency" else "status"] = parts[2]
    for option in options:
        name, _, value = option.partition("=")
        if name not in ("probability", "count") or not value:
            raise InvalidFault(f"fault option {option!r} must be probability=P or count=N")
        raw[name] = value
    return FaultRule.from_dict(raw)
