"""Predicted program states read out of a forward monologue's Execution Simulation.

SemCoder's forward monologue (semcoder-model.md, "What comes back") walks the executed statements in
prose: it cites the prompt's line labels (``[L7]:``, ``**[L7]:**``, ``Line [L7]``), unrolls loops
("First Iteration (i = 0)") and states the values that variables take in inline code
(`` `result` becomes `["a", "b"]` ``, `` `count = 1` ``, "`i` is incremented to `2`"). This module
turns that prose into ``(step, line, variable, value)`` records, the shape a trace has, so that a
prediction can be shown and compared like an observed run.

The extraction is heuristic and tuned for precision: a wrong state shown in the editor as
``≈ x = 3`` misleads more than a missing one. Only values that parse as Python literals are kept
(their canonical ``repr``; a truncated ``[1, 2, ...]`` is not a value). With the program at hand
(``code``), a state must name a variable of the traced frames (assigned, mutated or a parameter; not
a comprehension's variable) and its line must be one that binds or mutates that variable: the cited
label when it is such a line, else a line inferred from the code. ``extract_states`` documents the
rules; ``benchmarks/monologue_states.py`` measures them against real traces of the recorded CRUXEval
generations (``benchmarks/README.md``).
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ..pysource import parse_module
from ..tracer.schema import LineEntry
from .answers import extract_answer
from .formats import FIRST_LABEL, label_to_line


@dataclass(frozen=True)
class PredictedState:
    step: int  # order of the statement in the simulation (0-based, increasing)
    line: Optional[int]  # 1-based line of the code in the prompt (from the cited label), None if unknown
    variable: str
    value: str  # canonical Python repr when the text parses as a literal, else the text as written
    raw: str  # the value text as the model wrote it


# --------------------------------------------------------------------------------------------------
# values


class _NotLiteral(Exception):
    pass


def _literal(text: str):
    """``ast.literal_eval`` of ``text``; raises _NotLiteral. Ellipsis (a truncated ``[1, 2, ...]``) is
    not a value."""
    text = text.strip()
    if not text or len(text) > 100_000:
        raise _NotLiteral(text)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise _NotLiteral(text) from exc
    if _has_ellipsis(value):
        raise _NotLiteral(text)
    return value


def _has_ellipsis(value) -> bool:
    if value is Ellipsis:
        return True
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_has_ellipsis(v) for v in value)
    if isinstance(value, dict):
        return any(_has_ellipsis(k) or _has_ellipsis(v) for k, v in value.items())
    return False


def canonical_value(text: str) -> str:
    """``repr(ast.literal_eval(text))`` when ``text`` is a literal, else ``text`` stripped.

    A dict literal with repeated keys collapses the way Python evaluates it
    (``{"1": "a", 1: "a", 1: "b", "1": "b"}`` → ``{'1': 'b', 1: 'b'}``): the value a variable holds
    after executing that literal, which is what a trace shows."""
    try:
        return repr(_literal(text))
    except _NotLiteral:
        return text.strip()


# --------------------------------------------------------------------------------------------------
# the simulation section

_SIM_HEADING = re.compile(r"^[ \t]*(?:#+[ \t]*|\*\*)?[ \t]*(?:Step-by-step )?Execution Simulation\b.*$", re.M | re.I)
_SECTION_END = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+\S|\[/MONOLOGUE\]|\[ANSWER\]|\[/THOUGHT\])", re.M)
_TEXT_END = re.compile(r"\[/MONOLOGUE\]|\[ANSWER\]|\[/THOUGHT\]")


def simulation_section(completion: str) -> str:
    """The body of the ``### Execution Simulation`` section, up to the next heading (``### Conclusion``)
    or ``[/MONOLOGUE]``/``[ANSWER]``. Without such a heading (CRUXEval's ``[THOUGHT]`` style, other
    models) the whole text up to ``[/MONOLOGUE]``, ``[/THOUGHT]`` or ``[ANSWER]``."""
    heading = _SIM_HEADING.search(completion)
    if heading is None:
        end = _TEXT_END.search(completion)
        return completion[: end.start()] if end else completion
    body = completion[heading.end() :]
    end = _SECTION_END.search(body)
    return body[: end.start()] if end else body


# --------------------------------------------------------------------------------------------------
# what the code tells us

_MUTATORS = frozenset(
    "append extend insert remove pop clear sort reverse update setdefault popitem add discard "
    "difference_update intersection_update symmetric_difference_update appendleft extendleft "
    "popleft rotate".split()
)
_SCOPES = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Lambda)
_NO_VALUE = object()


class _Site:
    """What one line does to one variable: the literal it assigns (or _NO_VALUE) and whether it is
    an augmented assignment (``x += 1``, ``x[k] += 1``), a loop target or a parameter."""

    __slots__ = ("literal", "aug", "loop", "param")

    def __init__(self, literal=_NO_VALUE, aug: bool = False, loop: bool = False, param: bool = False):
        self.literal = literal
        self.aug = aug
        self.loop = loop  # the target of a ``for``
        self.param = param

    def merge(self, other: _Site) -> None:
        if (
            self.literal is _NO_VALUE
            or other.literal is _NO_VALUE
            or not _equal(self.literal.value, other.literal.value)
        ):
            self.literal = _NO_VALUE
        self.aug = self.aug or other.aug
        self.loop = self.loop or other.loop
        self.param = self.param or other.param

    def allows(self, value) -> bool:
        """A line that assigns a literal can only produce that literal."""
        return self.literal is _NO_VALUE or _equal(self.literal.value, value)


class _Code:
    """Where each variable of ``code`` is bound or mutated, line by line, and where the loops are."""

    def __init__(self, code: str):
        self.lines = code.split("\n")
        self.n = len(self.lines)
        self.sites: dict[str, dict[int, _Site]] = {}
        self.loops: list[tuple[int, int]] = []
        self.scoped: set[str] = set()  # names bound inside comprehensions and lambdas
        self.params: dict[str, int] = {}  # parameter -> its def line
        self.first_def: Optional[tuple[int, list[str]]] = None  # (line, parameters) of the first function
        self.first_name: Optional[str] = None
        self.entry: dict[str, object] = {}  # parameter -> its value on entry, when the prose quotes the call
        self.quotes: dict[str, list[int]] = {}  # a code line as the model may quote it -> its lines
        for number, text in enumerate(self.lines, 1):
            for form in _quote_forms(text):
                self.quotes.setdefault(form, []).append(number)
        self.parsed = False
        try:
            tree = parse_module(code)
        except SyntaxError:
            return
        self.parsed = True
        self._visit(tree)

    # -- collection
    def _add(self, name: str, line: int, literal=_NO_VALUE, **kind: bool) -> None:
        sites = self.sites.setdefault(name, {})
        site = _Site(literal, **kind)
        if line in sites:
            sites[line].merge(site)
        else:
            sites[line] = site

    def _target(
        self, target: ast.AST, line: int, value: ast.AST | None = None, aug: bool = False, loop: bool = False
    ) -> None:
        if isinstance(target, ast.Name):
            self._add(target.id, line, _const(value), aug=aug, loop=loop)
        elif isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) else None
            if values is not None and (
                len(values) != len(target.elts) or any(isinstance(v, ast.Starred) for v in values)
            ):
                values = None
            for i, element in enumerate(target.elts):
                self._target(element, line, values[i] if values is not None else None, loop=loop)
        elif isinstance(target, ast.Starred):
            self._target(target.value, line)
        elif isinstance(target, (ast.Subscript, ast.Attribute)):
            root = _root_name(target)
            if root:
                self._add(root, line, aug=aug)

    def _scoped_names(self, node: ast.AST) -> None:
        for child in ast.walk(node):
            if isinstance(child, ast.comprehension):
                self.scoped.update(n.id for n in ast.walk(child.target) if isinstance(n, ast.Name))
            elif isinstance(child, ast.Lambda):
                self.scoped.update(a.arg for a in ast.walk(child.args) if isinstance(a, ast.arg))
            elif isinstance(child, ast.NamedExpr):
                pass

    def _visit(self, node: ast.AST, stmt_line: int = 0) -> None:
        if isinstance(node, _SCOPES):
            # Their variables live in their own frame: a trace of the function does not show them.
            self._scoped_names(node)
            return
        if isinstance(node, ast.stmt):
            stmt_line = node.lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg) if a]
            if self.first_def is None:
                self.first_def = (node.lineno, names)
                self.first_name = node.name
                self.first_positional = [a.arg for a in (*args.posonlyargs, *args.args)]
            for name in names:
                self.params.setdefault(name, node.lineno)
                self._add(name, node.lineno, param=True)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                self._target(target, node.lineno, node.value)
        elif isinstance(node, ast.AugAssign):
            self._target(node.target, node.lineno, aug=True)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self._target(node.target, node.lineno, node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._target(node.target, node.lineno, loop=True)
            self.loops.append((node.lineno, _end(node)))
        elif isinstance(node, ast.While):
            self.loops.append((node.lineno, _end(node)))
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self._target(target, node.lineno)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._target(item.optional_vars, node.lineno)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self._add(node.name, node.lineno)
        elif isinstance(node, ast.NamedExpr):
            self._target(node.target, stmt_line or node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS:
                root = _root_name(func.value)
                if root:
                    self._add(root, stmt_line or node.lineno)
        for child in ast.iter_child_nodes(node):
            self._visit(child, stmt_line)

    # -- queries
    def label_line(self, label: int) -> Optional[int]:
        line = label_to_line(label)
        if 1 <= line <= self.n and self.lines[line - 1].strip():
            return line
        return None

    def quoted_line(self, span: str) -> Optional[int]:
        """The line a code span quotes verbatim (``count = len(names)``, ``if k in res:``), if exactly one."""
        lines = self.quotes.get(_normal(span))
        return lines[0] if lines and len(lines) == 1 else None

    def known(self, var: str) -> bool:
        """A variable of the traced frames: bound by the code, and not also a comprehension's variable
        (the prose cannot tell the two apart, and a trace of the function shows only one)."""
        return var in self.sites and var not in self.scoped

    def binds_at(self, var: str, line: Optional[int]) -> bool:
        return line is not None and line in self.sites.get(var, {})

    def loop_header(self, line: int) -> Optional[int]:
        """The header of the innermost loop whose body holds ``line``."""
        inside = [(start, end) for start, end in self.loops if start <= line <= end]
        return max(inside)[0] if inside else None

    def read_call(self, spans: Iterable[str]) -> None:
        """The values of the parameters on entry, from the first quoted call of the first function
        (``operation_to_perform("abc", 2)`` in "Let's simulate the execution of ...")."""
        if self.first_name is None:
            return
        for span in spans:
            try:
                call = ast.parse(span.strip(), mode="eval").body
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                continue
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == self.first_name):
                continue
            entry: dict[str, object] = {}
            for name, arg in zip(self.first_positional, call.args):
                if isinstance(arg, ast.Starred):
                    break
                literal = _const(arg)
                if literal is not _NO_VALUE:
                    entry[name] = literal.value
            for keyword in call.keywords:
                literal = _const(keyword.value)
                if keyword.arg in self.params and literal is not _NO_VALUE:
                    entry[keyword.arg] = literal.value
            self.entry = entry
            return

    def in_loop(self, line: int) -> bool:
        return self.loop_header(line) is not None

    def resolve(
        self,
        var: str,
        value,
        kind: str,
        context: Optional[int],
        position: int,
        aug: bool,
        spans: list[str],
    ) -> tuple[bool, Optional[int]]:
        """(keep, line) for a state ``var = value`` of ``kind`` (see ``_Found``) stated under the cited
        line ``context`` after the simulation reached ``position``; ``aug``: the prose speaks of an
        increment; ``spans``: the code quoted in the same line of prose."""
        sites = self.sites.get(var)
        if not sites:
            return False, None
        if context in sites and sites[context].allows(value) and (kind != "header" or sites[context].loop):
            return True, context
        candidates = sorted(line for line, site in sites.items() if site.allows(value))
        if kind == "header":
            # "First Iteration (i = 0)" names the loop's variable; anything else is a description.
            candidates = [line for line in candidates if sites[line].loop]
        elif kind == "assign" and len(candidates) > 1:
            # "`text` is initialized to ...": a statement of the body, not the parameter.
            candidates = [line for line in candidates if not sites[line].param] or candidates
        if not candidates:
            return False, None
        if len(candidates) > 1:
            exact = [line for line in candidates if sites[line].literal is not _NO_VALUE]
            if len(exact) == 1:
                return True, exact[0]
            # "incremented" points at ``x += 1``; anything else at the other kinds of binding.
            same = [line for line in candidates if sites[line].aug == aug]
            candidates = same or candidates
        if len(candidates) > 1 and spans:
            quoted = self._closest_quote(candidates, spans)
            if quoted is not None:
                return True, quoted
        if len(candidates) == 1:
            return True, candidates[0]
        later = [line for line in candidates if line >= position]
        if later:
            return True, later[0]
        header = self.loop_header(position)
        if header is not None:
            again = [line for line in candidates if line >= header]
            if again:
                return True, again[0]
        return True, None

    def _closest_quote(self, candidates: list[int], spans: list[str]) -> Optional[int]:
        """The candidate line the quoted code resembles clearly best (the model quotes statements with
        values put in: ``out += ",".upper()`` for ``out += text[i].upper()``)."""
        scores = []
        for line in candidates:
            code = _normal(self.lines[line - 1])
            best = max(difflib.SequenceMatcher(None, _normal(span), code).ratio() for span in spans)
            scores.append((best, line))
        scores.sort(reverse=True)
        if scores[0][0] >= 0.6 and scores[0][0] - scores[1][0] >= 0.1:
            return scores[0][1]
        return None


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("'", '"')).strip().rstrip(":").strip()


def _quote_forms(line: str) -> list[str]:
    """How a code line may be quoted: whole, and for ``if``/``elif``/``while`` also the bare condition."""
    text = line.split(" #", 1)[0] if "#" in line else line
    text = _normal(text)
    if not text or text in ("else", "try", "finally", "pass", "return"):
        return []
    forms = [text]
    match = re.match(r"(?:if|elif|while)\s+(.+)$", text)
    if match:
        forms.append(match.group(1).strip())
    return forms


def _const(node: ast.AST | None):
    if node is None:
        return _NO_VALUE
    try:
        value = ast.literal_eval(node)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NO_VALUE
    return _Literal(value)


class _Literal:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _equal(a, b) -> bool:
    try:
        return type(a) is type(b) and a == b
    except Exception:  # noqa: BLE001 - comparing odd literals must not raise
        return False


def _root_name(node: ast.AST) -> Optional[str]:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _end(node: ast.AST) -> int:
    end = getattr(node, "end_lineno", None) or getattr(node, "lineno", None)
    return end if isinstance(end, int) else 0


# --------------------------------------------------------------------------------------------------
# the prose

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
# A label: [L7], or "Line 7" / "line 7" where the model drops the brackets.
_LABEL = re.compile(r"\[L(\d+)\]|\b[Ll]ine (\d+)\b")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
# `name` <verb> `value`  /  `name` <verb> value
_VAR_THEN_VALUE = re.compile(
    r"`(" + _IDENT + r")`(?P<mid>[^`\n]{0,60}?)(?:`(?P<val>[^`\n]+)`|(?P<plain>(?<=[\s:=])[\"'\[({0-9TFN+\-][^\n]*))"
)
_BACKTICKED_NAME = re.compile(r"`" + _IDENT + r"`")
# CRUXEval-style prose without inline code: "starting is set to 0", "s is initially "hi""
_BARE_NAME = re.compile(r"(?<![`\w.\[\"'])" + _IDENT + r"(?![`\w(\[.\"'])")
_BARE_THEN_VALUE = re.compile(
    r"(" + _IDENT + r")(?P<mid>\s[^`\n]{0,40}?)(?:`(?P<val>[^`\n]+)`|(?P<plain>(?<=[\s:=])[\"'\[({0-9TFN+\-][^\n]*))"
)
_BARE_OBSERVE = re.compile(r"^\s+(?:is|are)\s+(?:initially|now)\s*$", re.I)
# <verb> `name` to `value` ("sets `i` to `1`", "modifies `ls` to `[...]`")
_VERB_VAR_TO_VALUE = re.compile(
    r"\b(?:sets?|resets?|updates?|modif(?:y|ies)|changes?|assigns?|initiali[sz]es?|increments?|decrements?)\s+"
    r"(?:the\s+(?:variable|list|string|dictionary|counter)\s+)?`(" + _IDENT + r")`\s+to\s+`([^`\n]+)`"
)
# "`count` is incremented by `1`, making it `1`"
_MAKING_IT = re.compile(
    r"`("
    + _IDENT
    + r")`[^`\n]{0,40}?\bby\s+`?[^`\n,]+`?,?\s+(?:making it|so it becomes|bringing it to|to make it)\s+`([^`\n]+)`"
)
# "First Iteration (i = 0)", "(item = 'nwv')"
_PAREN_ASSIGN = re.compile(r"\((" + _IDENT + r")\s*=\s*([^()\n]+|\([^()\n]*\))\)")
_ITERATION = re.compile(r"\biteration\b|\bloop (?:continues|starts|begins)\b|^\s*[-*]*\s*\**(?:for|next)\b", re.I)
_ASSIGN_SPLIT = re.compile(r"(?<![=!<>+\-*/%&|^@:])=(?!=)")

_NOUN = r"(?:\s+(?:list|string|dictionary|dict|set|tuple|counter|variable|index|value|array|number|integer|count))?"
_CHANGE = re.compile(
    r"^" + _NOUN + r",?\s*(?:(?:is|are|gets?|will be|has been)\s+)?(?:now\s+|then\s+|also\s+|again\s+|finally\s+)?"
    r"(?:becomes?|becoming|will become|"
    r"(?:updated|set|reset|changed|modified|initiali[sz]ed|incremented|decremented|reassigned|increased|decreased|"
    r"assigned|calculated|computed|defined|created|evaluated|extended|converted)"
    r"(?:\s+again)?(?:\s+(?:to|as))?(?:\s+the\s+value)?|now|now\s+contains|now\s+holds|now\s+has\s+the\s+value|"
    r"takes\s+the\s+value|is\s+now|=|:=)"
    r"(?:\s+(?:an?\s+)?(?:empty\s+)?(?:string|list|dictionary|dict|set|tuple|integer|number))?\s*:?\s*$",
    re.I,
)
_OBSERVE = re.compile(
    r"^" + _NOUN + r",?\s*(?:is|is also|will be|equals|has the value|holds|contains|as|:|,\s*which is)\s*:?\s*$", re.I
)
# "`head` is assigned the first character, which is `'m'`"
_DESCRIBED = re.compile(
    r"`(" + _IDENT + r")`\s+(?:(?:is|are|gets)\s+(?:now\s+|then\s+)?)?"
    r"(?:becomes|assigned|set to|initiali[sz]ed to|updated to|calculated as|computed as|reassigned to|changed to|"
    r"initiali[sz]ed with|defined as)\s+"
    r"(?:(?!\bby\b|\bwhich\b|\bresult)[^\n]){1,80}?,?\s+"
    r"(?:which is|which results in|resulting in|giving|that is)\s+`([^`\n]+)`"
)
# a one-parameter function's input, described rather than named
_INPUT = re.compile(
    r"\b(?:[Tt]he\s+)?(?:input|argument)(?:\s+(?:string|list|dictionary|array|number|value|tuple|integer|text|set))?"
    r"\s+(?:is|=|:)\s+`([^`\n]+)`"
    r"|\bcalled with (?:the |a |an )?(?:input |argument |single argument )?"
    r"(?:(?:string|list|dictionary|array|number|value|tuple|integer) )?`([^`\n]+)`"
)
_INPUT_VAR = "<input>"
_PLAIN_CUT = re.compile(
    r",|\.(?:\s|$)|;|\s(?:and|which|since|because|so|as|after|before|from|for|but|when|while|\()\s|\s\(|$"
)


_PREFIX_SKIP = re.compile(
    r"(?:\bof\s+(?:the\s+)?$)|\b(?:before|previous(?:ly)?|original(?:ly)?|old|was|were)\b",
    re.I,
)
_NOT_SUBJECT = re.compile(r"\b(?:of|in|into|from|than|on|at|to|with|by)\s+(?:the\s+)?$", re.I)
_INPUTS = re.compile(r"\b(?:call|called|calling|input|inputs|param|parameters?|arguments?|initial)\b", re.I)
_INCREMENT = re.compile(r"increment|decrement|increas|decreas|[-+*/]=", re.I)


@dataclass
class _Found:
    pos: int
    var: str
    raw: str
    # "assign": a verb of change ("becomes", "is set to"); "neutral": ``x = v`` in code; "header": an
    # iteration heading's "(i = 0)"; "observe": a mention of the value ("`x` is `3`"); "bare" and
    # "bare-observe": the same without backticks ("starting is set to 0"), taken only with the code.
    kind: str
    inputs: bool = False  # the sentence speaks of the call, its input, parameters or arguments


def _plain_value(text: str) -> Optional[str]:
    """The shortest prefix of ``text``, cut at a clause boundary, that is a literal (looked for in
    the first 40 boundaries of 2000 characters: long values are written in code spans)."""
    for tries, match in enumerate(_PLAIN_CUT.finditer(text[:2000])):
        if tries >= 40:
            break
        candidate = text[: match.start()].strip()
        if not candidate:
            continue
        try:
            _literal(candidate)
        except _NotLiteral:
            continue
        return candidate
    return None


def _inline_assignments(span: str) -> list[tuple[str, str]]:
    """``name = value`` (also ``name = 0 + 1 = 1``, ``a, b = 1, 2``) inside one code span."""
    parts = _ASSIGN_SPLIT.split(span)
    if len(parts) < 2:
        return []
    left, right = parts[0].strip(), parts[-1].strip()
    names = [n.strip() for n in left.split(",")]
    if not all(re.fullmatch(_IDENT, n) for n in names):
        return []
    if len(names) == 1:
        return [(names[0], right)]
    try:
        values = _literal(right)
    except _NotLiteral:
        return []
    if not isinstance(values, tuple) or len(values) != len(names):
        return []
    return [(n, repr(v)) for n, v in zip(names, values)]


def _statement_like(span: str) -> bool:
    """Quoted code that may be a statement of the program, rather than a value or a stated state."""
    if re.fullmatch(_IDENT, span.strip()):
        return False
    try:
        _literal(span)
        return False
    except _NotLiteral:
        pass
    for _, raw in _inline_assignments(span):
        try:
            _literal(raw)
            return False
        except _NotLiteral:
            pass
    return True


def _clause_before(text: str, pos: int) -> str:
    """The text of the sentence before ``pos`` (at most 200 characters of it)."""
    head = text[max(0, pos - 200) : pos]
    cut = max(head.rfind(". "), head.rfind("; "))
    return head[cut + 1 :] if cut >= 0 else head


def _find_states(text: str) -> list[_Found]:
    """Every variable-value phrase of one line of prose, in order of position."""
    found: list[_Found] = []
    taken = bytearray(len(text) + 1)  # characters already read as part of a phrase

    def add(start: int, end: int, var: str, raw: str, kind: str) -> None:
        if any(taken[start:end]):
            return
        taken[start:end] = b"\x01" * (end - start)
        clause = _clause_before(text, start)
        if _PREFIX_SKIP.search(clause):
            return  # "the length of `d` is 3", "Before the insertion: `nums = [...]`"
        found.append(_Found(start, var, raw, kind, bool(_INPUTS.search(clause))))

    for match in _MAKING_IT.finditer(text):
        add(match.start(), match.end(), match.group(1), match.group(2), "neutral")
    for match in _DESCRIBED.finditer(text):
        add(match.start(), match.end(), match.group(1), match.group(2), "assign")
    for match in _VERB_VAR_TO_VALUE.finditer(text):
        add(match.start(), match.end(), match.group(1), match.group(2), "assign")
    for match in _CODE_SPAN.finditer(text):
        for var, raw in _inline_assignments(match.group(1)):
            add(match.start(), match.end(), var, raw, "neutral")
    if _ITERATION.search(text):
        for match in _PAREN_ASSIGN.finditer(text):
            add(match.start(), match.end(), match.group(1), match.group(2), "header")
    for start in _BACKTICKED_NAME.finditer(text):
        matched = _VAR_THEN_VALUE.match(text, start.start())
        if matched is None or _NOT_SUBJECT.search(text, max(0, start.start() - 40), start.start()):
            continue  # "the count of dots in `name` is 1": the name is not what has the value
        match = matched
        mid = match.group("mid")
        if _CHANGE.match(mid):
            kind = "assign"
        elif _OBSERVE.match(mid):
            kind = "observe"
        else:
            continue
        plain = _plain_value(match.group("plain")) if match.group("val") is None else None
        if match.group("val") is not None:
            raw, end = match.group("val"), match.end()
        elif plain is not None:
            raw, end = plain, match.start("plain") + len(plain)
        else:
            continue
        add(match.start(), end, match.group(1), raw, kind)
    for start in _BARE_NAME.finditer(text):
        bare = _BARE_THEN_VALUE.match(text, start.start())
        if bare is None or _NOT_SUBJECT.search(text, max(0, start.start() - 40), start.start()):
            continue
        match = bare
        mid = match.group("mid")
        if _CHANGE.match(mid) and mid.strip() not in ("=", ":=", ":"):
            kind = "bare"
        elif _BARE_OBSERVE.match(mid):
            kind = "bare-observe"
        else:
            continue
        value = match.group("val") if match.group("val") is not None else _plain_value(match.group("plain"))
        if value is not None:
            raw = value
            end = match.end() if match.group("val") is not None else match.start("plain") + len(raw)
            add(match.start(), end, match.group(1), raw, kind)
    for match in _INPUT.finditer(text):
        add(match.start(), match.end(), _INPUT_VAR, match.group(1) or match.group(2), "observe")
    found.sort(key=lambda f: f.pos)
    return found


def extract_states(completion: str, code: str | None = None) -> list[PredictedState]:
    """The states a forward monologue predicts, in the order the simulation states them.

    ``completion`` is the model's text after ``[MONOLOGUE]\\n`` (a whole prompt + completion works
    too when it has one Execution Simulation section). ``code`` is the program of the prompt, without
    labels. Only values that parse as Python literals are kept.

    Without ``code``, a state stated with a verb of change (or as ``x = v`` in code) gets the line of
    the label cited for it, None if none; mere mentions ("`x` is `3`") are not taken.

    With ``code`` (precision first): states of names the program does not bind in the traced frames
    are dropped (comprehension variables too), labels beyond the code are ignored, and the line must
    be one that binds or mutates the variable: the cited one when it does, else the one inferred from
    the code (the only candidate, the one assigning that very literal, an ``x += ...`` line when the
    prose speaks of an increment, the line the quoted code resembles, the next one in execution
    order). A mention counts only at a cited line that binds the variable, or for a parameter before
    the simulation enters the body (then at the def line, unless the value differs from the one in
    the quoted call "Let's simulate the execution of `f(...)`"). A line outside loops runs once: only
    the first state of a variable there is kept. A value equal to the variable's previous one is no
    change, and left out as a trace would. Code that does not parse counts as absent.

    The line cited for a statement is a label (or a verbatim quote of a code line) in the same line
    of prose or in an enclosing bullet; deeper bullets do not carry theirs over to the next sibling."""
    info = _Code(code if code is not None else "")
    checked = code is not None and info.parsed
    section = simulation_section(completion)
    if checked:
        info.read_call(match.group(1) for match in _CODE_SPAN.finditer(section))
    states: list[PredictedState] = []
    cited: list[tuple[int, Optional[int]]] = []  # (indent, line) of the labels in force
    position = 0  # line of the last statement the simulation reached (label or resolved state)
    last: dict[str, tuple[Optional[int], str]] = {}  # variable -> (line, value) of its last state
    once: set[tuple[int, str]] = set()  # (line outside loops, variable) already stated
    step = -1
    for text in section.split("\n"):
        if not text.strip():
            continue
        indent = len(text) - len(text.lstrip())
        while cited and cited[-1][0] >= indent:
            cited.pop()
        if checked and _ITERATION.search(text):
            header = info.loop_header(position)
            if header is not None:
                position = header
        events: list[tuple[int, int, Any]] = []  # (position, 0: a cited line | 1: a state, payload)
        for match in _LABEL.finditer(text):
            label = int(match.group(1) or match.group(2))
            if checked:
                line = info.label_line(label)
            else:
                line = label_to_line(label) if label >= FIRST_LABEL else None
            events.append((match.start(), 0, line))
        spans = [span for span in (m.group(1) for m in _CODE_SPAN.finditer(text)) if _statement_like(span)]
        if checked:
            for match in _CODE_SPAN.finditer(text):
                line = info.quoted_line(match.group(1))
                if line is not None:
                    events.append((match.start(), 0, line))
        for found in _find_states(text):
            events.append((found.pos, 1, found))
        events.sort(key=lambda e: (e[0], e[1]))
        aug = bool(_INCREMENT.search(text))
        line_steps: dict[Optional[int], int] = {}
        for _, event, payload in events:
            if event == 0:
                cited.append((indent, payload))
                if payload is not None:
                    position = payload
                continue
            found = payload
            context = cited[-1][1] if cited else None
            try:
                value = _literal(found.raw)
            except _NotLiteral:
                continue
            var, kind = found.var, found.kind
            if kind.startswith("bare"):
                if not checked:
                    continue  # a bare word is a variable only when the code says so
                kind = "assign" if kind == "bare" else "observe"
            if checked:
                if var == _INPUT_VAR:
                    # "The input string is `...`": the parameter of a one-parameter function, on entry.
                    if info.first_def is None or len(info.first_def[1]) != 1 or position > info.first_def[0]:
                        continue
                    var, line = info.first_def[1][0], info.first_def[0]
                elif not info.known(var):
                    continue
                elif var in info.params and position <= info.params[var] and not info.binds_at(var, context):
                    # Before the simulation enters the body: the inputs, unless the value says otherwise.
                    entry = info.entry.get(var, _NO_VALUE)
                    if entry is not _NO_VALUE:
                        on_entry = _equal(entry, value)
                    else:
                        on_entry = kind != "assign" or found.inputs
                    if on_entry:
                        line = info.params[var]
                    else:
                        keep, line = info.resolve(var, value, "assign", context, position, aug, spans)
                        if not keep:
                            continue
                elif kind == "observe" and not info.binds_at(var, context):
                    continue
                else:
                    keep, line = info.resolve(var, value, kind, context, position, aug, spans)
                    if not keep:
                        continue
                if line is not None and not info.in_loop(line):
                    if (line, var) in once:
                        continue  # a line outside loops runs once: a second value there is a restatement
                    once.add((line, var))
            else:
                if kind == "observe" or var == _INPUT_VAR:
                    continue
                line = context
            if line is not None:
                position = line
            if var in last and last[var][1] == repr(value):
                continue  # the value it had: not a change, which a trace would not show either
            last[var] = (line, repr(value))
            if line not in line_steps:
                step += 1
                line_steps[line] = step
            states.append(PredictedState(line_steps[line], line, var, repr(value), found.raw.strip()))
    return states


def predicted_lines(states: Iterable[PredictedState], line_offset: int = 0) -> dict[int, LineEntry]:
    """``{line + line_offset: {"hits": n, "states": [{var: value}, ...]}}``: the shape of one file's
    ``lines`` in ``semcoder trace --json``, one ``states`` entry (and one hit) per simulation step that
    stated something at that line, in order. States without a line are left out."""
    lines: dict[int, LineEntry] = {}
    last_step: dict[int, int] = {}
    for state in states:
        if state.line is None:
            continue
        line = state.line + line_offset
        entry = lines.setdefault(line, {"hits": 0, "states": []})
        if last_step.get(line) != state.step:
            last_step[line] = state.step
            entry["hits"] += 1
            entry["states"].append({})
        entry["states"][-1][state.variable] = state.value
    return dict(sorted(lines.items()))


def predicted_return(completion: str) -> Optional[str]:
    """The canonical repr of the predicted output (``extract_answer(completion, "output")``) when it
    parses as a literal, else None."""
    for restore in (True, False):
        answer = extract_answer(completion, "output", restore=restore)
        if answer is None:
            return None
        try:
            return repr(_literal(answer))
        except _NotLiteral:
            continue
    return None
