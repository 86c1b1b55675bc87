"""The pipeline's stages one by one, on small real programs: seeds, the filter's reasons, inputs,
the sandbox it insists on, and the separation from the editor path."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("datatrove", reason="the data pipeline needs the data extra: pip install 'semcoder[data]'")

from semcoder_training import inputs  # noqa: E402
from semcoder_training.execute import UnsafeSandbox, check_isolation  # noqa: E402
from semcoder_training.programs import from_seed, static_rejection  # noqa: E402
from semcoder_training.rows import Program, Run  # noqa: E402
from semcoder_training.seeds import iter_seeds  # noqa: E402
from semcoder_training.steps import FilterStep, InputsStep  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_seeds_take_what_a_function_needs_from_its_module(tmp_path):
    write(
        tmp_path,
        "textutil.py",
        '''
        import re
        import os

        VOWELS = "aeiou"

        def _clean(word):
            return re.sub(r"[^a-z]", "", word.lower())

        def count_vowels(text):
            """Count the vowels of every word of the text."""
            total = 0
            for word in text.split():
                for ch in _clean(word):
                    if ch in VOWELS:
                        total += 1
            return total

        def home(name):
            base = os.environ["HOME"]
            path = base + "/" + name
            other = path.upper()
            return other.lower()

        def needs_a_global(x):
            y = x + 1
            z = y * 2
            w = z - 3
            return UNKNOWN + w
        ''',
    )
    seeds = list(iter_seeds(str(tmp_path)))
    by_entry = {s.entry: s for s in seeds}
    assert set(by_entry) == {"count_vowels", "home"}  # needs_a_global reads a name nothing defines
    code = by_entry["count_vowels"].code
    assert code.startswith('import re\n\nVOWELS = "aeiou"\n\ndef _clean(word):')
    assert by_entry["count_vowels"].origin == "file:textutil.count_vowels"
    program, reason = from_seed(by_entry["count_vowels"])
    assert reason is None
    assert "def f(text):" in program.code and "def _clean(word):" in program.code and '"""' not in program.code
    assert program.nl == "Count the vowels of every word of the text."
    assert static_rejection(program.code) is None
    home, _ = from_seed(by_entry["home"])
    assert static_rejection(home.code) == "io"  # it imports os


@pytest.mark.parametrize(
    "code, reason",
    [
        ("def f(x):\n    return open(x).read()\n", "io"),
        ("import random\ndef f(x):\n    return random.choice(x)\n", "randomness"),
        ("import time\ndef f(x):\n    return time.time() + x\n", "time"),
        ("import socket\ndef f(x):\n    return socket.gethostbyname(x)\n", "network"),
        ("import subprocess\ndef f(x):\n    return subprocess.run(x)\n", "subprocess"),
        ("def f(x):\n    return eval(x)\n", "dynamic-code"),
        ("def f(x:\n    return x\n", "syntax"),
        ("def g(x):\n    return x\n", "no-entry"),
        ("def f(x):\n    return x\nprint(f(1))\n", "module-code"),
        ("import math\ndef f(x):\n    return math.sqrt(x)\n", None),
    ],
)
def test_static_rejection_names_the_reason(code, reason):
    assert static_rejection(code) == reason


