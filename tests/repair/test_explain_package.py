"""The explain package's modules import one another without cycles, and no module of semcoder_core that
the package uses imports the package back: read off the sources with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import semcoder_core

ROOT = Path(semcoder_core.__file__).parent
PACKAGE = "semcoder_core.explain"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of semcoder_core that ``path`` imports, at any depth of its code."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            stem = f"{base}.{node.module}" if node.level and node.module else base if node.level else node.module or ""
            targets = [stem] + [f"{stem}.{a.name}" for a in node.names]
        for target in targets:
            while target and target not in modules:  # a name imported from a module: the module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in ROOT.rglob("*.py")}
    return {name: _imports(path, set(paths)) for name, path in paths.items()}


def _cycle(graph: dict[str, set[str]], nodes: set[str]) -> list[str] | None:
    """A cycle among ``nodes`` (imports of other modules ignored), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node] & nodes):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(nodes):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_package_modules_import_each_other_without_cycles():
    graph = _graph()
    inside = {m for m in graph if m == PACKAGE or m.startswith(PACKAGE + ".")}
    assert {m.rpartition(".")[2] for m in inside} >= {"explain", "source", "replay", "chain", "markdown"}
    assert _cycle(graph, inside - {PACKAGE}) is None
    # every part is reached from the package's entry point
    reached, todo = set(), [PACKAGE]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph[module] & inside)
    assert reached == inside


def test_no_cycle_runs_through_the_package_and_the_rest_of_semcoder_core():
    graph = _graph()
    inside = {m for m in graph if m == PACKAGE or m.startswith(PACKAGE + ".")}
    used = set().union(*(graph[m] for m in inside)) - inside
    assert used, "the package uses annotate, findings, pysource, the trace schema"
    # what the package uses, and everything that reaches in turn, never imports the package
    reached, todo = set(), list(used)
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(graph[module] - inside)
    assert not {m for m in reached if graph[m] & inside}
