"""The trace verbaliser: SemCoder-style monologues written from a real execution trace.

Every value the text states comes from the tracer's document of the call, every structural claim
(parameters, loops, conditions, what is returned) from the program's syntax tree, so the monologues
are correct by construction. The simulation is phrased the way ``semcoder_core.prompts.monologue.
extract_states`` reads model monologues (a cited label, then "`x` becomes `v`"), so the predicted
states of a model trained on these rows can be measured against traces with the same parser.

What the trace cannot show is left unsaid: a line that changed nothing has no place in the order of
events, so it is only mentioned when its effect is certain (a condition is stated true when a line
of its body ran next). Iterations are headed only when every iteration of a loop left a state.
"""

from __future__ import annotations

import ast
import difflib
from dataclasses import dataclass, field
from typing import Optional

from semcoder_core.prompts.formats import FIRST_LABEL
from semcoder_core.timeline import timeline

from .rows import ENTRY

#: the Runner's default per-line cap: lines hit more often were not examined on every execution
MAX_STATES = 64

_ORDINALS = "First Second Third Fourth Fifth Sixth Seventh Eighth Ninth Tenth".split()
_MUTATORS = frozenset(
    "append extend insert remove pop clear sort reverse update setdefault popitem add discard "
    "difference_update intersection_update symmetric_difference_update appendleft extendleft popleft".split()
)
_TYPES = {
    "list": "a list",
    "tuple": "a tuple",
    "dict": "a dictionary",
    "str": "a string",
    "int": "an integer",
    "float": "a float",
    "bool": "a boolean",
    "NoneType": "`None`",
    "set": "a set",
    "bytes": "a bytes object",
    "complex": "a complex number",
}
_LOOPS = (ast.For, ast.While)


def _kind(text: str) -> Optional[str]:
    """'a list', 'an integer'... for a literal repr; None when it is not a literal."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return _TYPES.get(type(value).__name__, f"a `{type(value).__name__}`")


def _span(text: str) -> str:
    """Inline code of ``text``; the parser reads spans up to a backtick, so one inside is said in words."""
    return f"`{text}`" if "`" not in text and "\n" not in text else "a value containing a backtick"


class _Program:
    """The syntax facts the prose needs: functions, loops, ifs, and what each line binds."""

    def __init__(self, code: str):
        self.code = code
        self.lines = code.split("\n")
        self.tree = ast.parse(code)
        self.functions = {n.name: n for n in self.tree.body if isinstance(n, ast.FunctionDef)}
        if ENTRY not in self.functions:
            raise ValueError(f"the program defines no function `{ENTRY}`")
        self.entry = self.functions[ENTRY]
        self.stmt_at: dict[int, ast.stmt] = {}  # line -> innermost statement starting there
        self.parent: dict[int, tuple[ast.AST, str]] = {}  # id(stmt) -> (parent, field)
        self.binds: dict[int, set[str]] = {}  # line -> names it assigns or mutates
        for node in ast.walk(self.tree):
            for name in ("body", "orelse", "finalbody"):
                children = getattr(node, name, None)
                for child in children if isinstance(children, list) else ():  # IfExp/Lambda: an expression
                    if isinstance(child, ast.stmt):
                        self.parent[id(child)] = (node, name)
            if isinstance(node, ast.stmt):
                if node.lineno not in self.stmt_at or _inside(node, self.stmt_at[node.lineno]):
                    self.stmt_at[node.lineno] = node
                self._bind(node)

    def _bind(self, node: ast.stmt) -> None:
        names = self.binds.setdefault(node.lineno, set())
        targets: list[ast.AST] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = list(node.targets)
        for target in targets:
            names.update(_roots(target))
        if isinstance(node, (ast.Expr, ast.Assign, ast.AugAssign, ast.Return)):
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr in _MUTATORS:
                    names.update(_roots(call.func.value))

    def function_of(self, line: int) -> Optional[ast.FunctionDef]:
        found = None
        for node in ast.walk(self.tree):
            if isinstance(node, ast.FunctionDef) and node.lineno <= line <= (node.end_lineno or line):
                if found is None or node.lineno > found.lineno:
                    found = node
        return found

    def ancestors(self, line: int) -> list[tuple[ast.AST, str]]:
        """(node, field) pairs enclosing the statement at ``line``, innermost first, up to its function."""
        node: Optional[ast.AST] = self.stmt_at.get(line)
        chain = []
        while node is not None and id(node) in self.parent:
            parent, field = self.parent[id(node)]
            if isinstance(parent, ast.FunctionDef):
                break
            chain.append((parent, field))
            node = parent
        return chain

    def segment(self, node: ast.AST) -> str:
        return " ".join((ast.get_source_segment(self.code, node) or "").split())

    def loops_of(self, function: ast.FunctionDef) -> list[ast.stmt]:
        return [n for n in ast.walk(function) if isinstance(n, _LOOPS)]


def _inside(node: ast.AST, other: ast.AST) -> bool:
    return node is not other and any(child is node for child in ast.walk(other))


def _roots(target: ast.AST) -> list[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _roots(element)]
    if isinstance(target, ast.Starred):
        return _roots(target.value)
    while isinstance(target, (ast.Subscript, ast.Attribute)):
        target = target.value
    return [target.id] if isinstance(target, ast.Name) else []


# --------------------------------------------------------------------------------------------------
# the trace


def _file_lines(trace: dict, file: str, max_states: int) -> dict:
    """The trace's lines of ``file``; ValueError where a line ran past the cap (states not all kept)."""
    lines = (trace.get("lines") or {}).get(file)
    if lines is None:
        raise ValueError(f"the trace has no lines of {file}")
    for number, entry in lines.items():
        capped_returns = entry.get("returned", 0) > len(entry.get("returns") or [])
        if entry["hits"] > max_states or entry.get("unrecorded") or capped_returns:
            raise ValueError(
                f"line {number} ran {entry['hits']} times, past the trace's cap of {max_states}: "
                "its states are not all in the trace"
            )
    return lines


