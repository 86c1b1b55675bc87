"""JSON Lines reading, shared by the evaluation data, the generations and the training pipeline."""

from __future__ import annotations

import pytest

from semcoder_core.evaluation import cruxeval
from semcoder_core.evaluation.cruxeval import DatasetError
from semcoder_core.jsonl import JsonlError, read_jsonl


def test_lines_are_numbered_blank_ones_skipped_and_a_bad_one_named(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n\n  \n[2, 3]\n{"b": \n', encoding="utf-8")
    rows = read_jsonl(path)
    assert next(rows) == (1, {"a": 1}) and next(rows) == (4, [2, 3])
    with pytest.raises(JsonlError, match=r"rows.jsonl:5: not a JSON line"):
        next(rows)


def test_a_broken_cruxeval_file_says_where(tmp_path):
    path = tmp_path / "cruxeval.jsonl"
    path.write_text('{"code": "def f(x): return x", "input": "1", "output": "1", "id": "s0"}\n{oops\n')
    with pytest.raises(DatasetError, match=r"cruxeval.jsonl:2: not a JSON line .*expected CRUXEval rows"):
        cruxeval.load_problems(path)
    path.write_text('{"code": "def f(x): return x", "input": "1"}\n')
    with pytest.raises(DatasetError, match=r"cruxeval.jsonl:1: not a CRUXEval row"):
        cruxeval.load_problems(path)
