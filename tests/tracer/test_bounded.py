"""A million-iteration loop gives a small trace with exact counts and the true final state."""

import json

from semcoder_core.sandbox import Limits, Sandbox

LOOP = """\
def churn(n):
    total = 0
    for i in range(n):
        x = i * 2
        total += x
    return total
"""


def test_million_iterations_small_trace_exact_counts(tmp_path):
    (tmp_path / "work.py").write_text(LOOP)
    result = Sandbox(tmp_path, limits=Limits(timeout_s=60)).trace_call(tmp_path / "work.py", "churn(10**6)")
    assert result["status"] == "ok"
    assert result["return_repr"] == str(sum(2 * i for i in range(10**6)))
    size = len(json.dumps(result).encode())
    assert size < 1_000_000, size
    lines = result["lines"][str(tmp_path / "work.py")]
    assert lines["3"]["hits"] == 10**6 + 1
    assert lines["4"]["hits"] == 10**6
    assert lines["5"]["hits"] == 10**6
    # first K states kept, then the true last one
    assert [s["x"] for s in lines["4"]["states"]][:3] == ["0", "2", "4"]
    assert lines["4"]["states"][-1] == {"x": str(2 * (10**6 - 1))}
    assert lines["5"]["states"][-1] == {"total": result["return_repr"]}
    assert lines["3"]["states"][-1] == {"i": str(10**6 - 1)}
    assert len(lines["5"]["states"]) <= 11