def _calls(trace: dict, name: str) -> Optional[dict]:
    return next((c for c in trace.get("calls") or [] if c.get("name") == name), None)


@dataclass
class _Loop:
    node: ast.stmt
    trigger: int  # the line whose state starts an iteration
    ordinals: bool  # iterations can be numbered
    count: int = 0
    # per iteration: (index of its header in the text, its depth, the (if line, field) announced in it)
    runs: list[tuple[int, int, set[tuple[int, str]]]] = field(default_factory=list)


def _visible_loops(program: _Program, lines: dict, trace: dict) -> dict[int, _Loop]:
    """Loops every iteration of which left a state at one line, keyed by that line."""
    loops: dict[int, _Loop] = {}
    for name, function in program.functions.items():
        record = _calls(trace, name)
        once = record is not None and record.get("count") == 1
        for node in program.loops_of(function):
            first = node.body[0]
            if first.lineno == node.lineno:
                continue
            body = lines.get(str(first.lineno), {})
            exits = any(isinstance(n, (ast.Break, ast.Return)) for n in ast.walk(node))
            nested = any(_inside(node, other) for other in program.loops_of(function))
            if isinstance(node, ast.For) and not isinstance(first, _LOOPS):
                trigger, iterations = node.lineno, body.get("hits", 0)
            elif isinstance(node, ast.For) and once and not nested and not exits:
                # Run once and never left early: every hit of its line but the last starts an iteration.
                trigger, iterations = node.lineno, lines.get(str(node.lineno), {}).get("hits", 0) - 1
            elif isinstance(node, ast.For) or isinstance(first, _LOOPS):
                continue
            else:
                trigger, iterations = first.lineno, lines.get(str(node.lineno), {}).get("branches", {}).get("True", 0)
            states = lines.get(str(trigger), {}).get("states") or []
            if iterations > 0 and len(states) == iterations:
                loops[trigger] = _Loop(node, trigger, once)
    return loops


# --------------------------------------------------------------------------------------------------
# the simulation


class _Writer:
    def __init__(self, program: _Program, labels: bool, trace: dict):
        self.program = program
        # a function called more than once starts afresh in each call: "initialized" would mislead
        self.repeated = {name for name in program.functions if (_calls(trace, name) or {}).get("count", 0) > 1}
        self.labels = labels
        self.out: list[str] = []
        self.seen: set[tuple[str, str]] = set()  # (function, variable) stated already

    def cite(self, line: int) -> str:
        if self.labels:
            return f"**[L{line + FIRST_LABEL - 1}]:**"
        return f"{_span(self.program.lines[line - 1].strip().rstrip(':'))}:"

    def bullet(self, depth: int, line: Optional[int], text: str) -> None:
        head = f"{self.cite(line)} " if line is not None else ""
        self.out.append(f"{'  ' * depth}- {head}{text}")

    def changes(self, line: int, changes: dict[str, str], function: str, prefix: str = "") -> str:
        bound = self.program.binds.get(line, set())
        parts = []
        for var, value in changes.items():
            if var in bound:
                first = (function, var) not in self.seen
                params = _parameters(self.program.functions[function]) if function in self.program.functions else []
                initial = first and var not in params and isinstance(self.program.stmt_at.get(line), ast.Assign)
                verb = "is initialized to" if initial else "becomes"
                if function in self.repeated:
                    verb = "is set to"
                parts.append(f"`{var}` {verb} {_span(value)}")
            else:
                # Changed through another name or by a call: a state the parser must not pin on a binding line.
                parts.append(f"`{var}` is also modified by this line and now reads {_span(value)}")
            self.seen.add((function, var))
        return prefix + "; ".join(parts) + "."


