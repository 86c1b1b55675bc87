"""Seed snippets: self-contained functions of 5-40 lines from real code on this machine.

The offline default (``stdlib``) reads the Python standard library, then the installed packages
(site-packages), in a fixed order. A function is taken when everything it reads is a parameter, a
local, a builtin, or something its module defines at top level that can come along: an import of a
standard-library module, a constant written as a literal, or another function of the module that is
itself self-contained (helpers are included before it). Its text is then standalone: it can be run
and shown to a model without its module. Duplicates (the same function modulo names and docstrings)
are kept once.

A path (a folder of ``.py`` files, or a ``.jsonl`` file with a ``code``/``content`` field) and a
Hugging Face dataset (``hf:NAME[:SPLIT[:COLUMN]]``, read from the local cache) are the other sources.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import os
import site
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from semcoder_core.jsonl import read_jsonl

MIN_LINES, MAX_LINES = 5, 40
MAX_PROGRAM_LINES = 80
MAX_HELPERS = 3
_BUILTINS = frozenset(dir(builtins))
_SKIP_DIRS = frozenset(
    {"test", "tests", "testing", "idlelib", "lib2to3", "tkinter", "turtledemo", "ensurepip", "__pycache__"}
)
_STDLIB_MODULES = frozenset(getattr(sys, "stdlib_module_names", ())) or frozenset(
    {"math", "re", "string", "itertools", "functools", "collections", "operator", "heapq", "bisect", "textwrap"}
)


@dataclass(frozen=True)
class Seed:
    """A standalone snippet: ``code`` defines ``entry`` (and whatever it needs before it)."""

    code: str
    entry: str
    origin: str  # e.g. ``stdlib:textwrap.dedent``, ``site:six.ensure_str``, ``file:src/x.py:func``
    docstring: Optional[str] = None

    @property
    def key(self) -> str:
        """Equal for the same function modulo names, docstrings and formatting."""
        return normalised_hash(self.code)


def normalised_hash(code: str) -> str:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return hashlib.sha1(code.encode()).hexdigest()
    _strip_docstrings(tree)
    return hashlib.sha1(ast.dump(_Renamer().visit(tree)).encode()).hexdigest()


class _Renamer(ast.NodeTransformer):
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        if name in _BUILTINS:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name(id=self._name(node.id), ctx=node.ctx), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return ast.copy_location(ast.arg(arg=self._name(node.arg), annotation=None), node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self._name(node.name)
        node.returns = None
        self.generic_visit(node)
        return node


def _strip_docstrings(tree: ast.AST) -> None:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]


# -- one module ----------------------------------------------------------------------------------


def _bound_and_free(func: ast.FunctionDef) -> set[str]:
    """Names the function reads that it does not bind itself (builtins excluded)."""
    bound: set[str] = set()
    loads: set[str] = set()
    for node in ast.walk(func):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node is not func:
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return loads - bound - _BUILTINS


def _unfit(func: ast.FunctionDef) -> bool:
    if func.decorator_list or not (func.args.args or func.args.posonlyargs):
        return True
    if func.args.args and func.args.args[0].arg in ("self", "cls"):
        return True
    for node in ast.walk(func):
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal, ast.AsyncFunctionDef)):
            return True
    return False


class _Module:
    """The top level of one file: what a function may take along."""

    def __init__(self, source: str, tree: ast.Module) -> None:
        self.source = source
        self.lines = source.splitlines(keepends=True)
        self.imports: dict[str, str] = {}
        self.constants: dict[str, str] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    if top in _STDLIB_MODULES and (alias.asname or "." not in alias.name):
                        name = alias.asname or alias.name
                        self.imports[name] = f"import {alias.name}" + (f" as {alias.asname}" if alias.asname else "")
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                if node.module.split(".")[0] in _STDLIB_MODULES:
                    for alias in node.names:
                        if alias.name != "*":
                            name = alias.asname or alias.name
                            self.imports[name] = f"from {node.module} import {alias.name}" + (
                                f" as {alias.asname}" if alias.asname else ""
                            )
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                text = self.segment(node)
                if text.count("\n") < 6 and _is_literal(node.value):
                    self.constants[node.targets[0].id] = text
            elif isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node

    def segment(self, node: ast.AST) -> str:
        """The source of a top-level statement (``ast.get_source_segment`` splits the whole file on every
        call: quadratic on the large modules of site-packages)."""
        end = node.end_lineno or node.lineno
        return "".join(self.lines[node.lineno - 1 : end]).rstrip()

    def snippet(self, name: str) -> Optional[str]:
        """The standalone text of function ``name``, or None when it needs something that cannot come along."""
        order: list[str] = []  # helper functions, dependencies first
        needs_imports: set[str] = set()
        needs_constants: set[str] = set()

        def visit(fname: str, depth: int) -> bool:
            func = self.functions[fname]
            for free in sorted(_bound_and_free(func)):
                if free == fname:
                    continue  # recursion
                if free in self.imports:
                    needs_imports.add(free)
                elif free in self.constants:
                    needs_constants.add(free)
                elif free in self.functions and depth < 2 and not _unfit_helper(self.functions[free]):
                    if free not in order:
                        if not visit(free, depth + 1):
                            return False
                        order.append(free)
                else:
                    return False
            return True

        if not visit(name, 0) or len(order) > MAX_HELPERS:
            return None
        parts = [self.imports[n] for n in sorted(needs_imports)]
        parts = list(dict.fromkeys(parts))
        consts = [self.constants[n] for n in sorted(needs_constants)]
        funcs = [self.segment(self.functions[n]) for n in [*order, name]]
        blocks = []
        if parts:
            blocks.append("\n".join(parts))
        if consts:
            blocks.append("\n".join(consts))
        blocks.extend(_dedent(f) for f in funcs)
        code = "\n\n".join(blocks) + "\n"
        return code if code.count("\n") <= MAX_PROGRAM_LINES else None


def _unfit_helper(func: ast.FunctionDef) -> bool:
    return bool(func.decorator_list) or any(
        isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal)) for n in ast.walk(func)
    )


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def seeds_of_source(source: str, origin: str) -> Iterator[Seed]:
    """The seeds one module's source offers, in the order its functions are defined."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return
    module = _Module(source, tree)
    for name, func in module.functions.items():
        lines = (func.end_lineno or func.lineno) - func.lineno + 1
        if not MIN_LINES <= lines <= MAX_LINES or _unfit(func):
            continue
        code = module.snippet(name)
        if code is None:
            continue
        yield Seed(code=code, entry=name, origin=f"{origin}.{name}", docstring=ast.get_docstring(func))


