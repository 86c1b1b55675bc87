"""Decontamination against the real HumanEval and CRUXEval data: planted copies found, clean code left alone."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from semcoder_training.decontaminate import (
    Decontaminator,
    Match,
    Reference,
    load_references,
    ngrams,
    report,
    tokens,
)


@pytest.fixture(scope="module")
def references() -> list[Reference]:
    return load_references()


@pytest.fixture(scope="module")
def dec(references: list[Reference]) -> Decontaminator:
    return Decontaminator(references)


@pytest.fixture(scope="module")
def by_id(references: list[Reference]) -> dict[str, Reference]:
    return {r.id: r for r in references}


def _rename(code: str) -> str:
    """Every name the program binds (functions, parameters, locals; not imports) gets a new one."""
    tree = ast.parse(code)
    imported = {a.asname or a.name.split(".")[0] for a in ast.walk(tree) if isinstance(a, ast.alias)}
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    bound -= imported
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in bound:
            node.id = "my_" + node.id
        elif isinstance(node, ast.arg) and node.arg in bound:
            node.arg = "my_" + node.arg
        elif isinstance(node, ast.FunctionDef):
            node.name = "my_" + node.name
        elif isinstance(node, ast.Global):
            node.names = ["my_" + n if n in bound else n for n in node.names]
    return ast.unparse(tree)


def test_loads_both_benchmarks(references: list[Reference], by_id: dict[str, Reference]) -> None:
    counts = {b: sum(1 for r in references if r.benchmark == b) for b in ("humaneval", "cruxeval")}
    assert counts == {"humaneval": 164, "cruxeval": 800}
    assert by_id["sample_1"].code.startswith("def f(a, b, c):\n    result = {}\n")
    assert by_id["HumanEval/0"].code.endswith("                    return True\n\n    return False\n")


def test_tokens_drop_comments_layout_and_docstrings_and_normalise_quotes() -> None:
    code = 'def f(x):\n    """Doc."""\n    # why\n    return x + "a"  # trailing\n'
    assert tokens(code) == ["def", "f", "(", "x", ")", ":", "return", "x", "+", "'a'"]
    assert tokens("s.split(',')") == tokens('s.split(",")')
    assert tokens("s.split(',')") != tokens("s.split(' ')")


def test_cruxeval_verbatim_is_an_ngram_match(dec: Decontaminator, by_id: dict[str, Reference]) -> None:
    code = "import sys\n\n" + by_id["sample_0"].code + "\n\nprint(f([1, 1, 3]))\n"
    match = dec.check(code)
    assert match == Match("cruxeval", "sample_0", "ngram", "31 of 31 10-grams shared")
    assert match.reason == "ngram: 31 of 31 10-grams shared with CRUXEval sample_0"


def test_cruxeval_renamed_is_an_ast_match(dec: Decontaminator) -> None:
    # sample_2 with the function and every variable renamed: no 10-gram survives, the AST does.
    code = (
        "def strip_plus(s):\n"
        "    chars = list(s)\n"
        "    for c in '+':\n"
        "        if c in chars:\n"
        "            chars.remove(c)\n"
        "    return ''.join(chars)\n"
    )
    match = dec.check(code)
    assert match == Match("cruxeval", "sample_2", "ast", "same normalised function (strip_plus, 37 AST nodes)")
    assert match.reason == "ast: same normalised function (strip_plus, 37 AST nodes) as CRUXEval sample_2"


def test_cruxeval_reformatted_is_an_ngram_match(dec: Decontaminator) -> None:
    # sample_2 as black would write it, with comments and a blank line: same tokens once normalised.
    code = (
        "def f(text):\n"
        "    # copy the characters\n"
        "    new_text = list(\n"
        "        text,\n"
        "    )\n\n"
        '    for i in "+":\n'
        "        if i in new_text:\n"
        "            new_text.remove(i)  # drop it\n"
        '    return "".join(new_text)\n'
    )
    assert dec.check(code) == Match("cruxeval", "sample_2", "ngram", "17 of 26 10-grams shared")


def test_every_cruxeval_sample_is_found_verbatim_reformatted_and_renamed(
    dec: Decontaminator, references: list[Reference]
) -> None:
    missed: dict[str, list[str]] = {"verbatim": [], "reformatted": [], "renamed": []}
    for ref in (r for r in references if r.benchmark == "cruxeval"):
        for how, code in (
            ("verbatim", ref.code),
            ("reformatted", ast.unparse(ast.parse(ref.code))),
            ("renamed", _rename(ref.code)),
        ):
            match = dec.check(code)
            if match is None or match.benchmark != "cruxeval":
                missed[how].append(ref.id)
    # Renamed one-liners under min_ast_nodes (e.g. ``return text.isascii()``) are left alone on purpose.
    assert missed == {
        "verbatim": [],
        "reformatted": [],
        "renamed": ["sample_17", "sample_92", "sample_94", "sample_296", "sample_302", "sample_348", "sample_482"]
        + ["sample_518", "sample_594", "sample_597", "sample_605", "sample_619", "sample_711"],
    }


def test_humaneval_solutions_are_found(dec: Decontaminator, references: list[Reference]) -> None:
    found, missed = {"ngram": 0, "ast": 0}, []
    for ref in (r for r in references if r.benchmark == "humaneval"):
        match = dec.check(ref.code)
        assert match is not None and (match.benchmark, match.id, match.method) == ("humaneval", ref.id, "ngram")
        renamed = dec.check(_rename(ref.code))
        if renamed is not None and renamed.id == ref.id:
            found[renamed.method] += 1
        else:
            missed.append(ref.id)
    assert found == {"ngram": 5, "ast": 154}
    # One-liners under min_ast_nodes: ``return number % 1.0``, ``return len(string)``, ``return x + y``...
    assert missed == ["HumanEval/2", "HumanEval/23", "HumanEval/27", "HumanEval/41", "HumanEval/53"]


def test_humaneval_with_another_docstring_or_renamed(dec: Decontaminator, by_id: dict[str, Reference]) -> None:
    tree = ast.parse(by_id["HumanEval/0"].code)
    func = tree.body[1]
    assert isinstance(func, ast.FunctionDef)
    func.body[0] = ast.Expr(ast.Constant("Are two of the numbers nearer than threshold?"))
    redoc = ast.unparse(tree)
    assert dec.check(redoc) == Match("humaneval", "HumanEval/0", "ngram", "54 of 54 10-grams shared")
    match = dec.check(_rename(redoc))
    assert match == Match(
        "humaneval", "HumanEval/0", "ast", "same normalised function (my_has_close_elements, 58 AST nodes)"
    )


def test_a_helper_called_under_its_new_name_still_matches(dec: Decontaminator, by_id: dict[str, Reference]) -> None:
    # HumanEval/10's make_palindrome calls is_palindrome: both renamed, the call follows the helper.
    match = dec.check(_rename(by_id["HumanEval/10"].code))
    assert match is not None and (match.id, match.method) == ("HumanEval/10", "ast")


MBPP_ROWS = [
    {
        "task_id": 11,
        "text": "Write a python function to remove first and last occurrence of a given character from the string.",
        "code": "def remove_Occ(s,ch): \r\n    for i in range(len(s)): \r\n        if (s[i] == ch): \r\n"
        "            s = s[0 : i] + s[i + 1:] \r\n            break\r\n    for i in range(len(s) - 1,-1,-1):  \r\n"
        "        if (s[i] == ch): \r\n            s = s[0 : i] + s[i + 1:] \r\n            break\r\n    return s ",
        "test_list": ['assert remove_Occ("hello","l") == "heo"'],
    },
    {
        "task_id": 12,
        "text": "Write a function to sort a given matrix in ascending order according to the sum of its rows.",
        "code": "def sort_matrix(M):\r\n    result = sorted(M, key=sum)\r\n    return result",
        "test_list": ["assert sort_matrix([[1, 2, 3], [2, 4, 5], [1, 1, 1]])==[[1, 1, 1], [1, 2, 3], [2, 4, 5]]"],
    },
]


def test_a_user_jsonl_file_is_a_reference(tmp_path: Path) -> None:
    path = tmp_path / "mbpp.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in MBPP_ROWS), encoding="utf-8")
    refs = load_references(names=("mbpp",), files=[str(path)])
    assert [(r.benchmark, r.id) for r in refs] == [("mbpp", "11"), ("mbpp", "12")]
    assert refs[1].code == "def sort_matrix(M):\n    result = sorted(M, key=sum)\n    return result"
    dec = Decontaminator(refs)
    match = dec.check(_rename(MBPP_ROWS[0]["code"]))
    assert match is not None and match.reason == (
        "ast: same normalised function (my_remove_Occ, 108 AST nodes) as MBPP 11"
    )
    assert dec.check(MBPP_ROWS[0]["code"]) == Match("mbpp", "11", "ngram", "65 of 65 10-grams shared")
    # A name given to the file, and HumanEval-style rows (prompt + canonical_solution), ids by line number.
    other = tmp_path / "extra.jsonl"
    other.write_text(json.dumps({"prompt": "def g(x):\n", "canonical_solution": "    return x * 2\n"}) + "\n")
    refs = load_references(names=("humaneval", "mine"), files=[f"mine={other}"])
    assert refs[-1] == Reference("mine", "1", "def g(x):\n    return x * 2\n")
    assert sum(1 for r in refs if r.benchmark == "humaneval") == 164


def test_mbpp_without_a_file_says_to_pass_it() -> None:
    with pytest.raises(ValueError, match=r"pass the MBPP JSONL file path .*mbpp\.jsonl.*google-research"):
        load_references(names=("humaneval", "mbpp"))
    with pytest.raises(ValueError, match="unknown benchmark 'apps'"):
        load_references(names=("apps",))


CLEAN = [
    "def mean(values):\n    total = 0.0\n    for v in values:\n        total += v\n    return total / len(values)\n",
    "def parse_header(line):\n    key, _, value = line.partition(':')\n    return key.strip().lower(), value.strip()\n",
    "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n"
    "        self.items.append(item)\n\n    def pop(self):\n        return self.items.pop()\n",
    "def chunks(seq, size):\n    for start in range(0, len(seq), size):\n        yield seq[start:start + size]\n",
    "def merge_counts(a, b):\n    out = dict(a)\n    for key, n in b.items():\n        out[key] = out.get(key, 0) + n\n"
    "    return out\n",
    "def f(s):\n    words = s.split()\n    return ' '.join(w.capitalize() for w in words if len(w) > 3)\n",
]


def test_clean_programs_are_not_flagged(dec: Decontaminator) -> None:
    assert [dec.check(code) for code in CLEAN] == [None] * len(CLEAN)


def test_stdlib_functions_are_not_flagged(dec: Decontaminator) -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    checked, flagged = 0, []
    for name in (
        "textwrap.py",
        "shlex.py",
        "fnmatch.py",
        "posixpath.py",
        "calendar.py",
        "heapq.py",
        "json",
        "string.py",
        "base64.py",
        "difflib.py",
    ):
        paths = sorted((root / name).glob("*.py")) if (root / name).is_dir() else [root / name]
        for path in paths:
            source = path.read_text(encoding="utf-8")
            for node in ast.parse(source).body:
                if isinstance(node, ast.FunctionDef) and 5 <= node.end_lineno - node.lineno + 1 <= 40:
                    checked += 1
                    match = dec.check(ast.get_source_segment(source, node) or "")
                    if match is not None:
                        flagged.append(f"{path.name}:{node.name}: {match.reason}")
    assert checked >= 70
    assert flagged == []


def test_report_counts_per_benchmark_and_method(dec: Decontaminator, by_id: dict[str, Reference]) -> None:
    programs = {f"p{i}": by_id[f"sample_{i}"].code for i in range(7)}
    programs["renamed"] = _rename(by_id["sample_0"].code)
    programs["he"] = by_id["HumanEval/3"].code
    programs["clean"] = CLEAN[0]
    matches = [(pid, m) for pid, code in programs.items() if (m := dec.check(code)) is not None]
    summary = report(matches)
    assert json.loads(json.dumps(summary)) == summary
    assert summary["flagged"] == 9
    crux = summary["by_benchmark"]["cruxeval"]
    assert (crux["total"], crux["by_method"]) == (8, {"ngram": 7, "ast": 1})
    assert [e["program"] for e in crux["examples"]] == ["p0", "p1", "p2", "p3", "p4"]
    assert crux["examples"][0] == {
        "program": "p0",
        "reference": "sample_0",
        "reason": "ngram: 31 of 31 10-grams shared with CRUXEval sample_0",
    }
    he = summary["by_benchmark"]["humaneval"]
    assert (he["total"], he["by_method"], he["examples"][0]["reference"]) == (1, {"ngram": 1}, "HumanEval/3")
    assert report([]) == {"flagged": 0, "by_benchmark": {}}


def test_ngrams_are_stable_across_processes() -> None:
    # An index built in one worker answers queries from another: no per-process hash seed in the n-grams.
    code = "def f(a, b):\n    return [x + a for x in b if x]\n"
    script = f"from semcoder_training.decontaminate import ngrams; print(sorted(ngrams({code!r}, 10)))"
    seeds = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        seeds.append(out.stdout)
    assert seeds[0] == seeds[1] == f"{sorted(ngrams(code, 10))}\n"
