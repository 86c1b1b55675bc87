"""The pipeline's model path with a real model (SmolLM2-135M, GGUF): the synthesis completion parser,
rejection-sampled monologues checked against real execution, and the whole CLI run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from semcoder_training.annotation import (
    annotate_with_model,
    annotation_prompt,
    backward_call_args,
    forward_answer_ok,
    with_tail,
)
from semcoder_training.execute import Runner
from semcoder_training.rows import Program, Run
from semcoder_training.steps import MonologueStep, _slim
from semcoder_training.synthesis import parse_completion, synthesis_prompt

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install 'semcoder[llama]')")
pytest.importorskip("datatrove")


def _model(gguf: Path, **kw) -> dict:
    return {
        "backend": "llama-cpp",
        "path": str(gguf),
        "url": None,
        "name": None,
        "max_tokens": 128,
        "temperature": 0.7,
        "samples": 2,
        "model_only": False,
        **kw,
    }


# -- the synthesis completion parser ----------------------------------------------------------------

GOOD = """Write a function that returns the sum of the even numbers in a list of integers.

[Solution]
```python
def f(nums):
    \"\"\"Sum the evens.\"\"\"
    return sum(n for n in nums if n % 2 == 0)

print(f([1, 2, 3, 4]))
```

[Examples]
f([1, 2, 3, 4])
f([])
f([7, 8, 'x)'.count('x')])
f([10, -2])
"""


def test_parse_good_completion_gives_program_problem_and_examples():
    parsed = parse_completion(GOOD)
    assert parsed.reason is None
    assert parsed.problem == "Write a function that returns the sum of the even numbers in a list of integers."
    # the docstring and the module-level print are gone: the filter refuses code that runs at import
    assert parsed.code == "def f(nums):\n    return sum((n for n in nums if n % 2 == 0))\n"
    # calls with literal arguments only, once each, in order (the non-literal `count` call is skipped)
    assert parsed.examples == ["[1, 2, 3, 4]", "[]", "[10, -2]"]


def test_parse_rejects_a_completion_without_code():
    parsed = parse_completion("A problem about lists that is long enough.\n\n[Solution]\nJust loop over it.\n")
    assert (parsed.code, parsed.reason) == (None, "model-no-code")


def test_parse_rejects_a_syntax_error():
    text = "Count the vowels of a string, ignoring case.\n```python\ndef f(s)\n    return 1\n```\n"
    assert parse_completion(text).reason == "model-syntax"


def test_parse_renames_the_only_function_and_its_calls_to_f():
    text = (
        "Return the factorial of a non-negative integer n.\n[Solution]\n```python\n"
        "def fact(n):\n    return 1 if n <= 1 else n * fact(n - 1)\n```\n"
        "Examples:\n>>> fact(5)\n120\n>>> fact(0)\n1\n"
    )
    parsed = parse_completion(text)
    assert parsed.code == "def f(n):\n    return 1 if n <= 1 else n * f(n - 1)\n"
    assert parsed.examples == ["5", "0"]


def test_parse_reads_assert_examples_and_rejects_the_rest():
    text = (
        "Reverse the words of a sentence, keeping single spaces.\n```python\n"
        "def f(s: str) -> str:\n    return ' '.join(s.split()[::-1])\n\n"
        "assert f('a b') == 'b a'\nassert f(\"hello  world\") == 'world hello'\n```\n"
    )
    parsed = parse_completion(text)
    assert parsed.code == "def f(s: str) -> str:\n    return ' '.join(s.split()[::-1])\n"
    assert parsed.examples == ["'a b'", "'hello  world'"]
    assert (
        parse_completion(
            "Add two numbers and return the sum of them.\n```python\ndef g(x):\n    return x\n\n"
            "def h(y):\n    return y\n```\n"
        ).reason
        == "model-no-function"
    )
    assert parse_completion("```python\ndef f(x):\n    return x\n```\n").reason == "model-no-problem"


def test_synthesis_prompt_shows_the_seed_and_ends_where_the_problem_starts():
    prompt = synthesis_prompt("def g(x):\n    return x + 1\n")
    assert "```python\ndef g(x):\n    return x + 1\n```" in prompt
    assert prompt.endswith("\n[Problem Description]\n")


# -- rejection-sampled monologues --------------------------------------------------------------------

TINY = [
    ("def f(x):\n    y = x + 1\n    return y * 2\n", "3"),
    ("def f(s):\n    out = ''\n    for c in s:\n        out = c + out\n    return out\n", "'ab'"),
]


def _traced(runner: Runner) -> list[Program]:
    """The tiny programs traced for real, with the verbaliser's monologues, as the monologue step makes them."""
    programs = [
        Program(id=f"tiny{i}", code=code, origin="test", runs=[Run(args=args, output="")])
        for i, (code, args) in enumerate(TINY)
    ]
    done = runner.run([(p.id, p.code, p.runs[0].args) for p in programs], keep_trace=True)
    for p in programs:
        p.runs[0].output, p.runs[0].trace = done[p.id].output, _slim(done[p.id].trace)
    step = MonologueStep()
    step.stat_update = lambda *a, **k: None
    return list(step.process(programs))


