"""The tracer's own programs traced under every Python 3.9-3.13 on the machine: identical traces, right values."""

import json
import subprocess
from pathlib import Path

import pytest

from semcoder_core.sandbox.runner import agent_dir
from tests.conftest import available_pythons

PROGRAMS = sorted((Path(__file__).parent / "programs").glob("*.py"))
DRIVER = Path(__file__).parent / "driver.py"
PYTHONS = available_pythons()


def _trace(python: str, program: Path, core: str = "auto") -> dict:
    out = subprocess.run(
        [python, str(DRIVER), agent_dir(), str(program), core], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def traces() -> dict[str, dict[str, dict]]:
    return {p.name: {v: _trace(exe, p) for v, exe in PYTHONS.items()} for p in PROGRAMS}


def test_the_matrix_covers_old_and_new_tracer_cores():
    versions = set(PYTHONS)
    assert {"3.11"} <= versions
    # Both cores must be exercised: settrace (<= 3.11) and sys.monitoring (>= 3.12).
    assert any(int(v.split(".")[1]) >= 12 for v in versions), f"no Python 3.12+ found: {versions}"
    assert any(int(v.split(".")[1]) <= 11 for v in versions)


@pytest.mark.parametrize("program", [p.name for p in PROGRAMS])
def test_identical_traces_on_every_version(traces, program):
    by_version = traces[program]
    reference = by_version["3.11"]
    for version, trace in by_version.items():
        assert trace == reference, f"{program}: Python {version} differs from 3.11"


def _lines(trace: dict, program: str) -> dict:
    [(path, lines)] = [(p, ls) for p, ls in trace["lines"].items() if p.endswith(program)]
    return lines


def _calls(trace: dict) -> dict:
    return {c["qualname"]: c for c in trace["calls"]}


def test_loops_exact_counts_first_states_and_true_last_state(traces):
    trace = traces["loops.py"]["3.11"]
    lines = _lines(trace, "loops.py")
    # accumulate(5000): the for line runs 5001 times, the body 5000; states capped at 4 + the last.
    assert lines["3"]["hits"] == 5001
    assert [s["i"] for s in lines["3"]["states"]] == ["0", "1", "2", "3", "4999"]
    assert lines["4"]["hits"] == 5000
    assert lines["4"]["states"][-1] == {"total": "12497500"}
    assert lines["4"]["at"][-1] == 5000
    # while loop in countdown
    assert lines["10"]["hits"] == 4
    assert lines["12"]["states"] == [{"n": "2"}, {"n": "1"}, {"n": "0"}]
    # for/else with break and continue
    assert lines["21"]["states"] == [{"pairs": "[(1, 5)]"}, {"pairs": "[(1, 5), (2, 4)]"}]
    assert lines["32"]["hits"] == 3  # `continue` for i = 1, 3, 5
    assert trace["return"] == "(12497500, [3, 2, 1], [(1, 5), (2, 4)], 4)"


def test_calls_recursion_closures_methods_lambdas(traces):
    trace = traces["calls.py"]["3.11"]
    calls = _calls(trace)
    fact = calls["fact"]
    assert fact["count"] == 5
    assert [r["args"]["n"] for r in fact["records"]] == ["5", "4", "3", "1"]  # first 3 and the last
    assert [r["return_repr"] for r in fact["records"]] == ["120", "24", "6", "1"]
    bump = calls["make_counter.<locals>.bump"]
    assert [(r["args"]["by"], r["return_repr"]) for r in bump["records"]] == [("1", "11"), ("5", "16")]
    assert calls["Account.deposit"]["records"][0]["return_repr"] == "30"
    assert calls["Account.empty"]["records"][0]["args"]["owner"] == "'ada'"
    assert calls["Account.fee"]["records"][0]["return_repr"] == "2.5"
    assert calls["main.<locals>.<lambda>"]["count"] == 3
    assert calls["apply_all"]["records"][0]["args"]["values"] == "(1, 2, 3)"
    assert calls["apply_all"]["records"][0]["args"]["options"] == "{'scale': 2}"
    assert calls["cached_square"]["count"] == 1  # the second call is a cache hit
    lines = _lines(trace, "calls.py")
    assert lines["15"]["states"] == [{"count": "11"}, {"count": "16"}]  # nonlocal update
    assert lines["26"]["states"] == [{"self": "<Account owner='ada', balance=0>"}]  # attribute set on self
    assert lines["29"]["states"] == [{"self": "<Account owner='ada', balance=30>"}]


def test_generators_and_comprehensions(traces):
    trace = traces["generators.py"]["3.11"]
    lines = _lines(trace, "generators.py")
    assert [s["value"] for s in lines["15"]["states"]] == ["0", "2", "4", "100"]
    assert lines["5"]["states"] == [{"n": "2"}, {"n": "4"}, {"n": "6"}]
    assert lines["17"] == {
        "hits": 1,
        "states": [{"squares": "[0, 4, 16, 10000]"}],
        "at": [1],
        "seq": lines["17"]["seq"],
    }
    assert lines["18"]["states"] == [{"lookup": "{2: '2', 4: '4', 100: '100'}"}]
    assert lines["20"]["states"] == [{"total": "106"}]
    calls = _calls(trace)
    assert calls["evens"]["count"] == 1 and calls["evens"]["records"][0]["yields"] == 3
    assert calls["chained"]["records"][0]["yields"] == 4


def test_exceptions_where_they_start_and_how_calls_end(traces):
    trace = traces["exceptions.py"]["3.11"]
    lines = _lines(trace, "exceptions.py")
    assert lines["3"]["raised"] == {
        "type": "ValueError",
        "message": "invalid literal for int() with base 10: 'x'",
        "count": 1,
    }
    assert lines["10"]["raised"]["type"] == "IndexError"
    assert "raised" not in lines["17"]  # the caller only passes it on
    assert lines["26"]["raised"]["type"] == "ZeroDivisionError"
    assert lines["18"]["states"] == [{"exc": "IndexError('list index out of range')"}]
    calls = _calls(trace)
    assert calls["risky"]["records"][1]["exception"] == {"type": "IndexError", "message": "list index out of range"}
    assert calls["risky"]["records"][1]["return_repr"] is None
    assert calls["fails"]["records"][0]["exception"]["type"] == "ZeroDivisionError"


def test_values_mutation_aliasing_and_hostile_reprs(traces):
    trace = traces["values.py"]["3.11"]
    lines = _lines(trace, "values.py")
    assert lines["24"]["states"] == [{"items": "['first', 2, 2]"}]  # mutated inside the callee
    assert lines["27"]["states"] == [{"table": "{'b': 2}"}]
    assert lines["29"]["states"] == [{"p": "<Point x=10, y=2>"}]
    assert lines["30"]["states"] == [{"loud": "<Loud object (repr failed: RuntimeError)>"}]
    assert lines["31"]["states"] == [{"huge": "<Huge object (repr of 100000 characters)>"}]
    text = lines["32"]["states"][0]["text"]
    assert text.startswith("'xxx") and text.endswith("...'") and len(text) < 250
    assert lines["33"]["states"] == [{"nested": "[[[[[...]]]]]"}]
    assert lines["35"]["states"] == [{"alias": "['first', 2, 2, 'via alias']", "items": "['first', 2, 2, 'via alias']"}]


def test_straight_line_hits_derived_exactly(traces):
    """On 3.12+ lines that always follow another stop reporting events past their cap; their
    counts are derived, and must equal the counts settrace sees on every event."""
    trace = traces["straight.py"]["3.11"]
    lines = _lines(trace, "straight.py")
    assert [lines[n]["hits"] for n in ("4", "5", "6")] == [500, 500, 500]
    assert lines["6"]["states"][-1] == {"total": "250000"}
    # x = 10 // (i % 7) raises 43 times out of 300; the two lines after it run 257 times.
    assert lines["14"]["raised"]["count"] == 43
    assert [lines[n]["hits"] for n in ("15", "16", "18")] == [257, 257, 43]
    assert [lines[n]["hits"] for n in ("23", "24", "25", "26")] == [31, 31, 31, 31]  # recursion
    assert [lines[n]["hits"] for n in ("32", "33", "34")] == [400, 400, 400]  # generator
    assert [lines[n]["hits"] for n in ("40", "41", "42", "43", "44")] == [101, 101, 50, 50, 101]
    assert lines["43"]["states"][-1] == {"q": "100"}


def test_loop_lines_derived_exactly(traces):
    """`for` lines stop reporting too (hits = first body line + entries - exits by exception)."""
    trace = traces["straight.py"]["3.11"]
    lines = _lines(trace, "straight.py")
    # first_loop(range(1, k)) for k in 2..39: the loop opens the function (entries = calls)
    assert lines["49"]["hits"] == sum(k for k in range(2, 40))
    assert lines["50"]["hits"] == sum(k - 1 for k in range(2, 40))
    # escapes(n) for n in 2..59 always leaves its loop by ZeroDivisionError at the last i
    assert lines["57"]["hits"] == sum(range(2, 60))
    assert lines["59"]["hits"] == sum(n - 1 for n in range(2, 60))
    assert lines["58"]["raised"]["count"] == 58
    # nested loops with continue
    assert [lines[n]["hits"] for n in ("65", "67", "68", "69", "70")] == [51, 200, 150, 49, 101]
    assert "states" in lines["69"] and lines["69"]["states"] == []  # `continue` binds nothing
    assert lines["70"]["states"][-1] == {"total": "3675"}


def test_loop_edges_found_in_review(traces):
    """Counts that derived loop headers got wrong once, now checked on every version."""
    lines = _lines(traces["edges.py"]["3.11"], "edges.py")
    assert lines["23"]["hits"] == 48  # the iterator raised on the header: that check did happen
    assert lines["29"]["hits"] == 48  # a class iterator's StopIteration ends its loop normally
    assert lines["35"]["hits"] == 48  # an exception in `else:` comes after the loop ran out
    assert lines["42"]["raised"]["count"] == 4
    assert lines["43"]["hits"] == 36  # the statement before the loop raised: never entered
    assert lines["50"]["hits"] == sum(k + 1 for k in range(8))  # one-line loop: every iteration
    assert lines["50"]["states"][-1] == {"s": "21", "t": "6"}
