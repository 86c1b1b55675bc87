"""The differential trace oracle: every program of the corpus under the reference tracer and under
``TraceSession``, in every Python 3.9-3.13 present; the traces and the notes users see must agree.

The reference (tests/tracer/oracle/reference.py) is plain ``sys.settrace`` with no caps; what must agree
is defined in tests/tracer/oracle/compare.py. Corpus: the tracer's own programs, every ``case_*`` of
tests/tracer/stress/ and the 800 CRUXEval functions. The default run checks the programs, the stress
set and an eighth of CRUXEval on 3.11 and the newest 3.12+ with small caps (4 states, 3 calls); the ``slow``
run checks the whole corpus on every Python, with small caps and, for the hand-written programs, the defaults.
"""

import tempfile
from pathlib import Path

import pytest

from tests.conftest import available_pythons
from tests.tracer.oracle import corpus
from tests.tracer.oracle.compare import compare_program
from tests.tracer.oracle.reference import Reference

PYTHONS = available_pythons()
NEWEST = max(PYTHONS, key=lambda v: int(v.split(".")[1]))


@pytest.fixture(scope="module")
def cruxeval(shared_data) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix="oracle-cruxeval-"))
    return corpus.cruxeval_jobs(folder, shared_data / "cruxeval" / "cruxeval.jsonl")


def _check(python: str, jobs: list[dict], default_caps_too: list[dict]) -> None:
    """Small caps for all (the capped paths run), the default caps as well for ``default_caps_too``."""
    both = [dict(job, caps=[corpus.SMALL_CAPS, corpus.DEFAULT_CAPS]) for job in default_caps_too]
    diffs, n = corpus.run_corpus(python, both + jobs, [corpus.SMALL_CAPS])
    assert not diffs, f"{n} programs: " + corpus.summary(diffs, 120)


def test_both_tracer_cores_are_compared():
    assert "3.11" in PYTHONS and int(NEWEST.split(".")[1]) >= 12, sorted(PYTHONS)


@pytest.mark.parametrize("version", sorted({"3.11", NEWEST}))
def test_oracle_agrees_on_programs_stress_and_an_eighth_of_cruxeval(version, cruxeval):
    own = corpus.program_jobs() + corpus.stress_jobs()
    assert len(corpus.stress_jobs()) >= 150
    _check(PYTHONS[version], own + cruxeval[::8], [])


@pytest.mark.slow
@pytest.mark.parametrize("version", list(PYTHONS))
def test_oracle_agrees_on_the_whole_corpus(version, cruxeval):
    own = corpus.program_jobs() + corpus.stress_jobs()
    assert len(cruxeval) == 800
    _check(PYTHONS[version], cruxeval, own)


# -- the oracle itself -------------------------------------------------------------------------------

PROGRAM = """\
def helper(n):
    if n < 2:
        return n
    return helper(n - 1) + 1


def gen(k):
    for i in range(k):
        got = yield i
    return "end"


def sign(x):
    if x > 0: return 1


def main():
    signs = [sign(1), sign(-1)]
    total = helper(3)
    g = gen(2)
    first = next(g)
    second = g.send("x")
    try:
        g.send("y")
    except StopIteration as stop:
        last = stop.value
    return total, first, second, last, signs
"""


def test_reference_records_lines_returns_branches_and_yields(tmp_path):
    """The facts the oracle relies on, checked by hand on a small program (Python running the tests)."""
    from semcoder_core.tracer.saferepr import SafeRepr

    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    namespace: dict = {}
    code = compile(PROGRAM, str(path), "exec")
    ref = Reference(str(path), SafeRepr())
    ref.start()
    try:
        exec(code, namespace)
        value = namespace["main"]()
    finally:
        ref.stop()
    out = ref.result()
    lines = out["lines"]
    assert value == (3, 0, 1, "end", [1, None])
    assert lines["2"]["hits"] == 3 and lines["2"]["branches"] == {"True": 1, "False": 2}
    # ``if x > 0: return 1`` as the last statement: the implicit ``return None`` on that line is not that return
    assert lines["14"]["branches"] == {"True": 1, "False": 1} and lines["14"]["returns"] == ["1"]
    assert lines["3"]["returns"] == ["1"] and lines["4"]["returns"] == ["2", "3"]  # every frame's return
    # ``got = yield i`` binds got when the generator resumes: that belongs to the yield's line
    assert [e[2] for c in lines["9"]["execs"].values() for e in c[1]] == [{"got": "'x'"}, {"got": "'y'"}]
    assert lines["10"]["returns"] == ["'end'"]
    gen = next(c for c in out["codes"] if c["name"] == "gen")
    assert gen["calls"][0]["yields"] == 2 and gen["calls"][0]["return_repr"] == "'end'"
    # the generator returned: send() raised StopIteration on the caller's line (a line, not a loop, raised it)
    assert lines["24"]["raised"] == {"type": "StopIteration", "message": "end", "count": 1}
    assert lines["19"]["last_change"][1] == {"total": "3"}


def test_comparison_reports_a_wrong_count_state_return_and_order(tmp_path):
    """The comparison is not vacuous: corrupt a real trace four ways, get four differences."""
    job = {"id": "prog", "path": str(tmp_path / "prog.py"), "call": "main()"}
    Path(job["path"]).write_text(PROGRAM)
    result = corpus.run_driver(PYTHONS["3.11"], [job], [(10, 10)])["prog"]
    trace = result["traces"][0]
    path = str(Path(job["path"]).resolve())
    clean = compare_program("prog", PROGRAM, result["ref"], trace, 10, 10, path)
    kinds = {d.kind for d in clean}
    trace["lines"]["2"]["hits"] += 1
    trace["lines"]["19"]["states"] = [{"total": "4"}]
    trace["lines"]["4"]["returns"] = ["999"]
    trace["lines"]["18"]["seq"], trace["lines"]["21"]["seq"] = trace["lines"]["21"]["seq"], trace["lines"]["18"]["seq"]
    bad = compare_program("prog", PROGRAM, result["ref"], trace, 10, 10, path)
    before = {str(d) for d in clean}
    new = {(d.line, d.kind) for d in bad if str(d) not in before}
    assert {(2, "hits"), (19, "states"), (4, "returns"), (18, "order")} <= new, (new, kinds)