def test_annotation_prompt_gives_the_trace_then_semcoders_prompt():
    with Runner() as runner:
        program = _traced(runner)[0]
    prompt = annotation_prompt(program.code, program.runs[0], "forward")
    assert '    y = x + 1 # [INPUT] {"x": 3} [/INPUT] [STATE-1] {"y": 4} [/STATE-1]' in prompt
    assert "    return y * 2 # [OUTPUT] 8 [/OUTPUT]" in prompt
    assert prompt.endswith("    return y * 2 # [L7]\nassert f(3) == ??\n[/PYTHON]\n[MONOLOGUE]\n")
    back = annotation_prompt(program.code, program.runs[0], "backward")
    assert back.endswith("assert f(??) == 8\n[/PYTHON]\n\n[MONOLOGUE]\n")


def test_with_tail_writes_the_rows_exact_tail():
    text = (
        "### Understanding the Function\nIt adds one and doubles the result.\n[/MONOLOGUE]\n[ANSWER]\nassert f(3)==8 \n"
    )
    assert with_tail(text, "3", "8") == (
        "### Understanding the Function\nIt adds one and doubles the result.\n"
        "[/MONOLOGUE]\n[ANSWER]\nassert f(3) == 8\n[/ANSWER]"
    )
    assert with_tail("[ANSWER]\nassert f(3) == 8\n", "3", "8") is None  # no reasoning: not a monologue


def test_answer_checks_accept_only_what_execution_gives():
    forward = "The result is eight.\n[/MONOLOGUE]\n[ANSWER]\nassert f(3) == 8\n[/ANSWER]"
    assert forward_answer_ok(forward, "8")
    assert not forward_answer_ok(forward.replace("== 8", "== 8.0"), "8")  # same value, other type
    assert not forward_answer_ok(forward.replace("== 8", "== 9"), "8")
    assert not forward_answer_ok("no answer at all", "8")
    backward = "It must be three.\n[/MONOLOGUE]\n[ANSWER]\nassert f( 3 ) == 8\n[/ANSWER]"
    assert backward_call_args(backward) == "3"
    assert backward_call_args(backward.replace("f( 3 )", "f(x=[1, 'a'])")) == "x=[1, 'a']"
    assert backward_call_args(backward.replace("f( 3 )", "f(int('3'))")) is None  # not a literal input
    assert backward_call_args(backward.replace("f( 3 )", "g(3)")) is None


