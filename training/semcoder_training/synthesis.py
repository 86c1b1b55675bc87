"""``synthesize`` with a model: OSS-Instruct style programs from seed snippets.

Each seed is shown to the model as inspiration (Magicoder's OSS-Instruct idea, in our own words), and
the model writes a problem statement, a self-contained solution whose function is ``f`` and a few
example calls. :func:`parse_completion` reads that back robustly; a completion that gives no usable
program is rejected with a counted reason (``model-no-code``, ``model-syntax``, ``model-no-function``,
``model-no-problem``; ``model-error`` when the backend itself failed). The example calls become the
program's model-proposed inputs, which the filter runs first.

Decoding is seeded from the seed's text (or, on an engine that batches, from the batch), so a rerun
writes the same programs.
"""

from __future__ import annotations

import ast
import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

from semcoder_core.models.base import Backend, Completion, Decoding, ModelError
from semcoder_core.prompts.answers import extract_code

from .programs import from_seed, program_id
from .rows import ENTRY, Program, Run
from .seeds import Seed

#: where the model's answer starts; the prompt ends with it so even a small model begins with the problem
PROBLEM_HEADER = "[Problem Description]"
SOLUTION_HEADER = "[Solution]"
EXAMPLES_HEADER = "[Examples]"

PROMPT = """\
You write exercises for a Python programming course. Take the random code snippet below as inspiration \
and create a new, high-quality programming problem with its solution. The problem does not have to be \
about the snippet: borrow an idea, a data structure or an algorithm from it.

Code snippet for inspiration:
```python
{seed}
```

Answer in three sections:
{problem} a complete, self-contained statement of the problem: what the function receives and what \
it must return.
{solution} one ```python block with a self-contained solution: a function named `f` that returns its \
result, using only the standard library, with no input(), print() or file access.
{examples} three example calls `f(...)`, one per line, with literal arguments only.

{problem}
"""

#: the fewest characters a problem statement can have and still say something
MIN_PROBLEM_CHARS = 20
#: the most example calls kept per program (the filter runs them all twice)
MAX_EXAMPLES = 5


def synthesis_prompt(seed_code: str) -> str:
    """The OSS-Instruct style prompt for one seed snippet."""
    return PROMPT.format(
        seed=seed_code.strip("\n"), problem=PROBLEM_HEADER, solution=SOLUTION_HEADER, examples=EXAMPLES_HEADER
    )


# -- the backend, once per process ------------------------------------------------------------------

_backends: dict[tuple, Backend] = {}
_backends_lock = threading.Lock()


def backend_for(model: dict) -> Backend:
    """The backend of ``model`` (a ``pipeline.ModelConfig`` dump), loaded on first use in this process."""
    key = (model.get("backend"), model.get("path"), model.get("url"), model.get("name"))
    with _backends_lock:
        backend = _backends.get(key)
        if backend is None:
            from semcoder_core.config import ModelSettings
            from semcoder_core.models import load_backend

            settings = ModelSettings(
                backend=model["backend"],
                path=model.get("path"),
                url=model.get("url"),
                name=model.get("name"),
                max_tokens=model.get("max_tokens", 768),
                temperature=model.get("temperature", 0.7),
            )
            backend = _backends[key] = load_backend(settings)
        return backend


def model_label(model: dict) -> str:
    """A short, machine-independent name for the model: ``<backend>:<file or model name>``."""
    what = model.get("name") or (Path(model["path"]).name if model.get("path") else None) or model.get("url")
    return f"{model['backend']}:{what}" if what else str(model["backend"])


def text_seed(*parts: str) -> int:
    """A sampling seed derived from text, the same in every process (``hash()`` is salted)."""
    return int(hashlib.sha1("\x00".join(parts).encode()).hexdigest()[:8], 16) % 2**31


def complete_all(
    backend: Backend, prompts: list[str], decoding: Decoding, keys: list[str]
) -> list[Completion | ModelError]:
    """One completion per prompt: one batch where the engine batches (``generate_many``: vLLM,
    transformers), else one call each seeded from its key. A failure is returned in place of the
    completion(s) it cost."""
    if not prompts:
        return []
    many = getattr(backend, "generate_many", None)
    if many is not None:
        batch = replace(decoding, seed=text_seed(str(decoding.seed), *keys))
        try:
            return list(many(prompts, batch))
        except ModelError as exc:
            return [exc] * len(prompts)
    out: list[Completion | ModelError] = []
    for prompt, key in zip(prompts, keys):
        try:
            out.append(backend.generate(prompt, replace(decoding, seed=text_seed(str(decoding.seed), key))))
        except ModelError as exc:
            out.append(exc)
    return out


# -- reading a completion back ----------------------------------------------------------------------


@dataclass
class Parsed:
    """What a synthesis completion gives: a program (entry ``f``) or the reason it gives none."""

    problem: Optional[str] = None
    code: Optional[str] = None
    examples: list[str] = field(default_factory=list)  # argument texts of the example calls
    reason: Optional[str] = None  # model-no-code | model-syntax | model-no-function | model-no-problem


_HEADER = re.compile(r"^\s*(?:#+\s*|\*\*)?\[?(problem( description)?|solution|examples?)\]?(\*\*)?:?\s*$", re.I | re.M)


