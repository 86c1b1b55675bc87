"""SemCoder's debug-and-refine task: the model's analysis of a failing call, and fixes to validate."""

from __future__ import annotations

import ast
import re
import textwrap
import threading
from dataclasses import dataclass
from typing import Callable, Optional

from ..models import Backend, Completion, Decoding, ModelError
from ..prompts.answers import extract_refined
from ..prompts.formats import debug_refine
from .targets import FailingCall, FunctionCode


@dataclass
class ModelFix:
    completion: Completion
    code: Optional[str]  # the refined function, None when the completion has none
    analysis: str  # the simulation and root-cause text before the code


def refine_prompt(failing: FailingCall) -> str:
    func = failing.function
    problem = _docstring(func.code) or f"Make the test `{failing.test}` pass."
    return debug_refine(problem, func.code, failing.failed_test())


def analyse(
    backend: Backend,
    failing: FailingCall,
    decoding: Decoding,
    cancel: Optional[threading.Event] = None,
    on_text: Callable[[str], None] = lambda piece: None,
) -> ModelFix:
    """One streamed debug-and-refine completion."""
    pieces: list[str] = []
    for piece in backend.stream(refine_prompt(failing), decoding.with_stop("[/Refined]"), cancel):
        pieces.append(piece)
        on_text(piece)
    return _fix(Completion("".join(pieces), "stop"))


def propose(
    backend: Backend, failing: FailingCall, decoding: Decoding, n: int, cancel: Optional[threading.Event] = None
) -> list[ModelFix]:
    """``n`` sampled refinements (distinct seeds)."""
    completions = backend.sample(refine_prompt(failing), decoding.with_stop("[/Refined]"), n, cancel)
    return [_fix(c) for c in completions]


def _fix(completion: Completion) -> ModelFix:
    text = completion.text
    code = extract_refined(text)
    cut = text.find("```python")
    analysis = text[:cut] if cut >= 0 else text
    return ModelFix(completion, code, analysis.replace("[Refined]", "").strip())


def apply_to_file(source: str, function: FunctionCode, new_code: str) -> Optional[str]:
    """``source`` with ``function`` replaced by the function of the same name in ``new_code`` (indented
    like the original); None when ``new_code`` does not parse or does not define it, or changes nothing."""
    try:
        tree = ast.parse(textwrap.dedent(new_code))
    except SyntaxError:
        return None
    node = next(
        (
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == function.name
        ),
        None,
    )
    if node is None:
        return None
    new_lines = textwrap.dedent(new_code).splitlines()[node.lineno - 1 : node.end_lineno]
    replacement = textwrap.dedent("\n".join(new_lines))
    lines = source.splitlines(keepends=True)
    old_first = lines[function.first_line - 1]
    indent = old_first[: len(old_first) - len(old_first.lstrip())]
    body = "".join(indent + line + "\n" if line.strip() else "\n" for line in replacement.splitlines())
    end = function.last_line
    candidate = "".join(lines[: function.first_line - 1]) + body + "".join(lines[end:])
    try:
        ast.parse(candidate)
    except SyntaxError:
        return None
    if candidate == source:
        return None
    return candidate


def analysis_markdown(fix: ModelFix, model: str) -> str:
    text = re.sub(r"\n{3,}", "\n\n", fix.analysis)
    out = [f"### The model's analysis (a prediction by `{model}`)", text or "_The completion has no analysis._"]
    if fix.code:
        out.append(
            "The model proposes this code; **it is not validated here** — use *semcoder: Suggest fix*, which "
            "offers only fixes that make the failing test pass without breaking the others.\n\n```python\n"
            + fix.code
            + "\n```"
        )
    return "\n\n".join(out)


def _docstring(code: str) -> Optional[str]:
    try:
        node = ast.parse(textwrap.dedent(code)).body[0]
    except (SyntaxError, IndexError):
        return None
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return ast.get_docstring(node)
    return None


__all__ = ["ModelError", "ModelFix", "analyse", "apply_to_file", "propose", "refine_prompt"]
