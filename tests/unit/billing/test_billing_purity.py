"""The billing domain stays pure: no I/O library and no outer layer is imported anywhere in it."""

from __future__ import annotations

import ast
from pathlib import Path

import connector.billing

FORBIDDEN = (
    "httpx",
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "authlib",
    "connector.storage",
    "connector.teamleader",
    "connector.web",
    "connector.sync",
    "connector.invoicing",
    "connector.sandbox",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_billing_imports_no_io_and_no_outer_layer() -> None:
    package = Path(connector.billing.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) > 10
    for module in modules:
        bad = {name for name in _imports(module) if name.startswith(FORBIDDEN)}
        assert not bad, f"{module.name} imports {sorted(bad)}"