def _condition_text(program: _Program, node: ast.If, field: str) -> str:
    truth = "true" if field == "body" else "false"
    return f"The condition {_span(program.segment(node.test))} is {truth}."


def simulation(
    code: str, args: str, trace: dict, file: str, *, labels: bool = True, max_states: int = MAX_STATES
) -> str:
    """The body of the Execution Simulation section for the traced call ``f(args)`` of ``code``."""
    program = _Program(code)
    lines = _file_lines(trace, file, max_states)
    loops = _visible_loops(program, lines, trace)
    writer = _Writer(program, labels, trace)
    writer.out.append(f"Let's simulate the execution of `{ENTRY}({args})` step by step.")
    open_loops: list[_Loop] = []
    in_force: dict[str, set[tuple[int, str]]] = {}  # function -> (id(if), field) announced and still holding

    def close(function: ast.FunctionDef, line: Optional[int]) -> None:
        while open_loops:
            loop = open_loops[-1]
            if program.function_of(loop.node.lineno) is not function:
                break
            if line is not None and loop.node.lineno <= line <= (loop.node.end_lineno or 0):
                break
            open_loops.pop()
            writer.bullet(len(open_loops), loop.node.lineno, "The loop ends.")

    def announce(function: ast.FunctionDef, line: int) -> None:
        """State the outcome of each ``if`` around ``line`` (it ran, so they led there) not stated yet."""
        announced = in_force.setdefault(function.name, set())
        chain = [(node, branch) for node, branch in program.ancestors(line) if isinstance(node, ast.If)]
        announced &= {(id(node), branch, node.lineno) for node, branch in chain}
        for node, branch in reversed(chain):
            key = (id(node), branch, node.lineno)
            if key not in announced:
                announced.add(key)
                for outer in open_loops:
                    if outer.node.body[0] is node:
                        outer.runs[-1][2].add((node.lineno, branch))
                writer.bullet(len(open_loops), node.lineno, _condition_text(program, node, branch))

    for step in (s for s in timeline(trace)["steps"] if s["file"] == file):
        line, changes = step["line"], step["changes"]
        function = program.function_of(line)
        if function is None:
            continue  # module-level code run at import: not part of the call
        close(function, line)
        announced = in_force.setdefault(function.name, set())
        loop = loops.get(line)
        if loop is not None:
            # A loop still open continues; one closed (or never opened) starts a new run.
            if open_loops and open_loops[-1] is loop:
                open_loops.pop()
            else:
                loop.count = 0
            depth = len(open_loops)
            loop.count += 1
            name = "Iteration"
            if loop.ordinals and loop.count <= len(_ORDINALS):
                name = f"{_ORDINALS[loop.count - 1]} Iteration"
            elif loop.ordinals:
                name = f"Iteration {loop.count}"
            inner_lines = range(loop.node.lineno, (loop.node.end_lineno or 0) + 1)
            announced -= {a for a in announced if a[2] in inner_lines}
            open_loops.append(loop)
            loop.runs.append((len(writer.out), depth, set()))
            if isinstance(loop.node, ast.For):
                values = ", ".join(f"`{var} = {value}`" for var, value in changes.items() if "`" not in value)
                writer.bullet(depth, line, f"{name} ({values}):")
                for var in changes:
                    writer.seen.add((function.name, var))
                continue
            writer.bullet(
                depth, loop.node.lineno, f"{name}: the condition {_span(program.segment(loop.node.test))} is true."
            )
        depth = len(open_loops)
        announce(function, line)
        writer.bullet(depth, line, writer.changes(line, changes, function.name, _call_note(program, trace, line)))
    _finish(program, trace, lines, writer, open_loops, close, announce)
    _infer_conditions(program, lines, loops, writer)
    return "\n".join(writer.out)


