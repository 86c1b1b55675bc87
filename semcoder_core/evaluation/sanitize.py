"""From a completion to the code that gets tested (NL -> code benchmarks).

The code is the first fenced ```` ```python ```` block, as SemCoder's evaluation
takes it. Then, in the spirit of EvalPlus' sanitizer: a block cut off by the
token limit loses its unparsable tail; top-level statements that would run on
import (example calls, prints, ``if __name__ == "__main__":`` demos, stray
asserts) are dropped, keeping imports, definitions and assignments; and for
HumanEval a completion that is only the function's body gets the prompt put
in front of it.
"""

from __future__ import annotations

import ast
from typing import Optional

from ..prompts.answers import extract_code

_KEEP = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign)


def code_block(text: str) -> str:
    """The first python block of ``text``; the text itself when it has no fence."""
    code = extract_code(text)
    return code if code is not None else text


def parsable_prefix(code: str) -> Optional[str]:
    """``code``, or its longest prefix of whole lines that parses (None when none does)."""
    lines = code.splitlines()
    for end in range(len(lines), 0, -1):
        candidate = "\n".join(lines[:end])
        try:
            ast.parse(candidate)
        except (SyntaxError, ValueError):
            continue
        return candidate
    return None


def definitions_only(code: str) -> str:
    """The top-level imports, definitions and assignments of ``code`` (which must parse)."""
    tree = ast.parse(code)
    lines = code.splitlines()
    kept = []
    for node in tree.body:
        if not isinstance(node, _KEEP):
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        kept.append("\n".join(lines[start - 1 : node.end_lineno]))
    return "\n\n".join(kept)


def defines(code: str, name: str) -> bool:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name for n in tree.body)


def sanitize(completion: str, entry_point: str, prompt: Optional[str] = None) -> Optional[str]:
    """The testable code of ``completion`` (prompt prefill included where it was sent), or None when
    nothing in it parses. ``prompt`` (HumanEval's signature and docstring) is put in front of a
    completion that is only a function body."""
    code = code_block(completion)
    if prompt is not None and not defines(parsable_prefix(code) or "", entry_point):
        code = prompt.rstrip("\n") + "\n" + code if code.startswith((" ", "\t")) else prompt + code
    fixed = parsable_prefix(code)
    if fixed is None:
        return None
    kept = definitions_only(fixed)
    return kept if defines(kept, entry_point) else fixed
