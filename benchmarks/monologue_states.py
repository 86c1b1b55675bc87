"""How right are the states we read out of SemCoder's forward monologues? Measured against real traces.

    python benchmarks/monologue_states.py [--file F] [--json] [--mismatches]

For every sample of a recorded CRUXEval-O monologue file (``../shared/data/recorded-generations``), the
sample's program is written to a temporary folder and the real call is traced with our tracer. Each
state the extractor (``semcoder_core.prompts.monologue.extract_states``) reads out of the completion is
compared with what the run really did:

- value precision: the variable really took that value somewhere in the run (at any line, or as an
  argument of the call);
- line precision: among states with a line, the variable took that value AT that line (the def line
  counts the call's arguments);
- coverage: samples with at least one state, and executed lines (lines with hits) that got one.

Values are compared by ``ast.literal_eval`` equality when both sides parse, else as text with ``'``
and ``"`` made the same (the prompts had every ``'`` replaced by ``"``). Each number is given over all
samples and over the samples whose final answer is right (CRUXEval's scoring: ``{code}\\nassert
{output} == {answer}`` in a fresh process with a time limit). The naive extractor (backticked
"`x` becomes `v`" phrases, line = last label cited before) is measured the same way, side by side.

The functions are importable (``tests/prompts/test_monologue.py`` loads this file by path).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from semcoder_core.prompts.answers import extract_answer  # noqa: E402
from semcoder_core.prompts.formats import label_to_line  # noqa: E402
from semcoder_core.prompts.monologue import PredictedState, extract_states, predicted_lines  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "recorded-generations"
DEFAULT_FILE = DATA / "cruxeval_output__semcoder_1030_monologue.json"
DATASET = DATA / "cruxeval_renamed.jsonl"
TARGETS = {"value_precision": 0.98, "line_precision": 0.85, "sample_coverage": 0.90}
SCORE_TIMEOUT_S = 5.0


# --------------------------------------------------------------------------------------------------
# data


def load_samples(file: Path = DEFAULT_FILE, dataset: Path = DATASET) -> list[dict]:
    """One dict per sample of ``file``: id, code (the dataset's, original quotes), input, output, raw,
    completion (the text after the first ``[MONOLOGUE]\\n``, or after the last ``[THOUGHT]\\n``)."""
    rows = {}
    for line in dataset.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows["sample_" + row["task_id"].split("/")[1]] = row
    generations = json.loads(file.read_text())
    samples = []
    for ident, raws in generations.items():
        raw = raws[0]
        row = rows[ident]
        marker = raw.find("[MONOLOGUE]\n")
        if marker >= 0:
            completion = raw[marker + len("[MONOLOGUE]\n") :]
        else:
            marker = raw.rfind("[THOUGHT]\n")
            completion = raw[marker + len("[THOUGHT]\n") :] if marker >= 0 else raw
        samples.append(
            {
                "id": ident,
                "code": row["prompt"],
                "input": row["input"],
                "output": row["output"],
                "entry_point": row.get("entry_point") or "operation_to_perform",
                "raw": raw,
                "completion": completion,
            }
        )
    samples.sort(key=lambda s: int(s["id"].split("_")[1]))
    return samples


# --------------------------------------------------------------------------------------------------
# scoring the final answers (CRUXEval's way)


def _passes(code: str, output: str, answer: Optional[str], timeout_s: float) -> bool:
    if answer is None:
        return False
    program = f"{code}\nassert {output} == {answer}\n"
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", program],
            capture_output=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def score(samples: list[dict], timeout_s: float = SCORE_TIMEOUT_S, workers: int = 4) -> dict[str, bool]:
    """{id: the final answer is right}."""
    with ThreadPoolExecutor(workers) as pool:
        results = pool.map(
            lambda s: _passes(s["code"], s["output"], extract_answer(s["raw"], "output"), timeout_s), samples
        )
        return {s["id"]: ok for s, ok in zip(samples, results)}


# --------------------------------------------------------------------------------------------------
# tracing the real runs


def trace(samples: list[dict], folder: Path, batches: int = 2) -> dict[str, dict]:
    """{id: trace_doc} of the real call of each sample, states uncapped (1000 per line, long reprs)."""
    from semcoder_core.config import Settings

    settings = Settings.model_validate({"trace": {"max_states_per_line": 1000, "max_repr": 100_000}})
    sandbox = settings.sandbox(folder)
    items = []
    for sample in samples:
        path = folder / f"{sample['id']}.py"
        path.write_text(sample["code"] + "\n")
        items.append((sample["id"], str(path), f"{sample['entry_point']}({sample['input']})"))
    size = max(1, -(-len(items) // batches))
    chunks = [items[i : i + size] for i in range(0, len(items), size)]
    docs: dict[str, dict] = {}
    with ThreadPoolExecutor(len(chunks) or 1) as pool:
        for part in pool.map(lambda chunk: sandbox.trace_calls(chunk, timeout_s=10), chunks):
            docs.update(part)
    for sample in samples:
        docs[sample["id"]]["file"] = str((folder / f"{sample['id']}.py").resolve())
    return docs


def observed(doc: dict) -> tuple[dict[int, dict[str, list[str]]], dict[str, list[str]], set[int]]:
    """(values per line per variable, values per variable anywhere, executed lines) of one trace.
    The call's arguments count as states of the def line."""
    per_line: dict[int, dict[str, list[str]]] = {}
    anywhere: dict[str, list[str]] = {}
    executed: set[int] = set()
    path = doc.get("file")
    lines = doc.get("lines", {})
    if path not in lines and len(lines) == 1:
        path = next(iter(lines))  # the one traced file, wherever the sandbox ran it
    for lineno, entry in lines.get(path, {}).items():
        line = int(lineno)
        if entry.get("hits"):
            executed.add(line)
        for state in entry.get("states", []):
            for var, value in state.items():
                per_line.setdefault(line, {}).setdefault(var, []).append(value)
                anywhere.setdefault(var, []).append(value)
    for call in doc.get("calls", []):
        if path and call.get("file") not in (None, path):
            continue
        for record in call.get("records", []):
            for var, value in (record.get("args") or {}).items():
                per_line.setdefault(call["line"], {}).setdefault(var, []).append(value)
                anywhere.setdefault(var, []).append(value)
    return per_line, anywhere, executed


# --------------------------------------------------------------------------------------------------
# comparing values

_NOT = object()


def _parse(text: str):
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _NOT


def _text(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("'", '"')).strip()


def same_value(predicted: str, real: str) -> bool:
    a, b = _parse(predicted), _parse(real)
    if a is not _NOT and b is not _NOT:
        try:
            return bool(a == b)
        except Exception:  # noqa: BLE001
            return False
    return _text(predicted) == _text(real)


def _took(values: list[str], value: str) -> bool:
    return any(same_value(value, real) for real in values)


# --------------------------------------------------------------------------------------------------
# the naive baseline

_NAIVE_LABEL = re.compile(r"\[L(\d+)\]")
_NAIVE_PHRASE = re.compile(
    r"`([A-Za-z_]\w*)`\s+(?:becomes|is now|is updated to|is set to|is initialized to|is incremented to|"
    r"is decremented to|is assigned)\s+`([^`\n]+)`"
    r"|`([A-Za-z_]\w*)\s*=\s*([^`=\n][^`\n]*)`"
)


def naive_states(completion: str, code: Optional[str] = None) -> list[PredictedState]:
    """Backticked "`x` becomes `v`" / "`x = v`" phrases anywhere in the completion's simulation, values
    that parse as literals, line = the last label cited before the phrase."""
    from semcoder_core.prompts.monologue import simulation_section

    text = simulation_section(completion)
    labels = [(m.start(), int(m.group(1))) for m in _NAIVE_LABEL.finditer(text)]
    states = []
    for step, match in enumerate(_NAIVE_PHRASE.finditer(text)):
        var = match.group(1) or match.group(3)
        raw = match.group(2) if match.group(1) else match.group(4)
        value = _parse(raw)
        if value is _NOT or value is Ellipsis:
            continue
        cited = [label for pos, label in labels if pos < match.start()]
        line = label_to_line(cited[-1]) if cited else None
        states.append(PredictedState(step, line, var, repr(value), raw))
    return states


# --------------------------------------------------------------------------------------------------
# the measurement

Extractor = Callable[[str, Optional[str]], list[PredictedState]]


def judge(states: list[PredictedState], doc: dict) -> list[dict]:
    """One verdict per state: value_ok (the variable took the value somewhere), line_ok (at that line;
    None for states without a line)."""
    per_line, anywhere, _ = observed(doc)
    verdicts = []
    for state in states:
        value_ok = _took(anywhere.get(state.variable, []), state.value)
        line_ok = None
        if state.line is not None:
            line_ok = _took(per_line.get(state.line, {}).get(state.variable, []), state.value)
        verdicts.append({"state": state, "value_ok": value_ok, "line_ok": line_ok})
    return verdicts


def summarize(samples: list[dict], extracted: dict[str, list[PredictedState]], docs: dict[str, dict]) -> dict:
    states = value_ok = with_line = line_ok = samples_with = executed_total = executed_covered = 0
    for sample in samples:
        found = extracted[sample["id"]]
        doc = docs[sample["id"]]
        verdicts = judge(found, doc)
        states += len(verdicts)
        value_ok += sum(v["value_ok"] for v in verdicts)
        with_line += sum(v["line_ok"] is not None for v in verdicts)
        line_ok += sum(bool(v["line_ok"]) for v in verdicts)
        samples_with += bool(found)
        executed = observed(doc)[2]
        covered = set(predicted_lines(found))
        executed_total += len(executed)
        executed_covered += len(executed & covered)
    n = len(samples)
    return {
        "samples": n,
        "states": states,
        "states_with_line": with_line,
        "value_precision": value_ok / states if states else 0.0,
        "line_precision": line_ok / with_line if with_line else 0.0,
        "samples_with_states": samples_with,
        "sample_coverage": samples_with / n if n else 0.0,
        "executed_lines": executed_total,
        "line_coverage": executed_covered / executed_total if executed_total else 0.0,
    }


def measure(file: Path = DEFAULT_FILE, folder: Optional[Path] = None, batches: int = 2) -> dict:
    """Trace, score and compare; returns {"ours"|"naive": {"all"|"correct": summary}, "correct": n, ...}."""
    started = time.perf_counter()
    samples = load_samples(file)
    with tempfile.TemporaryDirectory(prefix="monologue-states-") as tmp:
        work = Path(folder or tmp)
        with ThreadPoolExecutor(1) as pool:
            scoring = pool.submit(score, samples)
            docs = trace(samples, work, batches=batches)
            correct = scoring.result()
    extractors: dict[str, Extractor] = {"ours": extract_states, "naive": naive_states}
    result: dict = {
        "file": str(file),
        "samples": len(samples),
        "correct": sum(correct.values()),
        "traced_ok": sum(docs[s["id"]].get("status") == "ok" for s in samples),
    }
    right = [s for s in samples if correct[s["id"]]]
    for name, extractor in extractors.items():
        extracted = {s["id"]: extractor(s["completion"], s["code"]) for s in samples}
        result[name] = {"all": summarize(samples, extracted, docs), "correct": summarize(right, extracted, docs)}
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def mismatches(file: Path = DEFAULT_FILE, only_correct: bool = True) -> list[dict]:
    """The states that fail a check, with the sample and the observed values: for looking at errors."""
    samples = load_samples(file)
    with tempfile.TemporaryDirectory(prefix="monologue-states-") as tmp:
        docs = trace(samples, Path(tmp))
    correct = score(samples) if only_correct else {s["id"]: True for s in samples}
    out = []
    for sample in samples:
        if not correct[sample["id"]]:
            continue
        per_line, anywhere, _ = observed(docs[sample["id"]])
        for verdict in judge(extract_states(sample["completion"], sample["code"]), docs[sample["id"]]):
            if not verdict["value_ok"] or verdict["line_ok"] is False:
                state = verdict["state"]
                out.append(
                    {
                        "id": sample["id"],
                        "state": state,
                        "value_ok": verdict["value_ok"],
                        "line_ok": verdict["line_ok"],
                        "at_line": per_line.get(state.line, {}).get(state.variable),
                        "anywhere": anywhere.get(state.variable),
                    }
                )
    return out


def _table(result: dict) -> str:
    rows = [
        ("value precision", "value_precision", "{:.1%}"),
        ("line precision", "line_precision", "{:.1%}"),
        ("samples with states", "samples_with_states", "{}"),
        ("sample coverage", "sample_coverage", "{:.1%}"),
        ("executed lines covered", "line_coverage", "{:.1%}"),
        ("states", "states", "{}"),
        ("states with a line", "states_with_line", "{}"),
    ]
    n_all, n_right = result["samples"], result["correct"]
    head = f"{'':24} | {'ours, all':>11} | {'naive, all':>11} | {'ours, right':>11} | {'naive, right':>12}"
    lines = [
        f"{result['file']}",
        f"{n_all} samples, {n_right} with the right answer ({n_right / n_all:.1%}), "
        f"{result['traced_ok']} traced ok, {result['seconds']} s",
        "",
        head,
        "-" * len(head),
    ]
    for title, key, fmt in rows:
        cells = [fmt.format(result[who][part][key]) for part in ("all", "correct") for who in ("ours", "naive")]
        lines.append(f"{title:24} | {cells[0]:>11} | {cells[1]:>11} | {cells[2]:>11} | {cells[3]:>12}")
    lines.append("")
    for key, target in TARGETS.items():
        got = result["ours"]["correct"][key]
        lines.append(f"target {key} >= {target:.0%} on right answers: {got:.1%} {'PASS' if got >= target else 'MISS'}")
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="a recorded output-prediction file")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--mismatches", action="store_true", help="list failing states of right-answer samples")
    args = parser.parse_args(argv)
    if args.mismatches:
        for item in mismatches(args.file):
            state = item["state"]
            print(
                f"{item['id']} L{state.line} {state.variable}={state.value} value_ok={item['value_ok']} "
                f"at_line={item['at_line']} anywhere={(item['anywhere'] or [])[:6]}"
            )
        return 0
    result = measure(args.file)
    print(json.dumps(result, indent=2) if args.json else _table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
