"""The tiny loop, short: PyX data from the pipeline, a tokenizer, a small Llama trained for two minutes
with TRL, held-out scoring against the trivial baselines, the GGUF export answering through semcoder's
llama.cpp backend as transformers does, and ``semcoder predict`` with it showing parsed states."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("trl", reason="the tiny loop needs the train extra: pip install 'semcoder[train]'")
pytest.importorskip("datatrove", reason="the tiny loop needs the data extra: pip install 'semcoder[data]'")
pytest.importorskip("llama_cpp", reason="the tiny loop serves its model with llama-cpp-python")

pytestmark = pytest.mark.slow
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny") / "tiny"
    args = ["tiny", "--out", str(out), "--minutes", "2", "--seeds", "400", "--heldout", "20", "--workers", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "semcoder_training.cli", *args], capture_output=True, text=True, timeout=1500, env=ENV
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return out, json.loads(done.stdout.strip().splitlines()[-1])


def test_the_loop_writes_its_model_and_report(loop):
    out, summary = loop
    report = json.loads((out / "report.json").read_text())
    assert set(summary) == {"heldout_exact", "baseline_exact", "train_seconds", "final_loss", "model"}
    assert summary["model"] == str(out / "model.gguf") and (out / "model.gguf").stat().st_size > 100_000
    assert 100 <= report["train_seconds"] <= 150  # two minutes, stopped by the time limit
    assert 0 <= report["heldout_exact"] <= 1 and report["heldout_rows"] >= 5
    assert report["baseline_exact"] == max(report["baselines"]["most_frequent"], report["baselines"]["copy_input"])
    losses = [loss for _, loss in json.loads((out / "run" / "train_report.json").read_text())["losses"]]
    assert losses[-1] < losses[0] / 2  # it learnt the format at least
    rows = report["heldout_rows"]
    # GGUF = transformers: the same answers, or parted only at a near tie, where the two engines' float rounding
    # differs (a wrong export parts by whole units; test_gguf_export pins identical greedy tokens exactly)
    assert report["llama_cpp_same_answer"].endswith(f"/{min(10, rows)}")
    for parted in report["llama_cpp_divergences"]:
        assert parted["margin"] is not None and abs(parted["margin"]) < 0.05, parted


def test_semcoder_predict_with_the_tiny_model_shows_parsed_states(loop, tmp_path):
    """On programs of its own training data the model writes monologues semcoder reads states from (two
    minutes of training on a busy machine do not make every one of them right: some of sixteen programs).
    The programs are functions alone, so that ``predict``, which sends the function and not the module's
    imports, asks the model exactly what it was trained on; sixteen different ones, the shortest."""
    out, _ = loop
    rows = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    rows = sorted((r for r in rows if "becomes" in r["response"] or "initialized" in r["response"]),
                  key=lambda r: len(r["response"]))  # fmt: skip
    chosen: dict[str, tuple[str, dict]] = {}  # program -> (its code, one of its rows)
    for row in rows:
        code = row["fwd_mnl"].split("[PYTHON]\n", 1)[1].rsplit("\nassert ", 1)[0]
        code = "\n".join(line.rsplit(" # [L", 1)[0] for line in code.splitlines()) + "\n"
        if code.startswith("def ") and len(chosen) < 16:
            chosen.setdefault(row["id"].rsplit("_ipt", 1)[0], (code, row))
    assert len(chosen) == 16
    parsed = []
    for n, (code, row) in enumerate(chosen.values()):
        call = row["response"].rsplit("[ANSWER]\nassert ", 1)[1].split(" == ")[0]
        (tmp_path / f"mod{n}.py").write_text(code)
        done = subprocess.run(
            [sys.executable, "-m", "semcoder_core.cli", "predict", str(tmp_path / f"mod{n}.py"), "--call", call,
             "--backend", "llama-cpp", "--model-path", str(out / "model.gguf"), "--max-tokens", "400", "--json"],
            capture_output=True, text=True, timeout=300, cwd=tmp_path,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        doc = json.loads(done.stdout)
        assert doc["model"].startswith("llama-cpp:") and doc["observed_return"] is not None
        assert doc["status"] in ("ok", "no-answer")  # a prediction, labelled as one, beside the real run
        predicted = next(iter(doc["predicted_lines"].values()))
        if predicted:
            parsed.append((predicted, doc["agreement"]))
    assert parsed, "no monologue of the tiny model gave a state semcoder could read"
    assert all(sum(agreement.values()) > 0 for _, agreement in parsed)  # each checked against the real run
