"""Render a trace as SemCoder's concrete-trace comments, for prompts.

Format (semcoder-model.md): the first executed line gets ``# [INPUT] {...} [/INPUT]``,
a line that changed variables ``# [STATE-k] {"var": value} [/STATE-k]`` with k the
global order of the change (at most three per line: the first two, ``...``, the
last), the returning line ``# [OUTPUT] value [/OUTPUT]`` and the raising line
``# [EXCEPTION] message [/EXCEPTION]``.
"""

from __future__ import annotations

import json

from .schema import ExceptionInfo, FileLines


def _state_text(state: dict[str, str]) -> str:
    return "{" + ", ".join(f"{json.dumps(name)}: {value}" for name, value in state.items()) + "}"


def render_concrete_trace(
    source: str,
    file_lines: FileLines,
    inputs: dict[str, str] | None = None,
    output: str | None = None,
    output_line: int | None = None,
    exception: ExceptionInfo | None = None,
    first_line: int = 1,
) -> str:
    """``source`` is the code (its first line is ``first_line`` in the traced file)."""
    code_lines = source.splitlines()
    last = first_line + len(code_lines) - 1
    entries = {int(n): e for n, e in file_lines.items() if first_line <= int(n) <= last}
    ordered = sorted(
        ((seq, lineno, state) for lineno, e in entries.items() for seq, state in zip(e.get("seq", []), e["states"])),
        key=lambda item: item[0],
    )
    k_of = {(lineno, seq): k for k, (seq, lineno, _) in enumerate(ordered, start=1)}
    executed = [n for n in sorted(entries) if entries[n].get("hits")]
    comments: dict[int, list[str]] = {}
    if inputs is not None and executed:
        comments.setdefault(executed[0], []).append("[INPUT] " + _state_text(inputs) + " [/INPUT]")
    for lineno, entry in entries.items():
        pairs = list(zip(entry.get("seq", []), entry["states"]))
        shown: list[tuple[int, dict] | None] = list(pairs)
        if len(pairs) > 3:
            shown = [pairs[0], pairs[1], None, pairs[-1]]
        parts = []
        for item in shown:
            if item is None:
                parts.append("...")
            else:
                k = k_of[(lineno, item[0])]
                parts.append(f"[STATE-{k}] {_state_text(item[1])} [/STATE-{k}]")
        if parts:
            comments.setdefault(lineno, []).append(" ".join(parts))
    if output is not None and output_line is not None:
        comments.setdefault(output_line, []).append(f"[OUTPUT] {output} [/OUTPUT]")
    exc_line = exception.get("line") if exception else None
    if exception and exc_line:
        message = f"{exception['type']}: {exception['message']}" if exception.get("message") else exception["type"]
        comments.setdefault(int(exc_line), []).append(f"[EXCEPTION] {message} [/EXCEPTION]")
    out = []
    for offset, text in enumerate(code_lines):
        lineno = first_line + offset
        if lineno in comments:
            text = f"{text} # " + " ".join(comments[lineno])
        out.append(text)
    return "\n".join(out)
