"""The tracer must not change what code computes: every CRUXEval sample, traced, returns its recorded output."""

import ast
import json

from semcoder_core.sandbox import Limits, Sandbox


def _value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return ("<not a literal>", text)


def test_all_800_samples_return_their_output(shared_data, tmp_path):
    samples = [json.loads(line) for line in (shared_data / "cruxeval" / "cruxeval.jsonl").read_text().splitlines()]
    assert len(samples) == 800
    items = []
    for sample in samples:
        path = tmp_path / f"{sample['id']}.py"
        path.write_text(sample["code"] + "\n")
        items.append((sample["id"], str(path), f"f({sample['input']})"))
    sandbox = Sandbox(tmp_path, limits=Limits(timeout_s=10, memory_mb=2048))
    results = sandbox.trace_calls(items, timeout_s=10)

    mismatches = []
    for sample in samples:
        result = results[sample["id"]]
        if result["status"] != "ok" or _value(result["return_repr"]) != _value(sample["output"]):
            mismatches.append((sample["id"], result["status"], result["return_repr"], sample["output"]))
    assert len(mismatches) <= 1, mismatches[:10]
    # The traces are real: every sample ran its function's first line.
    assert all(results[s["id"]]["lines"] for s in samples)
