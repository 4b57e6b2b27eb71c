"""DESIGN.md: the domain imports nothing of aiogram, SQLAlchemy, Jinja2 or APScheduler."""

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"
FORBIDDEN = {
    "aiogram",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "jinja2",
    "apscheduler",
    "redis",
    "storage",
    "handlers",
}


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda path: path.name)
def test_domain_module_imports_no_framework(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & FORBIDDEN
