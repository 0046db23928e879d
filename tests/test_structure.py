"""The code keeps its shape (tests/structure.py reads it; `python -m tests.structure` lists every
offender in the repository): every package imports only the layers below it (so there is no import
circle between packages), and every package keeps its modules and functions within the size limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.structure import (
    LAYERS,
    MAX_FUNCTION_LINES,
    MAX_MODULE_LINES,
    imports,
    oversized,
    oversized_in,
    upward_imports,
)

PACKAGES = [package for layer in LAYERS for package in layer]


@pytest.mark.parametrize("package", PACKAGES)
def test_a_package_imports_only_the_layers_below_it(package: str) -> None:
    assert upward_imports(package) == []


@pytest.mark.parametrize("package", [*PACKAGES, "bench"])
def test_modules_and_functions_stay_within_the_limits(package: str) -> None:
    assert oversized(package) == []


def test_the_reader_finds_imports_by_statement_and_by_string_but_not_in_docstrings(tmp_path: Path) -> None:
    module = tmp_path / "mod.py"
    module.write_text(
        '"""Mentions rules.models and bot/ in prose."""\n'
        "import json\n"
        "from kb.models import Chunk\n"
        "def f() -> None:\n"
        '    """Also rules.models here."""\n'
        "    import channels.slack\n"
        '    register("understanding.models", "understanding:migrations")\n'
        '    key = f"staff:{id}"\n'
    )
    found = sorted((i.line, i.target) for i in imports(module))
    assert found == [(3, "kb"), (6, "channels"), (7, "understanding"), (7, "understanding")]


def test_the_reader_measures_modules_and_functions(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))  # with its def line: one too many
    (tmp_path / "long.py").write_text(f"def long() -> None:\n{body}\n")
    (tmp_path / "short.py").write_text("def short() -> None:\n" + "\n".join(["    pass"] * 79) + "\n")
    (tmp_path / "big.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    found = {(o.where.rsplit("/", 1)[-1], o.lines) for o in oversized_in(sorted(tmp_path.glob("*.py")))}
    assert found == {("big.py", MAX_MODULE_LINES + 1), ("long.py:1 long()", MAX_FUNCTION_LINES + 1)}