# -- sources ---------------------------------------------------------------------------------------


def _python_files(root: Path) -> Iterator[Path]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith(".") and d != "site-packages")
        for name in sorted(files):
            if name.endswith(".py") and not name.startswith("test_"):
                yield Path(folder) / name


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    return ".".join(p for p in rel.parts if p != "__init__")


def installed_roots() -> list[tuple[str, Path]]:
    """(label, folder) for the standard library, then each site-packages folder, in a fixed order."""
    roots = [("stdlib", Path(sysconfig.get_paths()["stdlib"]))]
    seen = {roots[0][1]}
    for folder in [sysconfig.get_paths()["purelib"], *site.getsitepackages()]:
        path = Path(folder)
        if path.is_dir() and path not in seen:
            seen.add(path)
            roots.append(("site", path))
    return roots


def iter_seeds(source: str = "stdlib") -> Iterator[Seed]:
    """Every seed of ``source`` (``stdlib``, a folder, a ``.jsonl`` file, or ``hf:NAME[:SPLIT[:COLUMN]]``)
    in a fixed order, duplicates dropped."""
    seen: set[str] = set()
    for seed in _raw_seeds(source):
        key = seed.key
        if key not in seen:
            seen.add(key)
            yield seed


def _raw_seeds(source: str) -> Iterator[Seed]:
    if source == "stdlib":
        for label, root in installed_roots():
            for path in _python_files(root):
                yield from _file_seeds(path, f"{label}:{_module_name(path, root)}")
        return
    if source.startswith("hf:"):
        yield from _hf_seeds(source[3:])
        return
    path = Path(source)
    if path.is_dir():
        for file in _python_files(path):
            yield from _file_seeds(file, f"file:{_module_name(file, path)}")
    elif path.suffix == ".jsonl" and path.is_file():
        for n, row in read_jsonl(path):
            text = row.get("code") or row.get("content") or ""
            yield from seeds_of_source(text, f"jsonl:{path.name}:{row.get('id', n)}")
    elif path.suffix == ".py" and path.is_file():
        yield from _file_seeds(path, f"file:{path.stem}")
    else:
        raise ValueError(f"seed source not found: {source} (use stdlib, a folder, a .py or .jsonl file, or hf:NAME)")


def _file_seeds(path: Path, origin: str) -> Iterator[Seed]:
    try:
        if path.stat().st_size > 400_000:
            return
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return
    yield from seeds_of_source(text, origin)


def _hf_seeds(spec: str) -> Iterator[Seed]:
    """A Hugging Face dataset from the local cache (nothing is downloaded when HF_HUB_OFFLINE=1)."""
    name, _, rest = spec.partition(":")
    split, _, column = rest.partition(":")
    from datasets import load_dataset

    dataset = load_dataset(name, split=split or "train")
    column = column or next(c for c in ("code", "content", "text") if c in dataset.column_names)
    for n, row in enumerate(dataset):
        yield from seeds_of_source(row[column] or "", f"hf:{name}:{n}")
