"""``explain_failure`` on real traces: the example project's three bugs and small synthetic projects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from semcoder_core.config import RunSettings, Settings
from semcoder_core.explain import Explanation, explain_failure
from semcoder_core.testruns import test_document


def read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def traced(project: Path, nodes: list[str], timeout_s: float = 10.0) -> dict[str, dict]:
    """Run ``nodes`` traced in the sandbox; the trace document of each test, by node id."""
    run = Settings(run=RunSettings(timeout_seconds=timeout_s)).sandbox(project).run_tests(nodes, trace=True)
    assert run["status"] in ("ok", "exception"), run
    return {t["nodeid"]: test_document(t, run, 1) for t in run["tests"]}


def explain(docs: dict[str, dict], node: str, project: Path) -> Explanation:
    passing = [d for d in docs.values() if d["status"] == "ok"]
    assert docs[node]["status"] != "ok"
    return explain_failure(docs[node], read, project, passing)


def at(step_or_line, project: Path) -> str:
    """``inventory/stats.py:40`` for a Step or a (file, line) pair."""
    file, line = (step_or_line.file, step_or_line.line) if hasattr(step_or_line, "file") else step_or_line
    return f"{Path(file).resolve().relative_to(project.resolve()).as_posix()}:{line}"


def step(explanation: Explanation, where: str, project: Path):
    found = [s for s in explanation.chain if at(s, project) == where]
    assert found, f"{where} not in the chain: {[at(s, project) for s in explanation.chain]}"
    return found[0]


# -- the example project's bugs (examples/inventory/BUGS.md) ----------------------------------------------


def test_percentile_off_by_one(example_copy):
    project = example_copy
    node = "tests/test_stats.py::test_percentile_100_is_the_maximum"
    docs = traced(project, ["tests/test_stats.py", "tests/test_report.py::test_sales_summary"])
    e = explain(docs, node, project)

    assert e.failure == {
        "test": node,
        "message": "IndexError: list index out of range",
        "expected": None,
        "actual": None,
    }
    assert at(e.origin, project) == "inventory/stats.py:40"
    raised = e.chain[0]
    assert at(raised, project) == "inventory/stats.py:40"
    assert raised.values["upper"] == "7"
    assert raised.values["ordered"] == "[9, 12, 14, 15, 18, 20, 31]"
    assert raised.values["lower"] == "6"
    assert step(e, "inventory/stats.py:38", project).values["upper"] == "7"
    assert step(e, "inventory/stats.py:37", project).values == {"lower": "6", "position": "6.0"}
    # Back to the parameters: the call's arguments.
    assert step(e, "inventory/stats.py:29", project).values == {"values": "[12, 15, 9, 20, 31, 18, 14]", "pct": "100"}

    assert e.divergence is not None
    assert at(e.divergence, project) == "inventory/stats.py:38"
    assert e.divergence.values["upper"] == "7"
    assert "upper == len(ordered)" in e.divergence.note

    md = e.markdown
    assert "IndexError: list index out of range" in md
    assert "`upper = 7` but `ordered` has 7 items" in md
    assert "test_percentile_interpolates_between_ranks" in md
    # In order: the failing test line, the chain from the raising line, the comparison.
    positions = [
        md.index("`tests/test_stats.py:25` `assert percentile(WEEK, 100) == 31`"),
        md.index("`inventory/stats.py:40`"),
        md.index("`inventory/stats.py:38`"),
        md.index("Compared with passing tests"),
    ]
    assert positions == sorted(positions)
    assert "/" + str(project).strip("/") + "/" not in md  # references are relative to the project


def test_reorder_plan_boundary(example_copy):
    project = example_copy
    node = "tests/test_stock.py::test_reorder_plan_includes_item_at_reorder_point"
    docs = traced(project, ["tests/test_stock.py", "tests/test_report.py::test_reorder_report_lists_items_to_order"])
    e = explain(docs, node, project)

    assert e.failure["expected"] == "{'BOLT-M6': 500, 'NUT-M6': 500}"
    assert e.failure["actual"] == "{'NUT-M6': 500}"
    assert "expected `{'BOLT-M6': 500, 'NUT-M6': 500}`, got `{'NUT-M6': 500}`" in e.markdown
    assert "`'BOLT-M6'` is missing" in e.markdown
    # The wrong dict was returned by `return plan`, built at line 87 under the condition at line 83.
    assert at(e.origin, project) == "inventory/stock.py:88"
    assert e.chain[0].values == {"plan": "{'NUT-M6': 500}"}
    assert step(e, "inventory/stock.py:87", project).values["plan"] == "{'NUT-M6': 500}"
    condition = step(e, "inventory/stock.py:83", project)
    assert "True 1×, False 2×" in condition.note
    assert "`item.quantity` = 250 → 90 → 1000" in condition.note
    # The passing tests never had an item exactly at its reorder point.
    assert e.divergence is not None
    assert at(e.divergence, project) == "inventory/stock.py:83"
    assert "`item.quantity = 250` and `item.reorder_point = 250`" in e.divergence.note
    assert "item.quantity == item.reorder_point" in e.divergence.note
    assert "Compared with passing tests" in e.markdown


def test_order_total_taxes_the_subtotal(example_copy):
    project = example_copy
    node = "tests/test_pricing.py::test_order_total_taxes_the_discounted_amount"
    docs = traced(project, ["tests/test_pricing.py", "tests/test_report.py::test_format_receipt"])
    e = explain(docs, node, project)

    assert e.failure["actual"] == "Receipt(subtotal=250.0, discount=25.0, tax=20.0, shipping=0.0, total=245.0)"
    assert "`tax`: expected `18.0`, got `20.0`" in e.markdown
    assert "`total`: expected `243.0`, got `245.0`" in e.markdown
    assert at(e.origin, project) == "inventory/pricing.py:60"
    assert e.chain[0].values["tax"] == "20.0"
    tax = step(e, "inventory/pricing.py:54", project)
    assert tax.values == {"tax": "20.0", "subtotal": "250.0", "tax_rate": "0.08"}
    assert step(e, "inventory/pricing.py:53", project).values["taxable"] == "225.0"
    assert step(e, "inventory/pricing.py:59", project).values["total"] == "245.0"
    md = e.markdown
    assert md.index("`inventory/pricing.py:59`") < md.index("`inventory/pricing.py:54`")
    assert "`subtotal = 250.0`" in md and "`taxable = 225.0`" in md
    # None of the passing orders had a discount: the first difference is there.
    assert e.divergence is not None
    assert at(e.divergence, project) == "inventory/pricing.py:52"
    assert "`discount = 25.0`" in e.divergence.note and "discount == 0 every time" in e.divergence.note


# -- synthetic projects ------------------------------------------------------------------------------------

SYNTHETIC = {
    "pyproject.toml": """
        [project]
        name = "syn"
        version = "0"
    """,
    "pkg/__init__.py": "",
    "pkg/numbers.py": """
        def total(values):
            result = 0
            for v in values[1:]:
                result += v
            return result


        def count_positive(values):
            n = 0
            for v in values:
                if v > 0:
                    n += 1
            return n


        def average_positive(values):
            s = sum(v for v in values if v > 0)
            n = count_positive(values)
            return s / n


        def spin(limit):
            i = 0
            while i != limit:
                i += 2
            return i
    """,
    "pkg/report.py": """
        from .numbers import total


        def scaled(values, factor):
            raw = total(values)
            result = raw * factor
            return result


        def summary(values):
            value = scaled(values, 2)
            return {"scaled": value}
    """,
    "tests/test_syn.py": """
        from pkg.numbers import average_positive, spin
        from pkg.report import summary


        def test_average_positive():
            assert average_positive([1, -2, 3]) == 2


        def test_average_no_positive():
            assert average_positive([-1, -2]) == 0


        def test_summary():
            assert summary([1, 2]) == {"scaled": 6}


        def test_spin():
            assert spin(5) == 5


        def test_own_arithmetic():
            assert 1 + 1 == 3
    """,
}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    project = tmp_path_factory.mktemp("synthetic")
    for name, text in SYNTHETIC.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return project, traced(project, ["tests/test_syn.py"], timeout_s=2.0)


def test_zero_division_through_two_functions(synthetic):
    project, docs = synthetic
    e = explain(docs, "tests/test_syn.py::test_average_no_positive", project)

    assert e.failure["message"] == "ZeroDivisionError: division by zero"
    assert at(e.origin, project) == "pkg/numbers.py:19"
    assert e.chain[0].values == {"s": "0", "n": "0"}
    assert "the divisor `n = 0`" in e.chain[0].note
    # n came from count_positive(), whose `n += 1` never ran.
    assert step(e, "pkg/numbers.py:18", project).values["n"] == "0"
    assert "`count_positive()` returned `0`" in step(e, "pkg/numbers.py:13", project).note
    condition = step(e, "pkg/numbers.py:11", project)
    assert "never did" in condition.note and "False 2×" in condition.note and "-1 → -2" in condition.note
    assert step(e, "pkg/numbers.py:9", project).values == {"n": "0"}
    # The passing test had positive values: the sum was never 0 there.
    assert e.divergence is not None and at(e.divergence, project) == "pkg/numbers.py:17"
    assert "ZeroDivisionError: division by zero" in e.markdown


def test_wrong_value_through_two_modules(synthetic):
    project, docs = synthetic
    e = explain(docs, "tests/test_syn.py::test_summary", project)

    assert e.failure["expected"] == "{'scaled': 6}" and e.failure["actual"] == "{'scaled': 4}"
    assert at(e.origin, project) == "pkg/report.py:12"
    where = [at(s, project) for s in e.chain]
    assert where[:5] == [
        "pkg/report.py:12",
        "pkg/report.py:11",
        "pkg/report.py:7",
        "pkg/report.py:6",
        "pkg/report.py:5",
    ]
    assert step(e, "pkg/report.py:5", project).values == {"raw": "2", "values": "[1, 2]"}
    assert "`total()` returned `2`" in step(e, "pkg/numbers.py:5", project).note
    assert step(e, "pkg/numbers.py:4", project).values["result"] == "2"
    md = e.markdown
    assert md.index("`pkg/report.py:12`") < md.index("`pkg/report.py:5`") < md.index("`pkg/numbers.py:5`")
    assert e.divergence is None  # no passing test runs summary()


def test_timeout_says_where_it_was_running(synthetic):
    project, docs = synthetic
    node = "tests/test_syn.py::test_spin"
    assert docs[node]["status"] == "timeout"
    e = explain(docs, node, project)

    # Time runs out in the loop: on its condition (line 24) or its body (line 25).
    assert at(e.origin, project) in ("pkg/numbers.py:24", "pkg/numbers.py:25")
    assert "running when time ran out" in e.chain[0].note
    assert step(e, "pkg/numbers.py:24", project).values["limit"] == "5"
    assert "did not finish within 2 s" in e.markdown
    assert "when time ran out it was running `pkg/numbers.py:2" in e.markdown
    # `i` changed millions of times; only its first values (and perhaps the last) were recorded.
    assert "`i` = 2 → 4 → 6" in step(e, "pkg/numbers.py:25", project).note
    # Its last value is shown only where the trace kept it; otherwise the explanation says it was not recorded.
    numbers = str((project / "pkg" / "numbers.py").resolve())
    states = docs[node]["lines"][numbers]["25"]["states"]
    assert "values of its later runs were not recorded" in e.markdown or states[-1]["i"] in e.markdown
    assert step(e, "pkg/numbers.py:22", project).values == {"limit": "5"}


def test_failure_without_code_under_test(synthetic):
    project, docs = synthetic
    e = explain(docs, "tests/test_syn.py::test_own_arithmetic", project)
    assert "No code under test ran" in e.markdown
    assert e.line is None
    assert e.divergence is None
    assert not [s for s in e.chain if not s.file.endswith("test_syn.py")]


def test_missing_pieces_are_left_out(synthetic):
    """A document without lines, calls or a test record still gets an explanation (and no made-up values)."""
    project, docs = synthetic
    doc = dict(docs["tests/test_syn.py::test_average_no_positive"], lines={}, calls=[])
    e = explain_failure(doc, read, project)
    assert "ZeroDivisionError: division by zero" in e.markdown
    assert all(not s.values for s in e.chain)
    bare = explain_failure({"status": "crashed", "exception": None, "lines": {}, "calls": []}, read, project)
    assert bare.line is None and bare.chain == [] and bare.divergence is None
    assert bare.failure == {"test": None, "message": None, "expected": None, "actual": None}
