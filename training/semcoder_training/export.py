"""``export``: the rows in the public PyX / PyX-R schemas, the statistics, and a dataset card.

Writes, under ``DIR/export/``: ``pyx.jsonl`` and ``pyx_r.jsonl`` (sorted by id / fault, so a resumed
run writes the same bytes as an uninterrupted one), ``pyx.parquet`` / ``pyx_r.parquet``, a Hugging
Face ``datasets`` copy (``hf/``, ``load_from_disk``), ``stats.json`` (per stage: programs in and out,
rejections by reason, seconds; rows per kind; lengths) and ``README.md`` (the card) with
``lengths.png``. Both JSONL files load with ``datasets.load_dataset("json", data_files=...)``.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path
from typing import Optional

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from semcoder_core.prompts.formats import backward_monologue, forward_monologue

from .rows import ENTRY, Program, PyXRow, PyXRRow, from_document

STAGE_ORDER = ("seeds", "synthesize", "filter", "inputs", "trace", "monologue", "pyx-r", "decontaminate")


def program_rows(program: Program) -> list[PyXRow]:
    """The PyX rows of one program: its NL→code row (when it has a problem statement), then a forward
    and a backward monologue row per input (ids ``fwd_mnl_<program>_ipt<k>`` as in PyX)."""
    rows: list[PyXRow] = []
    if program.nl:
        rows.append(PyXRow(id=f"nl_{program.id}", nl=program.nl, response=f"```python\n{program.code}```"))
    for k, run in enumerate(program.runs):
        fwd = program.forward[k] if k < len(program.forward) else None
        bwd = program.backward[k] if k < len(program.backward) else None
        if fwd:
            prompt = forward_monologue(program.code, run.call)
            rows.append(PyXRow(id=f"fwd_mnl_{program.id}_ipt{k}", fwd_mnl=prompt, response=fwd))
        if bwd:
            prompt = backward_monologue(program.code, ENTRY, run.output)
            rows.append(PyXRow(id=f"bwd_mnl_{program.id}_ipt{k}", bwd_mnl=prompt, response=bwd))
    return rows


_KIND_ORDER = {"nl": 0, "fwd": 1, "bwd": 2}


def _row_order(row: PyXRow) -> tuple:
    kind, _, rest = row.id.partition("_mnl_" if "_mnl_" in row.id else "_")
    program, _, ipt = rest.partition("_ipt")
    return (program, int(ipt or -1), _KIND_ORDER[kind])


def stage_stats(logs: Path) -> dict:
    """Per stage, summed over its tasks' datatrove statistics: counters and seconds."""
    out: dict = {}
    for stage in STAGE_ORDER:
        folder = logs / stage / "stats"
        if not folder.is_dir():
            continue
        counters: Counter = Counter()
        seconds = 0.0
        for file in sorted(folder.glob("*.json")):
            for step in json.loads(file.read_text()):
                seconds += float((step.get("time_stats") or {}).get("total", 0.0))
                for key, value in (step.get("stats") or {}).items():
                    if "-id/" in key:
                        continue
                    counters[key] += int(value.get("total", 0)) if isinstance(value, dict) else int(value)
        rejected = {k.split("/", 1)[1]: v for k, v in sorted(counters.items()) if k.startswith("rejected/")}
        out[stage] = {
            "in": counters.get("in", counters.get("seeds", 0)),
            "out": counters.get("out", counters.get("seeds", 0)),
            "rejected": rejected,
            "counters": {k: v for k, v in sorted(counters.items()) if not k.startswith("rejected/")},
            "seconds": round(seconds, 2),
        }
    return out


class ExportStep(PipelineStep):
    """Run as one task: gathers every program, writes the files."""

    name = "export"
    type = "📦 - EXPORT"

    def __init__(self, out: str, logs: str, started: Optional[float] = None) -> None:
        super().__init__()
        self.out, self.logs, self.started = out, logs, started

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        pyx: list[PyXRow] = []
        pyx_r: list[PyXRRow] = []
        programs = 0
        for doc in data or ():
            program = from_document(doc)
            programs += 1
            pyx.extend(program_rows(program))
            pyx_r.extend(PyXRRow(fault=r["fault"], response=r["response"]) for r in program.refine)
        # a program's rows together (NL, then each input's forward and backward): a reader that infers the
        # schema from the first block of the file (``datasets``' JSON loader) sees every field filled in it
        pyx.sort(key=_row_order)
        pyx_r.sort(key=lambda r: (r.fault, r.response))
        self.stat_update("rows/pyx", value=len(pyx))
        self.stat_update("rows/pyx-r", value=len(pyx_r))
        removed = [
            json.loads(line)
            for file in sorted((Path(self.out).parent / "reports").glob("removed-*.jsonl"))
            for line in file.read_text(encoding="utf-8").splitlines()
        ]
        write_export(Path(self.out), pyx, pyx_r, programs, stage_stats(Path(self.logs)), removed)
        return
        yield