def test_types_come_from_annotations_defaults_usage_and_names():
    code = textwrap.dedent(
        """
        def f(text, nums, table, n: int, flag, words, scale=2):
            parts = text.split(",")
            for key, value in table.items():
                parts.append(key)
            nums.sort()
            return [p for p in parts if len(p) > n][:scale], flag, words
        """
    )
    assert inputs.parameter_types(code) == [
        ("text", "str"),
        ("nums", "list"),
        ("table", "dict"),
        ("n", "int"),
        ("flag", "bool"),
        ("words", "list_str"),
    ]
    first = inputs.guesses(code, "123", 4)
    assert first == inputs.guesses(code, "123", 4)  # seeded by the program id: a rerun makes the same
    # the k-th parameter starts 2k values into its pool, so one guess does not give every argument its first value
    assert first[:2] == [
        "'hello world', [], {}, 7, True, []",
        "'abc', [4, 4, 0, -1], {'x': 10, 'y': -3, 'z': 0}, 12, False, ['x', 'yy', 'x']",
    ]
    mutated = inputs.mutations("[1, 2, 3], 'abc'", "7", 5)
    assert mutated == inputs.mutations("[1, 2, 3], 'abc'", "7", 5) and len(mutated) == 5
    for text in mutated:  # one argument changed, types kept
        values = eval(f"({text},)")  # noqa: S307 - literals we made
        assert isinstance(values[0], list) and isinstance(values[1], str)
        assert values != ([1, 2, 3], "abc")


def program(code: str, pid: str) -> Program:
    return Program(id=pid, code=textwrap.dedent(code), origin="test")


def test_filter_keeps_deterministic_programs_and_counts_why_it_drops_the_rest():
    programs = [
        program("def f(nums):\n    return sum(n * n for n in nums)\n", "1"),
        program("def f(x):\n    raise ValueError(x)\n", "2"),
        program("def f(x):\n    while True:\n        x += 1\n", "3"),
        program("def f(words):\n    return list({str(w) for w in words})\n", "4"),
        program("def f(xs):\n    xs.append(1)\n", "5"),
        program("def f(x):\n    return object()\n", "6"),
        program("import random\ndef f(x):\n    return random.random()\n", "7"),
    ]
    programs[3].runs = [Run(args="['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']", output="", origin="model")]
    step = FilterStep(timeout_s=1.0)
    try:
        kept = list(step.process(programs))
    finally:
        step.runner.close()
    assert [p.id for p in kept] == ["1"]
    runs = kept[0].runs
    assert runs[0].args == "[1, 2, 3]" and runs[0].output == "14" and runs[0].lines == [2]
    stats = {k: v.total for k, v in step.stats.stats.items()}
    assert stats == {
        "rejected/raises": 1,
        "rejected/slow": 1,
        "rejected/nondeterministic": 1,
        "rejected/returns-none": 1,
        "rejected/output-not-literal": 1,
        "rejected/randomness": 1,
    }


def test_inputs_are_kept_only_when_they_add_behaviour():
    p = program(
        """
        def f(n):
            if n < 0:
                return "negative"
            if n % 2:
                return "odd"
            return "even"
        """,
        "9",
    )
    p.runs = [Run(args="4", output="'even'", lines=[3, 5, 7])]
    step = InputsStep(max_inputs=5, timeout_s=1.0)
    try:
        (out,) = step.process([p])
    finally:
        step.runner.close()
    outputs = [r.output for r in out.runs]
    # three behaviours, three inputs: any other input of the many tried adds no line and no output
    assert sorted(outputs) == ["'even'", "'negative'", "'odd'"]
    assert all(r.origin == "mutation" for r in out.runs[1:])


def test_the_copy_sandbox_is_refused_unless_the_user_accepts_it():
    with pytest.raises(UnsafeSandbox, match="bubblewrap"):
        check_isolation("copy")
    assert check_isolation("copy", allow_copy=True) == "copy"


def test_the_editor_path_does_not_import_the_pipeline():
    """``pip install semcoder`` stays light: semcoder_core, the CLI and the server never load datatrove."""
    code = (
        "import sys, semcoder_core.cli, semcoder_lsp.server, semcoder_core.tasks.failing, semcoder_core.repair.search\n"
        "heavy = [m for m in ('datatrove', 'semcoder_training', 'torch', 'datasets') if m in sys.modules]\n"
        "assert not heavy, heavy"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    for path in (ROOT / "semcoder_core").rglob("*.py"):
        assert "semcoder_training" not in path.read_text(encoding="utf-8"), path