def _infer_conditions(program: _Program, lines: dict, loops: dict[int, _Loop], writer: _Writer) -> None:
    """An ``if`` opening a loop's body runs once per iteration: when the iterations that showed one
    outcome account for all of its count (``branches``), the silent ones had the other outcome."""
    inserts: list[tuple[int, str]] = []
    for loop in loops.values():
        node = loop.node.body[0]
        branches = lines.get(str(node.lineno), {}).get("branches") if isinstance(node, ast.If) else None
        if not branches:
            continue
        shown = {f: sum((node.lineno, f) in seen for _, _, seen in loop.runs) for f in ("body", "orelse")}
        if shown["body"] == branches.get("True", 0):
            silent = "orelse"
        elif shown["orelse"] == branches.get("False", 0):
            silent = "body"
        else:
            continue
        for index, depth, seen in loop.runs:
            if not seen:
                head = f"{'  ' * (depth + 1)}- {writer.cite(node.lineno)} "
                inserts.append((index + 1, head + _condition_text(program, node, silent)))
    for index, text in sorted(inserts, reverse=True):
        writer.out.insert(index, text)


def _call_note(program: _Program, trace: dict, line: int) -> str:
    """ "`helper(3)` returns `6`; " when ``line`` calls a helper that ran exactly once."""
    stmt = program.stmt_at.get(line)
    notes = []
    for call in ast.walk(stmt) if stmt is not None else []:
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name)):
            continue
        record = _calls(trace, call.func.id)
        if record is None or record.get("count") != 1 or call.func.id == ENTRY or not record.get("records"):
            continue
        done = record["records"][0]
        if done.get("return_repr") is None or "`" in done["return_repr"]:
            continue
        args = ", ".join(done["args"].values())
        if "`" not in args:
            notes.append(f"`{call.func.id}({args})` returns `{done['return_repr']}`")
    return "; ".join(notes) + ", so " if notes else ""


def _return_lines(program: _Program, lines: dict, function: ast.FunctionDef) -> list[int]:
    own = {
        n.lineno for n in ast.walk(function) if isinstance(n, ast.Return) and program.function_of(n.lineno) is function
    }
    return sorted(int(n) for n, e in lines.items() if int(n) in own and e.get("returns"))


def _finish(program, trace, lines, writer, open_loops, close, announce) -> None:
    record = _calls(trace, ENTRY)
    once = record is not None and record.get("count") == 1
    exc = trace.get("exception")
    if trace.get("status") == "ok":
        returns = _return_lines(program, lines, program.entry)
        line = returns[0] if once and len(returns) == 1 else None
        close(program.entry, line)
        if line is not None:
            announce(program.entry, line)
        text = f"The function returns {_span(trace.get('return_repr') or 'None')}."
        writer.bullet(len(open_loops), line, text)
    elif exc:
        line = exc.get("line") if exc.get("file") and program.function_of(exc.get("line") or 0) else None
        if line is not None:
            close(program.function_of(line), line)
            announce(program.function_of(line), line)
        raised = f"{exc.get('type')}: {exc.get('message')}".rstrip(": ")
        text = f"An exception is raised: {_span(raised)}."
        writer.bullet(len(open_loops), line, text)


# --------------------------------------------------------------------------------------------------
# understanding and properties


def _parameters(function: ast.FunctionDef) -> list[str]:
    a = function.args
    return [x.arg for x in (*a.posonlyargs, *a.args, a.vararg, *a.kwonlyargs, a.kwarg) if x]


def _describe(program: _Program, stmt: ast.stmt) -> Optional[str]:
    """What one top-level statement of ``f`` does, as a clause ("initializes `total` to `0`")."""
    seg = program.segment
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = seg(stmt.targets[0]), seg(stmt.value)
        try:
            ast.literal_eval(stmt.value)
            return f"initializes {_span(target)} to {_span(value)}"
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return f"computes {_span(target)} as {_span(value)}"
    if isinstance(stmt, ast.AugAssign):
        return f"updates {_span(seg(stmt.target))} with {_span(seg(stmt))}"
    if isinstance(stmt, ast.For):
        checks = [seg(n.test) for n in ast.walk(stmt) if isinstance(n, ast.If)]
        text = f"loops over {_span(seg(stmt.iter))} with {_span(seg(stmt.target))}"
        return text + (f", checking {' and '.join(_span(c) for c in checks)}" if checks else "")
    if isinstance(stmt, ast.While):
        return f"repeats a `while` loop as long as {_span(seg(stmt.test))} holds"
    if isinstance(stmt, ast.If):
        early = any(isinstance(n, ast.Return) for n in ast.walk(stmt))
        return f"checks {_span(seg(stmt.test))}" + (", returning early from inside that branch" if early else "")
    if isinstance(stmt, ast.Return):
        return f"returns {_span(seg(stmt.value))}" if stmt.value is not None else "returns `None`"
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        return f"calls {_span(seg(stmt.value))}"
    return None


