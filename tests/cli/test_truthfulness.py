"""The CLI says what happened and exits as documented (README: 0 done, 1 the target could not run
as asked, 2 usage error), on real sandboxed runs of real files."""

import json
import re
from pathlib import Path

import pytest

from semcoder_core.cli import main
from tests.cli.test_cli import semcoder
from tests.conftest import EXAMPLE, available_pythons

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *args):
    """``semcoder ARGS`` in this process: (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def broken_project(tmp_path):
    """Test files pytest cannot collect: a syntax error, a missing module, an import that raises."""
    (tmp_path / "pyproject.toml").write_text("")
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_syntax.py").write_text("def test_a():\n    x = (1,\n    assert x\n")
    (tests / "test_import.py").write_text("import nosuchmodule_xyz\n\n\ndef test_b():\n    pass\n")
    (tests / "test_raise.py").write_text(
        'def helper():\n    raise ValueError("bad config value 7")\n\n\n'
        "CONFIG = helper()\n\n\ndef test_c():\n    pass\n"
    )
    return tmp_path


# -- unknown node ids ------------------------------------------------------------------------------


def test_unknown_node_id_exits_1_and_says_how_to_list_the_tests(capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLE)
    node = "tests/test_stats.py::test_nope"
    listing = "`pytest --collect-only -q tests/test_stats.py`"
    code, out, _ = run(capsys, "trace", node)
    assert code == 1
    assert out.startswith(f"✗ {node}  pytest found no test {node}: list the tests it finds with {listing}, run in ")
    code, out, _ = run(capsys, "debug", node, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["status"] == "error" and doc["tests"] == []
    assert doc["exception"]["message"].startswith(
        f"pytest found no test {node}: list the tests it finds with {listing}"
    )
    code, out, err = run(capsys, "explain", node, "--no-model")
    assert code == 1 and out == ""
    assert err.startswith(f"semcoder: pytest found no test {node}: list the tests it finds with {listing}")
    code, out, _ = run(capsys, "fix", node, "--no-model")
    assert code == 1 and out.startswith(
        f"✗ {node}: pytest found no test {node}: list the tests it finds with {listing}"
    )


def test_trace_of_a_file_without_tests_asks_for_call(capsys, monkeypatch):
    monkeypatch.chdir(EXAMPLE)
    code, out, _ = run(capsys, "trace", "inventory/stats.py")
    assert code == 1
    assert out.startswith(
        "✗ inventory/stats.py  pytest found no test in inventory/stats.py: to trace a call of its code, give the "
        'call with --call "EXPR", e.g. semcoder trace inventory/stats.py --call "mean(...)" '
        "(stats.py defines: mean, median, percentile, moving_average, busiest_period)"
    )


# -- the call expression ---------------------------------------------------------------------------

NAMES = """\
def median(values):
    return sorted(values)[len(values) // 2]


def uses_a_missing_name(x):
    y = x + 1
    return y + undefined_thing


class Basket:
    pass
"""


@pytest.mark.parametrize("python", sorted(available_pythons()))
def test_a_name_missing_at_the_call_site_exits_1_naming_it_and_the_module_functions(tmp_path, capsys, python):
    src = tmp_path / "names.py"
    src.write_text(NAMES)
    interpreter = available_pythons()[python]
    code, out, _ = run(capsys, "trace", src, "--call", "medain([3, 1, 2])", "--python", interpreter, "--json")
    doc = json.loads(out)
    assert code == 1 and doc["status"] == "error" and doc["lines"] == {}
    assert doc["exception"] == {
        "type": "NameError",
        "message": "the call uses the name 'medain', which names.py does not define (did you mean 'median'?); "
        "it defines: Basket, median, uses_a_missing_name",
        "file": None,
        "line": None,
    }
    # Inside the program's own code a NameError is what the call did: traced, exit 0.
    code, out, _ = run(capsys, "trace", src, "--call", "uses_a_missing_name(1)", "--python", interpreter, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "exception"
    assert doc["exception"]["type"] == "NameError" and doc["exception"]["line"] == 7
    assert doc["lines"][str(src.resolve())]["6"]["states"] == [{"y": "2"}]


def test_a_missing_name_in_text_output(tmp_path, capsys):
    src = tmp_path / "names.py"
    src.write_text(NAMES)
    code, out, _ = run(capsys, "trace", src, "--call", "nosuchfunc(1)")
    assert code == 1
    assert out.splitlines()[0] == (
        "✗ nosuchfunc(1)  NameError: the call uses the name 'nosuchfunc', which names.py does not define; "
        "it defines: Basket, median, uses_a_missing_name"
    )
    assert "Ran 0 functions" not in out  # nothing ran: no account of an empty run


def test_a_file_that_does_not_parse_shows_the_line(tmp_path, capsys):
    src = tmp_path / "bad.py"
    src.write_text("def ok():\n    return 1\n\n\ndef f(:\n    pass\n")
    code, out, _ = run(capsys, "trace", src, "--call", "f()")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("✗ f()  SyntaxError: ")
    assert lines[1] == "  SyntaxError at bad.py:5"
    assert lines[2] == "    def f(:"


# -- collection errors -----------------------------------------------------------------------------


def test_collection_errors_show_their_cause_and_line(broken_project, capsys, monkeypatch):
    monkeypatch.chdir(broken_project)
    code, out, _ = run(capsys, "trace", "tests/test_syntax.py")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == "✗ tests/test_syntax.py  SyntaxError: '(' was never closed"
    assert lines[1] == "  SyntaxError at tests/test_syntax.py:2"
    assert lines[2].strip() == "x = (1,"
    code, out, _ = run(capsys, "trace", "tests/test_raise.py::test_c")
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == "✗ tests/test_raise.py::test_c  ValueError: bad config value 7"
    assert lines[1:3] == ["  ValueError at tests/test_raise.py:2", '    raise ValueError("bad config value 7")']
    code, out, _ = run(capsys, "trace", "tests/test_raise.py::test_c", "--json")
    doc = json.loads(out)  # the whole report stays in --json
    assert code == 1 and doc["exception"]["type"] == "CollectionError"
    assert "tests/test_raise.py:5: in <module>" in doc["exception"]["message"]


def test_debug_of_a_folder_shows_every_collection_error(broken_project, capsys):
    code, out, _ = run(capsys, "debug", broken_project / "tests")
    assert code == 1
    assert "✗ tests: pytest could not collect 3 files" in out
    expected = [
        "✗ tests/test_import.py: ModuleNotFoundError: No module named 'nosuchmodule_xyz'",
        "  ModuleNotFoundError at tests/test_import.py:1",
        "    import nosuchmodule_xyz",
        "✗ tests/test_raise.py: ValueError: bad config value 7",
        "  ValueError at tests/test_raise.py:2",
        "✗ tests/test_syntax.py: SyntaxError: '(' was never closed",
        "  SyntaxError at tests/test_syntax.py:2",
    ]
    lines = out.splitlines()
    assert [line for line in lines if line in expected] == expected
    code, out, err = run(capsys, "explain", broken_project / "tests/test_syntax.py::test_a", "--no-model")
    assert code == 1
    assert "test_syntax.py::test_a could not run: SyntaxError: '(' was never closed (at tests/test_syntax.py:2)" in err


# -- generators and coroutines ---------------------------------------------------------------------

GENERATORS = """\
def squares(n):
    for i in range(n):
        yield i * i


def naturals():
    i = 0
    while True:
        yield i
        i += 1


def fails_at(n):
    for i in range(5):
        if i == n:
            raise ValueError(i)
        yield i


async def double(x):
    return x * 2


async def countdown(n):
    while n:
        yield n
        n -= 1
"""


@pytest.mark.parametrize("python", sorted(available_pythons()))
def test_a_returned_generator_is_consumed_under_the_trace(tmp_path, capsys, python):
    src = tmp_path / "gens.py"
    src.write_text(GENERATORS)
    file = str(src.resolve())
    interpreter = available_pythons()[python]

    def trace(call):
        code, out, _ = run(capsys, "trace", src, "--call", call, "--python", interpreter, "--json")
        return code, json.loads(out)

    code, doc = trace("squares(4)")
    assert code == 0 and doc["status"] == "ok"
    assert doc["return_repr"] == "<generator: [0, 1, 4, 9]>"
    assert doc["consumed"] == {"type": "generator", "items": 4, "complete": True}
    assert doc["lines"][file]["3"]["hits"] == 4 and doc["lines"][file]["2"]["hits"] == 5
    code, doc = trace("naturals()")  # endless: cut at 1000 items
    assert code == 0 and doc["consumed"] == {"type": "generator", "items": 1000, "complete": False}
    assert doc["return_repr"].startswith("<generator: [0, 1, 2, ")
    assert doc["return_repr"].endswith(", 998, 999] (the first 1000 items; it was not exhausted)>")
    assert doc["lines"][file]["10"]["hits"] == 1000
    code, doc = trace("fails_at(2)")  # raising while iterated: an ordinary traced exception
    assert code == 0 and doc["status"] == "exception" and doc["return_repr"] is None
    assert doc["exception"]["type"] == "ValueError" and doc["exception"]["line"] == 16
    assert doc["consumed"] == {"type": "generator", "items": 2, "complete": False}
    code, doc = trace("double(21)")
    assert code == 0 and doc["return_repr"] == "<coroutine: 42>"
    assert doc["consumed"] == {"type": "coroutine", "items": None, "complete": True}
    assert doc["lines"][file]["21"]["hits"] == 1
    code, doc = trace("countdown(3)")
    assert code == 0 and doc["return_repr"] == "<async generator: [3, 2, 1]>"
    assert doc["lines"][file]["27"]["states"] == [{"n": "2"}, {"n": "1"}, {"n": "0"}]


def test_a_consumed_generator_in_text_output(tmp_path, capsys):
    src = tmp_path / "gens.py"
    src.write_text(GENERATORS)
    code, out, _ = run(capsys, "trace", src, "--call", "squares(3)")
    assert code == 0
    assert "The call returned a generator: semcoder iterated it under the trace (all 3 items)." in out
    assert "returned <generator: [0, 1, 4]>" in out
    line = next(ln for ln in out.splitlines() if "for i in range(n):" in ln)
    assert line.rstrip().endswith("i = 0 → 1 → 2 (4×)")
    code, out, _ = run(capsys, "trace", src, "--call", "naturals()")
    assert "(stopped after 1000 items: there were more)" in out


# -- docstrings ------------------------------------------------------------------------------------

DOCSTRING = '''\
def camelize(string, uppercase_first_letter=True):
    """
    Convert strings to CamelCase.

    Examples::

        >>> camelize("device_type")
        'DeviceType'
    """
    words = string.split("_")
    return "".join(w.capitalize() for w in words)
'''


def test_debug_and_trace_fold_docstrings_to_their_first_line(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (tmp_path / "words.py").write_text(DOCSTRING)
    (tmp_path / "test_words.py").write_text(
        'from words import camelize\n\n\ndef test_camelize():\n    assert camelize("a_b") == "AB!"\n'
    )
    code, out, _ = run(capsys, "debug", tmp_path)
    assert code == 0
    listing = [ln for ln in out.splitlines() if re.match(r"^\s+\d+  ", ln)]
    numbers = [int(ln.split()[0]) for ln in listing]
    assert numbers[:4] == [1, 2, 10, 11]  # lines 3-9 of the docstring are folded into line 2
    assert re.fullmatch(
        r'    2      """Convert strings to CamelCase\. …"""\s+\(docstring, 8 lines folded\)', listing[1]
    )
    assert "Examples::" not in out and ">>> camelize" not in out
    assert "words = ['a', 'b']" in listing[2]
    code, out, _ = run(capsys, "trace", tmp_path / "words.py", "--call", 'camelize("x_y")')
    assert code == 0 and '"""Convert strings to CamelCase. …"""' in out and "Examples::" not in out


# -- the README ------------------------------------------------------------------------------------


def test_readme_documents_the_json_keys_itself(tmp_path):
    readme = (REPO / "README.md").read_text()
    assert "../shared" not in readme and "design.md" not in readme  # a clone has no such file
    src = tmp_path / "m.py"
    src.write_text("def f(n):\n    return n + 1\n")
    out, doc = semcoder("trace", str(src), "--call", "f(1)", "--json")
    json_section = readme[readme.index("### JSON output") :]
    for key in ("status", "return_repr", "exception", "lines", "calls", "stdout", "duration_s", "target"):
        assert key in doc and f"`{key}`" in json_section, key
    for status in ("ok", "exception", "timeout", "memory-limit", "crashed", "syntax-error", "error"):
        assert f"`{status}`" in json_section
    for key in ("summary", "markdown", "candidates", "predicted_lines", "disagreements", "pass_at_1", "per_sample"):
        assert f"`{key}`" in json_section, key
