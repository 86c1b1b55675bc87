"""pass@k, several samples per problem, generation through a backend, reports and human output."""

import json
import sys
from math import comb

import pytest

from semcoder_core.config import Settings
from semcoder_core.evaluation import Executor, cruxeval, pass_at_k, pass_at_ks, scratch_sandbox
from semcoder_core.evaluation.generate import generate
from semcoder_core.evaluation.report import PLOT_MISSING, write_report
from semcoder_core.models import Backend, Decoding

from .conftest import semcoder


def test_pass_at_k_is_the_unbiased_estimator():
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(10, 3, 5) == pytest.approx(1 - comb(7, 5) / comb(10, 5))
    assert pass_at_k(200, 17, 100) == pytest.approx(1 - comb(183, 100) / comb(200, 100))
    assert pass_at_k(5, 0, 3) == 0.0
    assert pass_at_k(5, 3, 3) == 1.0  # fewer than k wrong ones: a correct one is always drawn
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)
    # k is reported only where every problem has that many samples
    assert pass_at_ks({"a": [True, False, False, False, False], "b": [False] * 6}, (1, 5, 10)) == {
        1: pytest.approx(0.1),
        5: pytest.approx(0.5),
    }


def _answer(problem, value):
    return f"[ANSWER]\nassert f({problem.input}) == {value}\n[/ANSWER]"


@pytest.fixture(scope="module")
def scored():
    """Three problems, four generations each, scored in the sandbox."""
    problems = cruxeval.load_problems()[:3]
    p0, p1, p2 = problems
    generations = {
        p0.id: [_answer(p0, p0.output), _answer(p0, "[]"), "no answer at all", _answer(p0, p0.output)],
        p1.id: [_answer(p1, "0")] * 4,
        p2.id: [_answer(p2, p2.output)] * 3 + [f"[ANSWER]\nassert f({p2.input}) == {p2.call}\n[/ANSWER]"],
    }
    with scratch_sandbox(Settings()) as sandbox:
        return cruxeval.score(problems, generations, "output", Executor(sandbox))


def test_several_samples_per_problem(scored):
    per_sample = scored.per_sample
    assert list(per_sample.values()) == [[True, False, False, True], [False] * 4, [True, True, True, False]]
    assert scored.pass_at_k == {1: pytest.approx((0.5 + 0 + 0.75) / 3)}
    statuses = [[a.status for a in p.attempts] for p in scored.problems]
    # the call itself is no answer (the reference scorer's rule)
    assert statuses == [["passed", "failed", "missing", "passed"], ["failed"] * 4, ["passed"] * 3 + ["invalid"]]
    assert all(p.time_limit_s == 3.0 for p in scored.problems)  # the reference's 3 s floor


def test_report_files_and_a_missing_matplotlib(scored, tmp_path, monkeypatch):
    assert write_report(scored, tmp_path / "with") == []
    assert (tmp_path / "with" / "accuracy.png").read_bytes()[:4] == b"\x89PNG"
    full = json.loads((tmp_path / "with" / "results.json").read_text())
    assert full["by_category"]["label"] == "code length"
    assert sum(g["problems"] for g in full["by_category"]["groups"].values()) == 3
    assert full["problems"][0]["attempts"][2] == {
        "passed": False, "status": "missing", "answer": None, "detail": None, "plus": None, "raw": "no answer at all"
    }  # fmt: skip
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert write_report(scored, tmp_path / "without") == [PLOT_MISSING]
    assert not (tmp_path / "without" / "accuracy.png").exists()
    assert PLOT_MISSING in (tmp_path / "without" / "summary.md").read_text()
    assert "pip install 'semcoder[eval]'" in PLOT_MISSING


class Echo(Backend):
    """Answers every prompt with a fixed text, numbered by the sample's seed."""

    name = "echo"

    def _pieces(self, prompt, decoding, should_stop):
        yield f" {decoding.seed} [/ANSWER] never seen", None
        yield "", "stop"


def test_generate_returns_prompt_and_completion_per_sample():
    decoding = Decoding(max_tokens=8, temperature=0.7, seed=10, stop=("[/ANSWER]",))
    ticks = []
    out = generate(Echo(), {"a": "P1", "b": "P2"}, decoding, samples=2, advance=lambda: ticks.append(1))
    assert out == {"a": ["P1 10 ", "P1 11 "], "b": ["P2 10 ", "P2 11 "]}
    assert len(ticks) == 2


def test_human_output_prints_a_percentage_with_one_decimal(recorded):
    out, _ = semcoder(
        "eval", "cruxeval", "--mode", "output", "--data", recorded / "cruxeval_renamed.jsonl",
        "--generations", recorded / "cruxeval_output__semcoder_1030_direct.json", "--limit", 40,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "pass@1: " in out.stdout and "% on " in out.stdout
    value = out.stdout.split("pass@1: ")[1].split("%")[0]
    assert len(value.split(".")[1]) == 1


def test_usage_errors(tmp_path):
    out, _ = semcoder("eval", "cruxeval", "--mode", "output", "--limit", 3)  # no model, no generations
    assert out.returncode == 2 and "--generations FILE" in out.stderr
    out, _ = semcoder("eval", "cruxeval", "--mode", "sideways")
    assert out.returncode == 2
    (tmp_path / "g.json").write_text("[1, 2]")
    out, _ = semcoder("eval", "cruxeval", "--mode", "output", "--generations", tmp_path / "g.json")
    assert out.returncode == 2 and "must map sample ids" in out.stderr
