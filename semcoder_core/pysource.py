"""Parsing a user's whole module: one way, with every failure a SyntaxError.

User buffers are anything an editor holds: 100,000 nested brackets (``MemoryError`` or
``RecursionError`` from the parser), a NUL byte (``ValueError`` before 3.12), a lone surrogate
(``UnicodeEncodeError``). Callers catch ``SyntaxError`` alone.

Parses are one at a time per process: CPython 3.11 keeps the AST conversion's recursion depth in
state shared by threads, and two threads parsing at once (the language server parses off its event
loop) raised ``SystemError: AST constructor recursion depth mismatch`` now and then. The parse holds
the interpreter anyway (it is C code that does not release the GIL), so the lock costs nothing.
"""

from __future__ import annotations

import ast
import contextlib
import threading
from typing import Iterator

# A larger text is not parsed (generated data, not code that imports or tests): its tree would take
# 50 MB per MB of text and its parse hold the interpreter for about 0.3 s per MB. The largest modules of real
# libraries are under 500 KB (pandas/core/frame.py: 450 KB, 12,000 lines).
MAX_CHARS = 1_000_000

_LOCK = threading.Lock()


class Unparsable(SyntaxError):
    """Text Python's parser gives up on though it may be valid: nested too deep, too large, not Unicode, NULs."""


def parse_module(source: str, filename: str = "<unknown>", limit: int | None = None) -> ast.Module:
    """``ast.parse(source)``; any failure to parse is a ``SyntaxError`` with a message a user understands
    (``Unparsable`` where the text is not wrong Python but more than the parser takes)."""
    if limit is not None and len(source) > limit:
        raise Unparsable(f"{len(source)} characters, more than the {limit} semcoder parses", (filename, 1, 0, ""))
    with _LOCK:
        with _as_syntax_errors(filename):
            return ast.parse(source, filename)


def compile_module(source: str, filename: str = "<unknown>") -> None:
    """Whether ``source`` compiles (raises ``SyntaxError``/``Unparsable`` as ``parse_module`` does): a fifth of
    a parse's memory (no Python tree) in half the time, and it finds what only the compiler does
    (``return`` outside a function)."""
    with _LOCK:
        with _as_syntax_errors(filename):
            compile(source, filename, "exec", dont_inherit=True)


@contextlib.contextmanager
def _as_syntax_errors(filename: str) -> Iterator[None]:
    try:
        yield
    except SyntaxError:
        raise
    except (MemoryError, RecursionError) as exc:
        # `x = ` and 100,000 minus signs (MemoryError), 1+1+... with 200,000 terms (RecursionError)
        raise Unparsable("too deeply nested for Python's parser", (filename, 1, 0, "")) from exc
    except UnicodeEncodeError as exc:
        raise Unparsable("not valid Unicode (a lone surrogate)", (filename, 1, 0, "")) from exc
    except ValueError as exc:  # "source code string cannot contain null bytes" before 3.12
        raise Unparsable(str(exc), (filename, 1, 0, "")) from exc
    except SystemError as exc:  # the 3.11 recursion-depth bookkeeping after a failed conversion
        raise Unparsable(f"Python's parser failed on it ({exc})", (filename, 1, 0, "")) from exc
