"""The code's shape, read from its syntax trees: what each top-level package imports, and the
modules and functions over the size limits.

An import is any import statement (inside functions and under TYPE_CHECKING too) and any string
that names a module of ours ("rules.models", "kb:migrations"), docstrings aside. The packages are
layered lowest first (LAYERS); a package imports only packages on lower layers, or its own.

`python -m tests.structure` lists every offender in the repository; tests/test_structure.py holds
the packages that already keep the rules to them.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Lowest first; packages on one layer are peers and import neither each other nor anything above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("admin",),
    ("kb", "understanding"),
    ("rules",),
    ("staff",),
    ("channels",),
    ("bot",),
)
LAYER = {package: n for n, layer in enumerate(LAYERS) for package in layer}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 80
# Exempt from the size limits: Alembic revisions, and modules that are data tables, not logic.
EXEMPT = re.compile(r"(^|/)migrations/|^bench/(kb_questions|understanding_cases)\.py$")
SIZED = (*LAYER, "bench")
_MODULE_PATH = re.compile(r"^([a-z_]+)(\.[a-z_][a-z0-9_]*)*(:[\w./]+)?$")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module's file, relative to ROOT
    line: int
    target: str  # the package it reaches


@dataclass(frozen=True)
class Oversized:
    where: str  # "path" for a module, "path:line name()" for a function
    lines: int
    limit: int


def python_files(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _in_fstrings(tree: ast.AST) -> set[int]:
    return {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def imports(path: Path) -> Iterator[Import]:
    """The packages of ours that the module at `path` reaches, by statement or by string."""
    tree = ast.parse(path.read_text(), str(path))
    rel = _name(path)
    skip = _docstrings(tree) | _in_fstrings(tree)
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            match = _MODULE_PATH.match(node.value)
            if match and ("." in node.value or ":" in node.value):
                names = [node.value]
        for name in names:
            top = re.split(r"[.:]", name, maxsplit=1)[0]
            if top in LAYER:
                yield Import(rel, node.lineno, top)


def upward_imports(package: str) -> list[Import]:
    """Imports from `package` of a package on its own layer or above (its own modules aside)."""
    return [
        found
        for path in python_files(package)
        for found in imports(path)
        if found.target != package and LAYER[found.target] >= LAYER[package]
    ]


def oversized(package: str) -> list[Oversized]:
    return oversized_in(python_files(package))


def oversized_in(paths: Iterable[Path]) -> list[Oversized]:
    """Modules over MAX_MODULE_LINES and functions over MAX_FUNCTION_LINES (EXEMPT aside)."""
    found = []
    for path in paths:
        rel = _name(path)
        if EXEMPT.search(rel):
            continue
        text = path.read_text()
        if (count := len(text.splitlines())) > MAX_MODULE_LINES:
            found.append(Oversized(rel, count, MAX_MODULE_LINES))
        for node in ast.walk(ast.parse(text, rel)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                count = node.end_lineno - node.lineno + 1
                if count > MAX_FUNCTION_LINES:
                    found.append(Oversized(f"{rel}:{node.lineno} {node.name}()", count, MAX_FUNCTION_LINES))
    return found


def main() -> int:
    offenders = 0
    for package in LAYER:
        if not (ROOT / package).is_dir():
            continue
        for found in upward_imports(package):
            offenders += 1
            print(f"{found.module}:{found.line}: {package} imports {found.target}")
    for package in SIZED:
        if not (ROOT / package).is_dir():
            continue
        for big in oversized(package):
            offenders += 1
            print(f"{big.where}: {big.lines} lines (limit {big.limit})")
    return 1 if offenders else 0


if __name__ == "__main__":
    sys.exit(main())