def write_export(
    out: Path, pyx: list[PyXRow], pyx_r: list[PyXRRow], programs: int, stages: dict, removed: list[dict]
) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    removed = sorted(removed, key=lambda r: r["program"])
    (out / "decontamination.json").write_text(json.dumps({"removed": removed}, indent=2) + "\n", encoding="utf-8")
    _jsonl(out / "pyx.jsonl", [r.model_dump() for r in pyx])
    _jsonl(out / "pyx_r.jsonl", [r.model_dump() for r in pyx_r])
    kinds = Counter(_kind(r) for r in pyx)
    lengths = {kind: [len(r.response) for r in pyx if _kind(r) == kind] for kind in ("nl", "fwd_mnl", "bwd_mnl")} | {
        "pyx_r": [len(r.response) for r in pyx_r]
    }
    stats = {
        "programs": programs,
        "rows": {"pyx": len(pyx), **dict(sorted(kinds.items())), "pyx_r": len(pyx_r)},
        "stages": stages,
        "response_chars": {k: _summary(v) for k, v in lengths.items()},
    }
    (out / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    _hf_copies(out)
    plot = _plot(out / "lengths.png", lengths)
    (out / "README.md").write_text(_card(stats, plot, removed), encoding="utf-8")
    return stats


def _kind(row: PyXRow) -> str:
    return "nl" if row.nl else "fwd_mnl" if row.fwd_mnl else "bwd_mnl"


def _jsonl(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _summary(values: list[int]) -> dict:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    return {
        "count": len(values),
        "min": ordered[0],
        "median": ordered[len(ordered) // 2],
        "p90": ordered[int(len(ordered) * 0.9)],
        "max": ordered[-1],
    }


def _hf_copies(out: Path) -> None:
    """Parquet files and a ``datasets`` folder next to the JSONL (skipped when a file has no rows)."""
    from datasets import Dataset, Features, Value

    for name in ("pyx", "pyx_r"):
        path = out / f"{name}.jsonl"
        if path.stat().st_size == 0:
            continue
        columns = PyXRow.model_fields if name == "pyx" else PyXRRow.model_fields
        features = Features({column: Value("string") for column in columns})
        with tempfile.TemporaryDirectory() as cache:  # datasets' Arrow cache: not part of the export
            dataset = Dataset.from_json(str(path), features=features, cache_dir=cache)
            dataset.to_parquet(str(out / f"{name}.parquet"))
            dataset.save_to_disk(str(out / "hf" / name))


def _plot(path: Path, lengths: dict[str, list[int]]) -> Optional[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for kind, values in lengths.items():
        if values:
            ax.hist(values, bins=40, alpha=0.5, label=f"{kind} ({len(values)})")
    ax.set_xlabel("response length (characters)")
    ax.set_ylabel("rows")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def _card(stats: dict, plot: Optional[str], removed: list[dict]) -> str:
    rows = stats["rows"]
    lines = [
        "# PyX / PyX-R rows made by semcoder-train",
        "",
        "Programs, inputs and monologues verified by execution in a sandbox (semcoder's tracer).",
        "Schemas: PyX `id, nl, fwd_mnl, bwd_mnl, response`; PyX-R `fault, response`.",
        "",
        f"- programs: {stats['programs']}",
        f"- PyX rows: {rows['pyx']} (nl {rows.get('nl', 0)}, forward {rows.get('fwd_mnl', 0)}, "
        f"backward {rows.get('bwd_mnl', 0)})",
        f"- PyX-R rows: {rows['pyx_r']}",
        "",
        "## Stages",
        "",
        "| stage | in | out | seconds | rejected (reason: count) |",
        "|---|---|---|---|---|",
    ]
    for stage, s in stats["stages"].items():
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(s["rejected"].items(), key=lambda kv: -kv[1])) or "-"
        lines.append(f"| {stage} | {s['in']} | {s['out']} | {s['seconds']} | {reasons} |")
    lines += [
        "",
        "## Response lengths (characters)",
        "",
        "| kind | count | median | p90 | max |",
        "|---|---|---|---|---|",
    ]
    for kind, s in stats["response_chars"].items():
        if s.get("count"):
            lines.append(f"| {kind} | {s['count']} | {s['median']} | {s['p90']} | {s['max']} |")
    if plot:
        lines += ["", f"![response lengths]({plot})"]
    lines += ["", "## Decontamination", "", f"{len(removed)} program(s) removed (`decontamination.json`)."]
    lines += [f"- `{r['origin']}`: {r['reason']}" for r in removed[:20]]
    return "\n".join(lines) + "\n"
