"""From a seed to a candidate program, and the static half of the filter.

A program is self-contained code whose entry function is named ``f`` (CRUXEval's convention, and the
name every monologue row asserts on), with docstrings removed (a seed's docstring becomes the
program's problem statement). :func:`static_rejection` refuses, before anything runs, the programs
that would read or write the world: files, the network, processes, randomness, the clock.
"""

from __future__ import annotations

import ast
import hashlib
from typing import Optional

from .rows import ENTRY, Program
from .seeds import Seed, _strip_docstrings

#: modules whose import makes a program's behaviour depend on the world, by rejection reason
FORBIDDEN_MODULES = {
    "io": {
        "io",
        "os",
        "pathlib",
        "shutil",
        "tempfile",
        "glob",
        "fileinput",
        "sys",
        "pickle",
        "shelve",
        "sqlite3",
        "zipfile",
        "tarfile",
        "gzip",
        "bz2",
        "lzma",
        "csv",
        "logging",
        "mmap",
        "fcntl",
        "importlib",
        "builtins",
        "gc",
        "inspect",
        "ctypes",
        "codecs",
        "locale",
        "platform",
        "sysconfig",
        "site",
        "atexit",
        "warnings",
        "traceback",
        "linecache",
        "tokenize",
        "pdb",
        "code",
        "webbrowser",
        "getpass",
        "pwd",
        "grp",
        "resource",
    },
    "network": {
        "socket",
        "ssl",
        "http",
        "urllib",
        "ftplib",
        "smtplib",
        "poplib",
        "imaplib",
        "email",
        "asyncio",
        "selectors",
        "select",
        "xmlrpc",
        "socketserver",
        "requests",
        "httpx",
        "mailbox",
        "nntplib",
    },
    "randomness": {"random", "secrets", "uuid", "hashlib", "hmac"},
    "time": {"time", "datetime", "calendar", "zoneinfo", "sched"},
    "subprocess": {"subprocess", "multiprocessing", "threading", "concurrent", "signal", "pty", "_thread"},
}
#: builtins that read or write the world, or run other code
FORBIDDEN_CALLS = {
    "open": "io",
    "input": "io",
    "print": "io",
    "breakpoint": "io",
    "exit": "io",
    "quit": "io",
    "exec": "dynamic-code",
    "eval": "dynamic-code",
    "compile": "dynamic-code",
    "__import__": "dynamic-code",
    "globals": "dynamic-code",
    "locals": "dynamic-code",
    "vars": "dynamic-code",
    "id": "randomness",
    "hash": "randomness",
    "memoryview": "io",
    "setattr": "dynamic-code",
    "delattr": "dynamic-code",
}
_REASON_OF_MODULE = {m: reason for reason, modules in FORBIDDEN_MODULES.items() for m in modules}


def program_id(code: str) -> str:
    """A stable numeric id from the code (PyX ids look like ``fwd_mnl_108213_ipt9``)."""
    return str(int(hashlib.sha1(code.encode()).hexdigest()[:12], 16) % 10**9)


class _Rename(ast.NodeTransformer):
    def __init__(self, old: str) -> None:
        self.old = old

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == self.old:
            node.id = ENTRY
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.name == self.old:
            node.name = ENTRY
        self.generic_visit(node)
        return node


def from_seed(seed: Seed) -> tuple[Optional[Program], Optional[str]]:
    """The seed as a program (entry renamed to ``f``, docstrings dropped), or a rejection reason."""
    try:
        tree = ast.parse(seed.code)
    except SyntaxError:
        return None, "syntax"
    if seed.entry != ENTRY and any(
        (isinstance(n, ast.Name) and n.id == ENTRY)
        or (isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == ENTRY)
        or (isinstance(n, ast.arg) and n.arg == ENTRY)
        for n in ast.walk(tree)
    ):
        return None, "name-clash"
    _strip_docstrings(tree)
    tree = _Rename(seed.entry).visit(tree)
    code = ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    nl = _problem_from_docstring(seed.docstring)
    return Program(id=program_id(code), code=code, origin=seed.origin, seed=seed.code, nl=nl), None


def _problem_from_docstring(doc: Optional[str]) -> Optional[str]:
    if not doc:
        return None
    first = doc.strip().split("\n\n")[0].strip()
    first = " ".join(first.split())
    return first if len(first) >= 20 else None


def static_rejection(code: str) -> Optional[str]:
    """Why ``code`` must not run (``syntax``, ``io``, ``network``, ``randomness``, ``time``,
    ``subprocess``, ``dynamic-code``, ``no-entry``, ``module-code``), or None."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return "syntax"
    entries = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == ENTRY]
    if not entries:
        return "no-entry"
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom, ast.Assign, ast.ClassDef)):
            if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                return "module-code"  # a program only defines things; running it must do nothing
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                reason = _REASON_OF_MODULE.get(alias.name.split(".")[0])
                if reason:
                    return reason
        elif isinstance(node, ast.ImportFrom):
            reason = _REASON_OF_MODULE.get((node.module or "").split(".")[0]) if node.level == 0 else "io"
            if reason:
                return reason
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            return FORBIDDEN_CALLS[node.func.id]
        elif isinstance(node, ast.Attribute) and node.attr.startswith("__") and node.attr not in _DUNDERS_OK:
            return "dynamic-code"
    return None


_DUNDERS_OK = {"__name__", "__class__", "__len__", "__getitem__", "__contains__", "__iter__", "__init__"}
