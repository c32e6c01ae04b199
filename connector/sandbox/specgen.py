"""Builds the compact request-schema subset that the sandbox validates against.

The official OpenAPI file is 1.3 MB and slow to parse, so the sandbox never reads it at start-up.
This module extracts, for the endpoints the sandbox serves, only what request validation needs
(types, enums, required keys, nullability, nested properties and items) and writes it to
`spec_subset.json` beside this file. A contract test regenerates the subset from the spec and
compares it with the committed file, so the two cannot drift apart silently.

Regenerate with `python -m connector.sandbox.specgen tests/data/teamleader-openapi.yaml` (the
official spec, shipped with the tests).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SUBSET_PATH = Path(__file__).with_name("spec_subset.json")

ENDPOINTS = (
    "users.me",
    "users.list",
    "workTypes.list",
    "departments.list",
    "taxRates.list",
    "paymentTerms.list",
    "customFieldDefinitions.list",
    "companies.list",
    "companies.info",
    "companies.update",
    "contacts.list",
    "contacts.info",
    "contacts.update",
    "timeTracking.list",
    "timeTracking.info",
    "projects.info",
    "milestones.info",
    "tickets.info",
    "tasks.list",
    "tasks.info",
    "invoices.draft",
    "invoices.book",
    "invoices.info",
    "invoices.list",
    "invoices.update",
    "invoices.delete",
    "invoices.registerPayment",
    "creditNotes.info",
    "creditNotes.list",
    "webhooks.register",
    "webhooks.list",
    "webhooks.unregister",
)

_KEPT = ("type", "enum", "nullable")


def compact(schema: Any) -> dict[str, Any]:
    """Flattens `allOf` and keeps only the keywords the sandbox's validator understands."""
    if not isinstance(schema, dict):
        return {}
    merged: dict[str, Any] = {}
    for part in schema.get("allOf", []):
        for key, value in compact(part).items():
            if key == "properties" and "properties" in merged:
                merged["properties"] = {**merged["properties"], **value}
            elif key == "required" and "required" in merged:
                merged["required"] = sorted(set(merged["required"]) | set(value))
            else:
                merged[key] = value
    for key in _KEPT:
        if key in schema:
            merged[key] = schema[key]
    if "required" in schema:
        merged["required"] = sorted(set(merged.get("required", [])) | set(schema["required"]))
    if "properties" in schema:
        own = {name: compact(sub) for name, sub in schema["properties"].items()}
        merged["properties"] = {**merged.get("properties", {}), **own}
    if "items" in schema:
        merged["items"] = compact(schema["items"])
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        merged["oneOf"] = [compact(alternative) for alternative in alternatives]
    return merged


def build_subset(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Returns endpoint name -> compact request schema for every endpoint in `ENDPOINTS`."""
    subset: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        operation = spec["paths"]["/" + endpoint]["post"]
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
        subset[endpoint] = compact(body.get("schema", {}))
    return subset


def render_subset(subset: dict[str, dict[str, Any]]) -> str:
    """The exact text committed in `spec_subset.json` (stable key order, trailing newline)."""
    return json.dumps(subset, indent=1, sort_keys=True) + "\n"


def load_spec(path: Path) -> dict[str, Any]:
    """Parses the official OpenAPI YAML with the fastest loader PyYAML offers."""
    import yaml  # type: ignore[import-untyped]  # only needed to regenerate, not at run time

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506  (a safe loader)
    return spec


def main(argv: list[str]) -> int:
    """Writes `spec_subset.json` from the OpenAPI file named on the command line."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m connector.sandbox.specgen PATH/TO/teamleader-openapi.yaml\n")
        return 2
    SUBSET_PATH.write_text(render_subset(build_subset(load_spec(Path(argv[0])))), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