def _understanding(program: _Program) -> str:
    entry = program.entry
    params = _parameters(entry)
    if params:
        named = ", ".join(f"`{p}`" for p in params)
        text = f"The function `{ENTRY}` takes {len(params)} parameter{'s' if len(params) > 1 else ''}: {named}."
    else:
        text = f"The function `{ENTRY}` takes no parameters."
    clauses = [c for c in (_describe(program, stmt) for stmt in entry.body) if c]
    if clauses:
        text += " It " + ", then ".join(clauses) + "."
    helpers = [name for name in program.functions if name != ENTRY]
    if helpers:
        text += " It relies on " + ", ".join(f"`{h}`" for h in helpers) + ", defined in the same program."
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == ENTRY for n in ast.walk(entry)):
        text += f" `{ENTRY}` calls itself recursively."
    return text


def _properties(program: _Program, trace: dict, output: Optional[str]) -> list[str]:
    record = _calls(trace, ENTRY) or {}
    first = (record.get("records") or [{}])[0].get("args") or {}
    bullets = []
    for param in _parameters(program.entry):
        if param in first:
            kind = _kind(first[param])
            what = f"is {kind} in this call" if kind else "is passed"
            bullets.append(f"- `{param}` {what} ({_span(first[param])}).")
    for node in program.loops_of(program.entry):
        if isinstance(node, ast.For):
            bullets.append(f"- The `for` loop visits the items of {_span(program.segment(node.iter))} in order.")
        else:
            bullets.append(f"- The `while` loop runs as long as {_span(program.segment(node.test))} holds.")
    returns = [n for n in ast.walk(program.entry) if isinstance(n, ast.Return)]
    if len(returns) > 1:
        bullets.append(f"- The function has {len(returns)} `return` statements; which one runs depends on the input.")
    for name in program.functions:
        count = (_calls(trace, name) or {}).get("count", 0)
        if name != ENTRY and count:
            bullets.append(f"- `{name}` is called {count} time{'s' if count > 1 else ''} in this run.")
    if record.get("count", 0) > 1:
        bullets.append(f"- `{ENTRY}` is called {record['count']} times in this run, counting the recursive calls.")
    if output is not None:
        kind = _kind(output)
        bullets.append(f"- The result is {kind} here." if kind else "- The result is not a literal value.")
    return bullets


def _head(program: _Program, trace: dict, output: Optional[str]) -> str:
    return (
        "### Understanding the Function\n"
        + _understanding(program)
        + "\n### Key Properties and Constraints\n"
        + "\n".join(_properties(program, trace, output))
    )


def _answer(args: str, output: str) -> str:
    return f"[/MONOLOGUE]\n[ANSWER]\nassert {ENTRY}({args}) == {output}\n[/ANSWER]"


# --------------------------------------------------------------------------------------------------
# the three responses


def forward_response(code: str, args: str, output: str, trace: dict, file: str, *, max_states: int = MAX_STATES) -> str:
    """A forward monologue (output prediction) for the traced call ``f(args)`` that returned ``output``."""
    program = _Program(code)
    body = simulation(code, args, trace, file, max_states=max_states)
    return (
        f"{_head(program, trace, output)}\n### Execution Simulation\n{body}\n### Conclusion\n"
        f"The function returns {_span(output)} for the input {_span(args)}.\n{_answer(args, output)}"
    )


