"""Run planning: which tests show a file, found statically (no import, no run).

A test shows a module when its file imports the module, directly or through
other modules of the project (``from inventory.pricing import total`` also
runs ``inventory.stock`` when pricing imports stock). Scans are cached by
file size and modification time, so planning on every edit costs a few stats.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG
from typing import Callable

from .annotate import is_test_file, statements
from .pysource import MAX_CHARS, parse_module

_SKIP_DIRS = {
    ".git",
    ".hg",
    ".venv",
    "venv",
    "env",
    ".tox",
    ".nox",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    "site-packages",
}
MAX_FILES = 5000  # a project larger than this is planned from its first files only


@dataclass(frozen=True)
class FileFacts:
    imports: frozenset[str]  # dotted names this file imports (each ``from a import b`` gives a and a.b)
    tests: tuple[str, ...]  # test names as pytest addresses them inside the file (``test_x``, ``TestY::test_z``)


def python_files(project: Path) -> list[Path]:
    """The project's Python files, without virtual environments, caches and build output."""
    found: list[Path] = []
    for root, dirs, files in os.walk(project):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                found.append(Path(root) / name)
                if len(found) >= MAX_FILES:
                    return found
    return found


def module_names(project: Path, file: Path) -> set[str]:
    """The dotted names the file may be imported as: from the project root, and from ``src/``."""
    names: set[str] = set()
    root, real = project.resolve(), file.resolve()
    if not real.is_relative_to(root):  # a link to a file outside the project: imported by the link's name
        real = Path(os.path.abspath(file))
        if not real.is_relative_to(root):
            return names
    rel = real.relative_to(root)
    for parts in (rel.parts, rel.parts[1:] if rel.parts[:1] == ("src",) else None):
        if not parts:
            continue
        parts = tuple(parts[:-1]) + (parts[-1][:-3],)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.add(".".join(parts))
    return names


def file_facts(source: str, package: str = "") -> FileFacts:
    """Imports and test names of one file; ``package`` resolves relative imports."""
    if len(source) > MAX_CHARS:
        return FileFacts(frozenset(), ())
    try:
        tree = parse_module(source)
    except SyntaxError:
        return FileFacts(frozenset(), ())
    imports: set[str] = set()
    for node in statements(tree):  # imports are statements: expressions need no walk
        if isinstance(node, ast.Import):
            imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, base] if base else anchor)
            if base:
                imports.add(base)
            imports.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    tests: list[str] = []
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_test_function(node):
            tests.append(node.name)
        elif isinstance(node, ast.ClassDef) and _is_test_class(node):
            tests.extend(f"{node.name}::{name}" for name in _test_methods(node, classes))
    return FileFacts(frozenset(imports), tuple(tests))


def _base_names(node: ast.ClassDef) -> list[str]:
    return [b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases]


def _is_test_class(node: ast.ClassDef) -> bool:
    """A class pytest collects: a unittest ``TestCase`` whatever its name (``LRUCacheTest(unittest.TestCase)``,
    as cachetools and dateutil write them), else a ``Test*`` class without ``__init__``."""
    if any(name.endswith("TestCase") for name in _base_names(node)):
        return True
    return node.name.startswith("Test") and not _has_init(node)


def _test_methods(node: ast.ClassDef, classes: dict[str, ast.ClassDef], seen: frozenset = frozenset()) -> list[str]:
    """Its test methods, and those it inherits from classes of the same module (mixins), in pytest's order."""
    own = [
        item.name
        for item in node.body
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _is_test_function(item)
    ]
    inherited = []
    for base in _base_names(node):
        if base in classes and base not in seen:
            inherited += [m for m in _test_methods(classes[base], classes, seen | {node.name}) if m not in own]
    return own + [m for i, m in enumerate(inherited) if m not in inherited[:i]]