def _problem_text(text: str) -> str:
    """The statement: what comes before the first code fence or the next section header."""
    body = text
    start = body.find(PROBLEM_HEADER)
    if start >= 0:
        body = body[start + len(PROBLEM_HEADER) :]
    cut = [i for i in (body.find("```"), body.find(SOLUTION_HEADER), body.find(EXAMPLES_HEADER)) if i >= 0]
    body = body[: min(cut)] if cut else body
    lines = [line for line in body.splitlines() if not _HEADER.match(line)]
    return "\n".join(lines).strip()


def _literal_call_args(call: ast.Call) -> Optional[str]:
    """The argument text of a call whose arguments are all positional literals, else None."""
    if call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
        return None
    parts = []
    for arg in call.args:
        try:
            ast.literal_eval(arg)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return None
        parts.append(ast.unparse(arg))
    return ", ".join(parts)


def example_calls(text: str, names: Iterable[str]) -> list[str]:
    """Argument texts of the calls ``name(...)`` with literal arguments anywhere in ``text``
    (``f(1)``, ``assert f(1) == 2``, ``print(f(1))``, ``>>> f(1)``...), in order, without repeats."""
    found: list[str] = []
    for name in dict.fromkeys(names):
        for match in re.finditer(rf"(?<![\w.]){re.escape(name)}\(", text):
            start = match.start()
            # the shortest balanced text from here that parses as a call (strings may hold parentheses)
            for end in (i for i, c in enumerate(text[start : start + 400], start) if c == ")"):
                try:
                    node = ast.parse(text[start : end + 1], mode="eval").body
                except SyntaxError:
                    continue
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    args = _literal_call_args(node)
                    if args is not None and (match.start(), args) not in found:
                        found.append((match.start(), args))
                break
    ordered = [args for _, args in sorted(found)]
    return list(dict.fromkeys(ordered))


def _definitions_only(tree: ast.Module, entry: str) -> ast.Module:
    """The module without what would run at import: example calls, prints, ``if __name__`` blocks, and
    assignments that call the entry (the filter refuses code at module level)."""
    keep: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            keep.append(node)
        elif isinstance(node, ast.Assign) and not any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in (entry, ENTRY, "print", "input")
            for n in ast.walk(node.value)
        ):
            keep.append(node)
    tree.body = keep
    return tree


def parse_completion(text: str, prefix: str = PROBLEM_HEADER + "\n") -> Parsed:
    """Read a synthesis completion (``prefix`` is the end of the prompt the completion continues)."""
    whole = prefix + text
    code = extract_code(whole)
    if code is None or not code.strip():
        return Parsed(reason="model-no-code")
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return Parsed(reason="model-syntax")
    functions = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    if ENTRY in functions:
        entry = ENTRY
    elif len(functions) == 1:
        entry = functions[0]
    else:
        return Parsed(reason="model-no-function")
    problem = _problem_text(whole)
    if len(problem) < MIN_PROBLEM_CHARS:
        return Parsed(reason="model-no-problem")
    clean = ast.unparse(ast.fix_missing_locations(_definitions_only(tree, entry))) + "\n"
    program, reason = from_seed(Seed(code=clean, entry=entry, origin="model"))
    if program is None:
        return Parsed(reason="model-syntax" if reason == "syntax" else "model-no-function")
    examples = example_calls(whole, (ENTRY, entry))[:MAX_EXAMPLES]
    return Parsed(problem=problem, code=program.code, examples=examples)


def raise_if_all_failed(completions: list) -> None:
    """A batch where every generation failed means the model is gone (a dead server, a full GPU), not
    that these seeds are bad: fail the task, so datatrove does not mark it done and a rerun redoes it."""
    if completions and all(isinstance(c, ModelError) for c in completions):
        raise ModelError(
            f"the model failed on all {len(completions)} prompts of a batch ({completions[0]}); "
            "check the model or server, then run the same command again to resume"
        )


# -- the stage's hook -------------------------------------------------------------------------------


def synthesize_programs(seeds: list[Seed], model: dict, reject: Callable[[str], None]) -> Iterable[Program]:
    """A program from each seed that the model turns into one; every other seed is ``reject``ed with
    its reason. Programs are unique by id within the batch (``model-duplicate`` otherwise)."""
    backend = backend_for(model)
    decoding = Decoding(
        max_tokens=int(model.get("max_tokens", 768)),
        temperature=float(model.get("temperature", 0.7)),
        stop=("[Problem Description]", "\n\n\n\n"),
        seed=0,
    )
    prompts = [synthesis_prompt(seed.code) for seed in seeds]
    completions = complete_all(backend, prompts, decoding, [seed.code for seed in seeds])
    raise_if_all_failed(completions)
    origin = f"model:{model['backend']}"
    seen: set[str] = set()
    for seed, completion in zip(seeds, completions):
        if isinstance(completion, ModelError):
            reject("model-error")
            continue
        parsed = parse_completion(completion.text)
        if parsed.code is None:
            reject(parsed.reason or "model-no-code")
            continue
        pid = program_id(parsed.code)
        if pid in seen:
            reject("model-duplicate")
            continue
        seen.add(pid)
        yield Program(
            id=pid,
            code=parsed.code,
            origin=origin,
            seed=seed.code,
            nl=parsed.problem,
            runs=[Run(args=args, output="", origin="model") for args in parsed.examples],
        )