def test_annotate_with_model_counts_every_run_and_keeps_only_verified_text(smollm2_gguf):
    model_only = True
    stats: Counter = Counter()
    with Runner() as runner:
        programs = _traced(runner)
        verbalised = [(p.forward[0], p.backward[0]) for p in programs]
        annotate_with_model(
            programs,
            _model(smollm2_gguf, max_tokens=96, model_only=True),
            model_only,
            lambda key, value=1: stats.update({key: value}),
            runner=runner,
        )
        for direction in ("forward", "backward"):
            assert stats[f"annotation/{direction}-accepted"] + stats[f"annotation/{direction}-rejected"] == 2
        for program, (fwd, bwd) in zip(programs, verbalised):
            run = program.runs[0]
            for text, verbaliser in ((program.forward[0], fwd), (program.backward[0], bwd)):
                if text is None:
                    assert model_only  # nothing unverified without the verbaliser
                elif text != verbaliser:  # the model's: its answer re-checks by execution
                    answer = text.rsplit("[ANSWER]\n", 1)[1].removesuffix("\n[/ANSWER]")
                    call = answer.removeprefix("assert ").split(" == ")[0]
                    assert answer.endswith(f" == {run.output}")
                    assert runner.run([("k", program.code, call[2:-1])])["k"].output == run.output
    if model_only:
        kept = sum(t is not None for p in programs for t in (p.forward[0], p.backward[0]))
        assert kept == stats["annotation/forward-accepted"] + stats["annotation/backward-accepted"]


# -- the whole pipeline through the CLI ---------------------------------------------------------------


@pytest.mark.slow
def test_cli_run_with_a_model_exports_only_verified_rows(smollm2_gguf, tmp_path):
    out = tmp_path / "pyx"
    config = tmp_path / "pipeline.yaml"
    # shards 2 / workers 2: the two cores; max_inputs 2 bounds the monologue samples this tiny model writes
    config.write_text(
        yaml.safe_dump(
            {
                "out": str(out),
                "shards": 2,
                "max_inputs": 2,
                "model": {"max_tokens": 256, "temperature": 0.7, "samples": 2},
            }
        )
    )
    cmd = [
        sys.executable,
        "-m",
        "semcoder_training.cli",
        "data",
        "run",
        "--config",
        str(config),
        "--seeds",
        "stdlib",
        "--limit",
        "30",
        "--workers",
        "2",
        "--backend",
        "llama-cpp",
        "--model-path",
        str(smollm2_gguf),
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    for stage in ("seeds", "synthesize", "filter", "inputs", "trace", "monologue", "pyx-r", "decontaminate", "export"):
        assert any((out / "logs" / stage / "completions").iterdir()), stage
    stats = json.loads((out / "export" / "stats.json").read_text())
    synth = stats["stages"]["synthesize"]
    assert synth["in"] == 30
    reasons = synth["rejected"]
    assert set(reasons) <= {
        "model-no-code",
        "model-syntax",
        "model-no-function",
        "model-no-problem",
        "model-error",
        "model-duplicate",
    }
    assert sum(reasons.values()) + synth["out"] == 30 and sum(reasons.values()) > 0
    monologue = stats["stages"].get("monologue", {})
    counters = monologue.get("counters", {})
    runs = stats["stages"]["trace"]["counters"].get("trace/runs", 0)
    for direction in ("forward", "backward"):
        seen = counters.get(f"annotation/{direction}-accepted", 0) + counters.get(f"annotation/{direction}-rejected", 0)
        assert seen == runs  # every traced run went to the model, once per direction
    rows = [json.loads(line) for line in (out / "export" / "pyx.jsonl").read_text().splitlines()]
    with Runner() as runner:
        checks = []
        for row in rows:
            if row["fwd_mnl"] is None:
                continue
            code = row["fwd_mnl"].split("[PYTHON]\n", 1)[1].rsplit("\nassert ", 1)[0]
            code = "\n".join(line.rsplit(" # [L", 1)[0] for line in code.split("\n"))
            answer = row["response"].rsplit("[ANSWER]\n", 1)[1].removesuffix("\n[/ANSWER]")
            assert row["response"].endswith(f"[/MONOLOGUE]\n[ANSWER]\n{answer}\n[/ANSWER]")
            call, expected = answer.removeprefix("assert ").split(" == ", 1)
            checks.append((row["id"], code, call[2:-1], expected))
        done = runner.run([(i, code, args) for i, code, args, _ in checks])
        for i, _, _, expected in checks:
            assert done[i].ok and done[i].output == expected, i
