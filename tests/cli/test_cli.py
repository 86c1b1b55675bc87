"""The `semcoder` command, run as a user runs it: a real subprocess on the example project."""

import json
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE

FAILING = {
    "tests/test_pricing.py::test_order_total_taxes_the_discounted_amount",
    "tests/test_stats.py::test_percentile_100_is_the_maximum",
    "tests/test_stock.py::test_reorder_plan_includes_item_at_reorder_point",
}


def semcoder(*args, cwd=None, check_json=True):
    out = subprocess.run(
        [sys.executable, "-m", "semcoder_core.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )
    if check_json and "--json" in args:
        return out, json.loads(out.stdout)
    return out, None


@pytest.fixture(scope="module")
def debug_report():
    out, report = semcoder("debug", str(EXAMPLE), "--json")
    assert out.returncode == 0, out.stderr
    return report


def test_debug_finds_and_traces_every_failing_test(debug_report):
    assert debug_report["summary"] == {"total": 25, "passed": 22, "failed": 3}
    assert {t["test"]["nodeid"] for t in debug_report["tests"]} == FAILING
    for result in debug_report["tests"]:
        assert result["status"] == "exception"
        assert result["lines"], result["test"]["nodeid"]


def test_debug_off_by_one_shows_the_index_past_the_end(debug_report):
    result = next(t for t in debug_report["tests"] if "percentile_100" in t["test"]["nodeid"])
    exc = result["exception"]
    assert exc["type"] == "IndexError" and exc["file"].endswith("inventory/stats.py") and exc["line"] == 40
    stats = next(v for k, v in result["lines"].items() if k.endswith("inventory/stats.py"))
    assert stats["38"]["states"] == [{"upper": "7"}]
    assert stats["33"]["states"] == [{"ordered": "[9, 12, 14, 15, 18, 20, 31]"}]


def test_debug_wrong_variable_has_expected_and_actual(debug_report):
    result = next(t for t in debug_report["tests"] if "taxes_the_discounted" in t["test"]["nodeid"])
    failure = result["test"]["failure"]
    assert "tax=18.0" in failure["expected"] and "tax=20.0" in failure["actual"]
    pricing = next(v for k, v in result["lines"].items() if k.endswith("inventory/pricing.py"))
    assert pricing["53"]["states"] == [{"taxable": "225.0"}]
    assert pricing["54"]["states"] == [{"tax": "20.0"}]


def test_debug_human_output_annotates_lines():
    out, _ = semcoder("debug", "tests/test_stock.py::test_reorder_plan_includes_item_at_reorder_point", cwd=EXAMPLE)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "✗ tests/test_stock.py::test_reorder_plan_includes_item_at_reorder_point" in text
    assert "expected {'BOLT-M6': 500, 'NUT-M6': 500}, got {'NUT-M6': 500}" in text
    line = next(ln for ln in text.splitlines() if "if item.quantity < item.reorder_point:" in ln)
    assert line.rstrip().endswith("→ True 1×, False 2×")
    line = next(ln for ln in text.splitlines() if "return plan" in ln)
    assert "⟵ returns {'NUT-M6': 500}" in line
    assert "The value {'NUT-M6': 500} was returned by Stock.reorder_plan() (inventory/stock.py:88)." in text


def test_trace_call_json_contract(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n")
    out, doc = semcoder("trace", str(src), "--call", "f(10)", "--json")
    assert out.returncode == 0
    assert {"status", "return_repr", "exception", "lines", "stdout", "duration_s"} <= set(doc)
    assert doc["status"] == "ok" and doc["return_repr"] == "45" and doc["exception"] is None
    lines = doc["lines"][str(src.resolve())]
    assert lines["3"]["hits"] == 11
    assert lines["4"]["states"][-1] == {"total": "45"}


def test_trace_call_human_output_compact_loop(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("def f(n):\n    for i in range(n):\n        pass\n    return n\n")
    out, _ = semcoder("trace", str(src), "--call", "f(10)")
    line = next(ln for ln in out.stdout.splitlines() if "for i in range(n):" in ln)
    assert line.rstrip().endswith("i = 0 → 1 → 2 → 3 … 9 (11×)")
    assert "returned 10" in out.stdout


def test_trace_node_id_json(debug_report):
    node = "tests/test_stats.py::test_percentile_100_is_the_maximum"
    out, doc = semcoder("trace", f"{EXAMPLE}/{node}", "--json")
    assert out.returncode == 0
    assert doc["status"] == "exception" and doc["return_repr"] is None
    assert doc["exception"]["type"] == "IndexError"
    assert doc["test"]["nodeid"] == node and doc["test"]["outcome"] == "failed"


def test_exit_codes_and_errors(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(:\n")
    out, doc = semcoder("trace", str(bad), "--call", "f()", "--json")
    assert out.returncode == 1 and doc["status"] == "syntax-error"
    assert doc["exception"]["type"] == "SyntaxError" and doc["exception"]["line"] == 1
    out, doc = semcoder("trace", f"{EXAMPLE}/tests/test_stats.py::test_nope", "--json")
    assert out.returncode == 1 and doc["status"] == "error"
    out, _ = semcoder("trace", str(tmp_path / "missing.py"), "--call", "f()")
    assert out.returncode == 1 and "no such file" in out.stderr
    out, doc = semcoder("trace", str(tmp_path / "missing.py"), "--call", "f()", "--json")
    assert out.returncode == 1 and doc["status"] == "error" and "no such file" in doc["exception"]["message"]
    assert {"return_repr", "exception", "lines", "stdout", "duration_s"} <= set(doc)
    out, _ = semcoder("frobnicate")
    assert out.returncode == 2
    out, doc = semcoder("trace", str(bad), "--call", "f()", "--timeout", "-1", "--json")
    assert out.returncode == 2 and doc["exception"]["type"] == "UsageError"
    assert "timeout_seconds" in doc["exception"]["message"]


def test_timeout_flag_stops_an_infinite_loop(tmp_path):
    src = tmp_path / "spin.py"
    src.write_text("def spin():\n    n = 0\n    while True:\n        n += 1\n")
    out, doc = semcoder("trace", str(src), "--call", "spin()", "--timeout", "1", "--json")
    assert doc["status"] == "timeout"
    assert doc["exception"]["line"] in (3, 4)
    assert doc["lines"][str(src.resolve())]["4"]["hits"] > 1000


def test_example_project_is_untouched_by_a_debug_run(example_copy):
    before = {p: p.read_bytes() for p in example_copy.rglob("*") if p.is_file()}
    out, _ = semcoder("debug", str(example_copy), "--json")
    assert out.returncode == 0
    after = {p: p.read_bytes() for p in example_copy.rglob("*") if p.is_file()}
    assert after == before


def test_debug_says_when_the_interpreter_has_no_pytest(tmp_path):
    venv = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    out, doc = semcoder("debug", str(EXAMPLE), "--python", str(venv / "bin" / "python"), "--json")
    assert out.returncode == 1
    assert doc["status"] == "error" and doc["exception"]["type"] == "MissingPytest"
    assert "pip install pytest" in doc["exception"]["message"]
    out, _ = semcoder("debug", str(EXAMPLE), "--python", str(venv / "bin" / "python"))
    assert out.returncode == 1 and "pytest is not installed for" in out.stdout


def test_debug_traces_failures_in_one_run_where_a_hang_times_out_alone(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    (tmp_path / "calc.py").write_text(
        "import sys\n\n\ndef add(a, b):\n    return a - b\n\n\ndef spin():\n"
        "    n = 0\n    while sys.gettrace() is not None:  # hangs only when traced\n        n += 1\n    return n\n"
    )
    (tmp_path / "test_calc.py").write_text(
        "from calc import add, spin\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
        "def test_spin():\n    assert spin() == 1\n\n\ndef test_ok():\n    assert add(1, 0) == 1\n\n\n"
        "def test_after():\n    assert add(5, 5) == 10\n"
    )
    out, report = semcoder("debug", str(tmp_path), "--timeout", "2", "--json")
    assert out.returncode == 0, out.stderr
    assert report["summary"] == {"total": 4, "passed": 1, "failed": 3}
    by_node = {t["test"]["nodeid"]: t for t in report["tests"]}
    assert list(by_node) == ["test_calc.py::test_add", "test_calc.py::test_spin", "test_calc.py::test_after"]
    assert by_node["test_calc.py::test_add"]["status"] == "exception"
    assert by_node["test_calc.py::test_add"]["test"]["failure"]["actual"] == "-1"
    spin = by_node["test_calc.py::test_spin"]
    if sys.version_info < (3, 12):  # sys.monitoring leaves sys.gettrace() None: no hang there
        assert spin["status"] == "timeout" and spin["exception"]["line"] in (10, 11)
        assert spin["exception"]["message"].startswith("did not finish within 2 s")
        assert spin["lines"][str(tmp_path / "calc.py")]["11"]["hits"] > 10  # the trace up to the timeout is kept
    # the hang cost its own 2 s, and the tests after it still ran in the same process
    assert by_node["test_calc.py::test_after"]["tests_run"] == 1
    assert by_node["test_calc.py::test_after"]["test"]["failure"]["actual"] == "0"
