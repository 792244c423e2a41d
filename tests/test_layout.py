"""Layout: the engine never imports the authoring tools, and no module imports itself
back through others (every import counted, including those inside functions)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "matcher"
# The surfaces sit on top of both the engine and the authoring tools. Of the CLI's command
# groups (matcher/commands/) only `rules` runs authoring tools (lint, test, coverage, show);
# the others stay held to the engine's rule.
SURFACES = {"matcher.cli", "matcher.__main__", "matcher.commands.rules"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The matcher modules `path` imports, resolved to modules (not names inside them)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import submodule` imports the submodule, not a cycle on the package.
            subs = [f"{node.module}.{a.name}" for a in node.names]
            names = [s if s in modules else node.module for s in subs]
        found |= {n for n in names if n in modules}
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    return {name: imports_of(path, modules) - {name} for name, path in files.items()}


def test_the_engine_never_imports_authoring() -> None:
    graph = import_graph()
    assert any(m.startswith("matcher.authoring.") for m in graph), "authoring package missing"
    offenders = {
        m: sorted(t for t in targets if t.startswith("matcher.authoring"))
        for m, targets in graph.items()
        if not m.startswith("matcher.authoring") and m not in SURFACES
    }
    assert {m: t for m, t in offenders.items() if t} == {}


def test_no_import_cycles() -> None:
    try:
        TopologicalSorter(import_graph()).prepare()
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


@pytest.mark.parametrize("tool", ["lint", "coverage", "ruledoc", "casetest", "catalogue_cmd"])
def test_authoring_tools_live_in_their_package(tool: str) -> None:
    assert (PACKAGE / "authoring" / f"{tool}.py").is_file()
    assert not (PACKAGE / f"{tool}.py").exists()
