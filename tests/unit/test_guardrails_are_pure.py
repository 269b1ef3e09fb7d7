"""`guardrails/` is text in, Decision out: it imports no web, database or HTTP library, nor the app."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import guardrails

PACKAGE = Path(guardrails.__file__).resolve().parent
FORBIDDEN = {
    "fastapi",
    "starlette",
    "sqlalchemy",
    "httpx",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "uvicorn",
    "requests",
    "app",
}
MODULES = sorted(PACKAGE.rglob("*.py"))


def imported_roots(source: str) -> set[str]:
    """Top-level names of every absolute import, wherever it appears (also inside functions)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.partition(".")[0])
    return roots


def test_the_walk_finds_the_package() -> None:
    names = {path.name for path in MODULES}
    assert {"base.py", "pipeline.py", "policy.py", "registry.py", "disclosure.py"} <= names


@pytest.mark.parametrize(
    ("source", "roots"),
    [
        pytest.param("import fastapi.routing", {"fastapi"}, id="dotted-import"),
        pytest.param("from sqlalchemy.orm import Session", {"sqlalchemy"}, id="from-import"),
        pytest.param("def f():\n    import httpx\n", {"httpx"}, id="import-inside-function"),
        pytest.param("from . import base\nfrom .pii import x", set(), id="relative-imports-ignored"),
    ],
)
def test_imported_roots(source: str, roots: set[str]) -> None:
    assert imported_roots(source) == roots


@pytest.mark.parametrize("path", [pytest.param(p, id=str(p.relative_to(PACKAGE))) for p in MODULES])
def test_module_imports_no_web_database_or_http_library(path: Path) -> None:
    found = imported_roots(path.read_text(encoding="utf-8")) & FORBIDDEN
    assert not found, f"{path.relative_to(PACKAGE)} imports {', '.join(sorted(found))}"