def backward_response(
    code: str, args: str, output: str, trace: dict, file: str, *, max_states: int = MAX_STATES
) -> str:
    """A backward monologue (input prediction): from ``output`` back to the input ``args``."""
    program = _Program(code)
    lines = _file_lines(trace, file, max_states)
    steps = [s for s in timeline(trace)["steps"] if s["file"] == file]
    entry = program.entry
    record = _calls(trace, ENTRY) or {}
    bullets = []
    returns = _return_lines(program, lines, entry)
    stmt = program.stmt_at.get(returns[0]) if len(returns) == 1 and record.get("count") == 1 else None
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        bullets.append(f"- The function returns {_span(output)}, the value of {_span(program.segment(stmt))}.")
        own = [s for s in steps if program.function_of(s["line"]) is entry]
        names = dict.fromkeys(n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name))
        for name in names:
            last = next((s for s in reversed(own) if name in s["changes"]), None)
            if last is None:
                continue
            source = program.segment(program.stmt_at[last["line"]]) if last["line"] in program.stmt_at else ""
            changed = sum(name in s["changes"] for s in own)
            bullets.append(
                f"- So `{name}` must be {_span(last['changes'][name])} at the end; it was last changed by "
                f"{_span(source)}, one of {changed} change{'s' if changed > 1 else ''} to it during the call."
            )
    else:
        bullets.append(f"- The function must return {_span(output)}.")
    for node in program.loops_of(entry):
        hits = lines.get(str(node.lineno), {}).get("hits", 0)
        bullets.append(
            f"- The loop header {_span(_header(program, node))} runs {hits} time{'s' if hits != 1 else ''} here."
        )
    for node in (n for n in ast.walk(entry) if isinstance(n, ast.If)):
        branches = lines.get(str(node.lineno), {}).get("branches") or {}
        if branches:
            yes, no = branches.get("True", 0), branches.get("False", 0)
            bullets.append(
                f"- The condition {_span(program.segment(node.test))} has to be true {yes} and false {no} time(s)."
            )
    given = ((record.get("records") or [{}])[0].get("args")) or {}
    if given:
        values = ", ".join(f"`{k} = {v}`" if "`" not in v else f"`{k}`" for k, v in given.items())
        bullets.append(
            f"- Going back to the parameters: {values} make every step above happen, and so give {_span(output)}."
        )
    return (
        f"{_head(program, trace, output)}\n### Reverse Deduction\n" + "\n".join(bullets) + "\n### Conclusion\n"
        f"One input that leads to {_span(output)} is {_span(f'{ENTRY}({args})')}.\n{_answer(args, output)}"
    )


def _header(program: _Program, node: ast.stmt) -> str:
    return program.lines[node.lineno - 1].strip().rstrip(":")


def refine_response(
    code: str,
    args: str,
    expected: str,
    actual: str,
    trace: dict,
    file: str,
    bug_line: int,
    fixed_code: str,
    *,
    max_states: int = MAX_STATES,
) -> str:
    """A PyX-R rationale: the buggy run simulated, the root cause at ``bug_line``, then ``fixed_code``."""
    if "```" in fixed_code:
        raise ValueError("the fixed code contains a code fence: its block could not be read back")
    buggy = code.split("\n")
    if not 1 <= bug_line <= len(buggy) or not buggy[bug_line - 1].strip():
        raise ValueError(f"line {bug_line} is not a line of code of the buggy program")
    body = simulation(code, args, trace, file, labels=False, max_states=max_states)
    wrong = buggy[bug_line - 1].strip()
    fixed = _fixed_lines(buggy, fixed_code.split("\n"), bug_line - 1)
    outcome = f"raises {_span(actual)}" if trace.get("status") != "ok" else f"returns {_span(actual)}"
    cause = (
        f"The test calls {_span(f'{ENTRY}({args})')} and expects {_span(expected)}, but the buggy code {outcome}. "
        f"The bug is on line {bug_line}: {_span(wrong)}."
    )
    states = (trace["lines"].get(file, {}).get(str(bug_line)) or {}).get("states") or []
    if states:
        last = ", ".join(f"`{var}` = {_span(value)}" for var, value in states[-1].items())
        cause += f" Its last execution left {last}."
    if fixed:
        fix = (
            f"Line {bug_line}, {_span(wrong)}, becomes " + ", ".join(_span(x.strip()) for x in fixed if x.strip()) + "."
        )
    else:
        fix = f"Line {bug_line}, {_span(wrong)}, is removed."
    return (
        f"### Execution Simulation\n{body}\n### Root Cause Analysis\n{cause}\n### Bug Fixing\n{fix} "
        f"The refined code:\n[Refined]\n```python\n{fixed_code.rstrip(chr(10))}\n```\n[/Refined]"
    )


def _fixed_lines(buggy: list[str], fixed: list[str], index: int) -> list[str]:
    """The fixed program's lines that replace buggy line ``index`` (0-based); ValueError if unchanged."""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, buggy, fixed, autojunk=False).get_opcodes():
        if tag != "equal" and (i1 <= index < i2 or (i1 == i2 == index)):
            return fixed[j1:j2]
    raise ValueError(f"the fixed code does not change line {index + 1} of the buggy code")
