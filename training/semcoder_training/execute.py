"""Running pipeline programs: sandboxed, traced, many calls per process.

Everything the pipeline runs is untrusted (model-written programs, or code we have not read), so it
runs only under the namespace sandbox (bubblewrap: no network, a read-only view of the system, a
private ``/tmp``, limits on time, memory and processes). The portable fallback of ``semcoder_core``
(a temporary copy of the project) lets a program read outside its folder and signal its parent, so
the pipeline refuses it unless the user opts in with ``allow_copy``.

A :class:`Runner` owns one scratch folder; each distinct program is written there once (named by the
hash of its code) and its calls are traced by ``Sandbox.trace_calls``, which runs many calls in one
warmed interpreter and starts a new one only when a call kills its process.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from semcoder_core.errors import SemcoderError
from semcoder_core.sandbox import Limits, Sandbox
from semcoder_core.sandbox import isolation as _isolation

from .rows import ENTRY

#: a return value whose repr is longer than this is "huge": not a row a model should learn to write out
MAX_OUTPUT_CHARS = 400
#: state changes above this make a monologue too long to be useful (PyX unrolls every step)
MAX_STEPS = 120


class UnsafeSandbox(SemcoderError):
    """Only the copy fallback is available and the user did not opt in to it."""


@dataclass
class Outcome:
    """What one traced call did."""

    status: str  # ok | exception | timeout | memory-limit | crashed | error | huge | not-literal | too-long
    output: Optional[str] = None  # repr of the return value (status ok)
    message: str = ""
    lines: list[int] = field(default_factory=list)  # lines of the program it ran
    steps: int = 0
    trace: Optional[dict] = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def check_isolation(mode: str = "auto", allow_copy: bool = False) -> str:
    """The isolation the pipeline will use; raises :class:`UnsafeSandbox` where that would be the copy."""
    if mode == "auto":
        mode = "bwrap" if _isolation.bwrap_path() else "copy"
    if mode == "bwrap" and not _isolation.bwrap_path():
        raise UnsafeSandbox("bubblewrap (bwrap) is not installed: install it (apt-get install bubblewrap)")
    if mode == "copy" and not allow_copy:
        raise UnsafeSandbox(
            "the pipeline runs untrusted programs and only the copy sandbox is available, which lets a program "
            "read files outside its folder and kill its parent; install bubblewrap (apt-get install bubblewrap), "
            "or pass --allow-copy-sandbox to accept that risk"
        )
    return mode


def is_literal(text: str) -> bool:
    try:
        ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


class Runner:
    """Traces calls of programs in a sandbox over a scratch folder of its own."""

    def __init__(
        self,
        isolation: str = "auto",
        allow_copy: bool = False,
        timeout_s: float = 2.0,
        memory_mb: int = 512,
        max_states: int = 64,
        python: Optional[str] = None,
    ) -> None:
        mode = check_isolation(isolation, allow_copy)
        self.folder = Path(tempfile.mkdtemp(prefix="semcoder-data-"))
        self.timeout_s = timeout_s
        limits = Limits(timeout_s=timeout_s, memory_mb=memory_mb, max_processes=4, max_file_mb=1)
        self.sandbox = Sandbox(
            self.folder,
            python=python or sys.executable,
            limits=limits,
            isolation_mode=mode,
            caps={"max_states": max_states, "max_calls": 4, "max_repr": MAX_OUTPUT_CHARS * 4},
        )

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def file_for(self, code: str) -> Path:
        path = self.folder / f"pyx_{hashlib.sha1(code.encode()).hexdigest()[:16]}.py"
        if not path.exists():
            path.write_text(code, encoding="utf-8")
        return path

    def run(self, calls: list[tuple[str, str, str]], keep_trace: bool = False) -> dict[str, Outcome]:
        """Trace each ``(key, code, args)``: the call ``f(args)`` in the module ``code``."""
        items = [(key, str(self.file_for(code)), f"{ENTRY}({args})") for key, code, args in calls]
        if not items:
            return {}
        docs = self.sandbox.trace_calls(items, timeout_s=self.timeout_s)
        files = {key: path for key, path, _ in items}
        return {key: _outcome(docs[key], files[key], keep_trace) for key, _, _ in items}


def _outcome(doc: dict, file: str, keep_trace: bool) -> Outcome:
    lines_of_file = (doc.get("lines") or {}).get(file) or {}
    lines = sorted(int(n) for n in lines_of_file)
    steps = sum(entry.get("hits", 0) for entry in lines_of_file.values())
    status = doc.get("status") or "error"
    trace = doc if keep_trace else None
    if status != "ok":
        exc = doc.get("exception") or {}
        message = f"{exc.get('type', status)}: {exc.get('message', '')}".strip(": ")
        return Outcome(status, message=message, lines=lines, steps=steps, trace=trace)
    output = doc.get("return_repr")
    if output is None:
        return Outcome("error", message="no return value", lines=lines, steps=steps, trace=trace)
    if len(output) > MAX_OUTPUT_CHARS:
        return Outcome("huge", message=f"output of {len(output)} characters", lines=lines, steps=steps)
    if not is_literal(output):
        return Outcome("not-literal", message=f"output {output[:60]!r} is not a literal", lines=lines, steps=steps)
    if steps > MAX_STEPS:
        return Outcome("too-long", output=output, message=f"{steps} line executions", lines=lines, steps=steps)
    return Outcome("ok", output=output, lines=lines, steps=steps, trace=trace)