def _is_test_function(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function pytest collects as a test: named ``test*`` and not a fixture (``@pytest.fixture`` on a
    ``test_data`` function is a fixture, and planning it as a test made pytest answer "no test found")."""
    if not node.name.startswith("test"):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in ("fixture", "yield_fixture"):
            return False
    return True


def _has_init(node: ast.ClassDef) -> bool:
    """pytest does not collect a ``Test*`` class with an ``__init__`` (it warns and skips it)."""
    return any(isinstance(item, ast.FunctionDef) and item.name == "__init__" for item in node.body)


class Planner:
    """Finds the tests that show a file. ``read(path)`` may return an unsaved buffer (or None for disk)."""

    def __init__(self, project: Path) -> None:
        self.project = project.resolve()
        self._cache: dict[Path, tuple[tuple[int, int], FileFacts]] = {}
        self._buffers: dict[Path, tuple[int, FileFacts]] = {}
        # pytest collects only under `testpaths` when set: tests elsewhere (held-back ones) are not ours
        self.testpaths = [self.project / t for t in _testpaths(self.project)]

    def is_test(self, path: Path) -> bool:
        if not is_test_file(path.name) or path.name == "conftest.py":
            return False
        return not self.testpaths or any(path == t or path.is_relative_to(t) for t in self.testpaths)

    def facts(self, path: Path, read: Callable[[Path], str | None]) -> FileFacts:
        text = read(path)
        if text is not None:  # an editor buffer: cached by its text
            digest = hash(text)
            known = self._buffers.get(path)
            if known is None or known[0] != digest:
                known = self._buffers[path] = (digest, file_facts(text, self._package(path)))
            return known[1]
        try:
            stat = path.stat()
        except OSError:
            return FileFacts(frozenset(), ())
        if not S_ISREG(stat.st_mode):  # a named pipe called x.py would block the read for ever
            return FileFacts(frozenset(), ())
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            source = "" if stat.st_size > MAX_CHARS * 4 else path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            source = ""
        facts = file_facts(source, self._package(path))
        self._cache[path] = (stamp, facts)
        return facts

    def _package(self, path: Path) -> str:
        names = module_names(self.project, path)
        name = min(names, key=len) if names else ""
        return name if path.name == "__init__.py" else name.rpartition(".")[0]

    def tests_for(self, file: Path, read: Callable[[Path], str | None] = lambda p: None, limit: int = 200) -> list[str]:
        """Node ids of the tests that show ``file``: its own tests for a test file, else the tests of
        every test file that imports it (directly, or through modules of the project)."""
        file = file.resolve()
        files = python_files(self.project)
        if file not in files and file.is_relative_to(self.project):
            files.append(file)
        if self.is_test(file):
            return self._node_ids([file], read, limit)
        wanted = module_names(self.project, file)
        importers: dict[Path, frozenset[str]] = {p: self.facts(p, read).imports for p in files}
        reached = set(wanted)
        depth: dict[Path, int] = {file: 0}
        level = 0
        while True:  # modules importing a reached module are reached too, one level at a time
            level += 1
            new = [p for p, imports in importers.items() if p not in depth and imports & reached]
            if not new:
                break
            for path in new:
                depth[path] = level
                if not is_test_file(path.name):
                    reached |= module_names(self.project, path)
        test_files = sorted((p for p in depth if self.is_test(p)), key=lambda p: (depth[p], p))
        return self._node_ids(test_files, read, limit)

    def neighbours(self, node_id: str, read: Callable[[Path], str | None] = lambda p: None) -> list[str]:
        """Tests that reach the project modules the test file of ``node_id`` imports (itself excluded)."""
        test_file = (self.project / node_id.partition("::")[0]).resolve()
        imports = self.facts(test_file, read).imports
        by_name: dict[str, Path] = {}
        for path in python_files(self.project):
            if not is_test_file(path.name):
                for name in module_names(self.project, path):
                    by_name[name] = path
        out: list[str] = []
        for name in sorted(imports):
            module = by_name.get(name)
            if module is None:
                continue
            for node in self.tests_for(module, read):
                if node != node_id and node not in out:
                    out.append(node)
        return out

    def _node_ids(self, files: Iterable[Path], read: Callable[[Path], str | None], limit: int) -> list[str]:
        out: list[str] = []
        for path in files:
            rel = path.relative_to(self.project).as_posix()
            out.extend(f"{rel}::{name}" for name in self.facts(path, read).tests)
        return out[:limit]


def _testpaths(project: Path) -> list[str]:
    """``testpaths`` from pyproject.toml or pytest.ini, if set."""
    import configparser
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - 3.9/3.10
        import tomli as tomllib
    try:
        doc = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        paths = doc.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("testpaths")
        if paths:
            return [paths] if isinstance(paths, str) else list(paths)
    except (OSError, ValueError):
        pass
    ini = configparser.ConfigParser()
    try:
        ini.read(project / "pytest.ini", encoding="utf-8")
    except (OSError, configparser.Error):
        return []
    if ini.has_option("pytest", "testpaths"):
        return ini.get("pytest", "testpaths").split()
    return []
