"""The pipeline's stages as datatrove steps.

Each step reads programs (datatrove ``Document``s, see ``rows.to_document``), works on them in batches
(one sandboxed :class:`~semcoder_training.execute.Runner` per task, so a batch of calls costs one
warmed interpreter, not one per call) and yields the programs it keeps. Every program a step drops is
counted under its reason with datatrove's ``stat_update`` (``rejected/<reason>``), so the per-step
statistics datatrove writes are also the rejection report.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Optional

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from loguru import logger

from . import inputs as _inputs
from .execute import Outcome, Runner
from .programs import from_seed, static_rejection
from .rows import Program, Run, from_document, to_document
from .seeds import Seed, iter_seeds


class SeedsStep(PipelineStep):
    """``seeds``: the first ``limit`` seeds of ``source``, tagged with the shard each will be processed in."""

    name = "seeds"
    type = "🌱 - SEEDS"

    def __init__(self, source: str = "stdlib", limit: int = 100, shards: int = 1) -> None:
        super().__init__()
        self.source, self.limit, self.shards = source, limit, shards

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from datatrove.data import Document

        for n, seed in enumerate(itertools.islice(iter_seeds(self.source), self.limit)):
            if n % world_size != rank:
                continue
            self.stat_update("seeds")
            yield Document(
                text=seed.code,
                id=f"seed{n:07d}",
                metadata={
                    "entry": seed.entry,
                    "origin": seed.origin,
                    "docstring": seed.docstring,
                    "shard": f"{n % self.shards:05d}",
                },
            )


class _ProgramStep(PipelineStep):
    """Batches of programs through :meth:`process`; a Runner for the task is made on first use."""

    batch_size = 32

    def __init__(self, isolation: str = "auto", allow_copy: bool = False, timeout_s: float = 2.0) -> None:
        super().__init__()
        self.isolation, self.allow_copy, self.timeout_s = isolation, allow_copy, timeout_s
        self._runner: Optional[Runner] = None

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            self._runner = Runner(self.isolation, self.allow_copy, timeout_s=self.timeout_s)
        return self._runner

    def rerun(self, programs: list[Program], chosen: dict[str, list[tuple[str, Outcome]]]) -> dict[str, Outcome]:
        """The chosen inputs once more, in a new process (string hashing differs between processes, so a
        set's order that changes shows up here); keys ``<program id>#<index in chosen>``."""
        return self.runner.run(
            [(f"{p.id}#{i}", p.code, a) for p in programs if p.id in chosen for i, (a, _) in enumerate(chosen[p.id])]
        )

    def reject(self, reason: str, n: int = 1) -> None:
        self.stat_update(f"rejected/{reason}", value=n)

    def process(self, programs: list[Program]) -> Iterable[Program]:
        raise NotImplementedError

    def read(self, doc) -> Program:
        return from_document(doc)

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        try:
            batch: list[Program] = []
            for doc in data or ():
                self.stat_update("in")
                program = self.read(doc)
                if program is None:
                    continue
                batch.append(program)
                if len(batch) >= self.batch_size:
                    yield from self._emit(batch)
                    batch = []
            if batch:
                yield from self._emit(batch)
        finally:
            if self._runner is not None:
                self._runner.close()
                self._runner = None

    def _emit(self, batch: list[Program]) -> Iterator:
        with self.track_time(unit="batch"):
            kept = list(self.process(batch))
        for program in kept:
            self.stat_update("out")
            yield to_document(program)


class SynthesizeStep(_ProgramStep):
    """``synthesize``: a program from each seed. Without a model the seed itself becomes the program
    (entry renamed to ``f``, its docstring as the problem); with one, see ``synthesis.py``."""

    name = "synthesize"
    type = "✍️ - SYNTH"

    def __init__(self, model: Optional[dict] = None, **kw) -> None:
        super().__init__(**kw)
        self.model = model

    def read(self, doc) -> Program:
        meta = doc.metadata
        seed = Seed(code=doc.text, entry=meta["entry"], origin=meta["origin"], docstring=meta.get("docstring"))
        return seed  # type: ignore[return-value]  # process() takes seeds

    def process(self, seeds: list) -> Iterable[Program]:
        if self.model:
            from .synthesis import synthesize_programs

            yield from synthesize_programs(seeds, self.model, self.reject)
            return
        for seed in seeds:
            program, reason = from_seed(seed)
            if program is None:
                self.reject(reason or "unknown")
            else:
                yield program


def _dominant(outcomes: Iterable[Outcome]) -> str:
    counts = Counter(o.status for o in outcomes if not o.ok)
    status = counts.most_common(1)[0][0] if counts else "no-input"
    return {
        "exception": "raises",
        "timeout": "slow",
        "memory-limit": "memory",
        "huge": "huge-output",
        "not-literal": "output-not-literal",
        "too-long": "too-long",
        "crashed": "crashed",
    }.get(status, status)


class FilterStep(_ProgramStep):
    """``filter``: parse, refuse programs that would touch the world, run the first guessed (or the
    model's proposed) inputs twice, in two processes, and keep the program when at least one input
    returns a literal the same way both times."""

    name = "filter"
    type = "🔻 - FILTER"

    def __init__(self, first_inputs: int = 8, keep: int = 3, **kw) -> None:
        super().__init__(**kw)
        self.first_inputs, self.keep = first_inputs, keep

    def process(self, programs: list[Program]) -> Iterable[Program]:
        candidates: dict[str, list[str]] = {}
        code_of = {p.id: p.code for p in programs}
        for program in programs:
            reason = static_rejection(program.code)
            if reason:
                self.reject(reason)
                continue
            proposed = [r.args for r in program.runs if r.origin == "model"]
            args = list(dict.fromkeys([*proposed, *_inputs.guesses(program.code, program.id, self.first_inputs)]))
            if not args:
                self.reject("no-parameters")
                continue
            candidates[program.id] = args
        # The first input alone first: a program that hangs on it is dropped as slow before its other
        # inputs each wait out the limit too.
        first = self.runner.run([(f"{pid}#0", code_of[pid], args[0]) for pid, args in candidates.items()])
        for pid in list(candidates):
            if first[f"{pid}#0"].status == "timeout":
                self.reject("slow")
                del candidates[pid]
        first.update(
            self.runner.run(
                [(f"{pid}#{i}", code_of[pid], a) for pid, args in candidates.items() for i, a in enumerate(args) if i]
            )
        )
        chosen: dict[str, list[tuple[str, Outcome]]] = {}
        for program in programs:
            if program.id not in candidates:
                continue
            outcomes = [(a, first[f"{program.id}#{i}"]) for i, a in enumerate(candidates[program.id])]
            picked = _new_behaviour([], [(a, o) for a, o in outcomes if o.ok], self.keep)
            if not picked:
                self.reject(_dominant(o for _, o in outcomes))
                continue
            if all(o.output == "None" for _, o in picked):
                self.reject("returns-none")  # works by side effect: nothing for a monologue to predict
                continue
            chosen[program.id] = picked
        again = self.rerun(programs, chosen)
        for program in programs:
            if program.id not in chosen:
                continue
            if any(again[f"{program.id}#{i}"].output != o.output for i, (_, o) in enumerate(chosen[program.id])):
                self.reject("nondeterministic")
                continue
            origin = {r.args: r.origin for r in program.runs}
            program.runs = [
                Run(args=a, output=o.output or "", lines=o.lines, steps=o.steps, origin=origin.get(a, "guess"))
                for a, o in chosen[program.id]
            ]
            yield program


def _new_behaviour(known: list[Run], outcomes: list[tuple[str, Outcome]], limit: int) -> list[tuple[str, Outcome]]:
    """Greedily, the outcomes that cover a line not covered yet or give an output not seen yet."""
    lines = {n for r in known for n in r.lines}
    outputs = {r.output for r in known}
    picked = []
    for args, outcome in outcomes:
        if len(picked) >= limit:
            break
        new_lines = set(outcome.lines) - lines
        if new_lines or outcome.output not in outputs:
            picked.append((args, outcome))
            lines |= new_lines
            outputs.add(outcome.output)
    return picked


class InputsStep(_ProgramStep):
    """``inputs``: mutate the inputs that ran (and take the model's other proposals); keep an input
    only when it adds behaviour (a new line covered or a new output) and runs the same way twice."""

    name = "inputs"
    type = "🎲 - INPUTS"

    def __init__(self, max_inputs: int = 8, per_input: int = 6, rounds: int = 2, **kw) -> None:
        super().__init__(**kw)
        self.max_inputs, self.per_input, self.rounds = max_inputs, per_input, rounds

    def process(self, programs: list[Program]) -> Iterable[Program]:
        for round_ in range(self.rounds):
            self._round(programs, round_)
        for program in programs:
            self.stat_update("inputs/runs", value=len(program.runs))
            yield program

    def _round(self, programs: list[Program], round_: int) -> None:
        """One round: mutations of every input kept so far (the first round also takes more guesses)."""
        candidates: dict[str, list[str]] = {}
        for program in programs:
            have = {r.args for r in program.runs}
            pool = [m for r in program.runs for m in _inputs.mutations(r.args, program.id, self.per_input)]
            if round_ == 0:
                pool += _inputs.guesses(program.code, program.id, 12)
            room = self.max_inputs - len(program.runs)
            candidates[program.id] = [a for a in dict.fromkeys(pool) if a not in have] if room > 0 else []
        first = self.runner.run([(f"{p.id}#{i}", p.code, a) for p in programs for i, a in enumerate(candidates[p.id])])
        chosen: dict[str, list[tuple[str, Outcome]]] = {}
        for program in programs:
            outcomes = [(a, first[f"{program.id}#{i}"]) for i, a in enumerate(candidates[program.id])]
            room = self.max_inputs - len(program.runs)
            chosen[program.id] = _new_behaviour(program.runs, [(a, o) for a, o in outcomes if o.ok], max(room, 0))
            self.stat_update("inputs/tried", value=len(outcomes))
        again = self.rerun(programs, chosen)
        for program in programs:
            for i, (args, outcome) in enumerate(chosen[program.id]):
                if again[f"{program.id}#{i}"].output != outcome.output:
                    self.stat_update("inputs/nondeterministic")
                    continue
                program.runs.append(
                    Run(
                        args=args,
                        output=outcome.output or "",
                        lines=outcome.lines,
                        steps=outcome.steps,
                        origin="mutation",
                    )
                )
                self.stat_update("inputs/added")


class TraceStep(_ProgramStep):
    """``trace``: each kept input under the tracer with every state kept; an input whose traced run does
    not give the output it gave before is dropped (and counted)."""

    name = "trace"
    type = "🔎 - TRACE"

    def process(self, programs: list[Program]) -> Iterable[Program]:
        done = self.runner.run(
            [(f"{p.id}#{i}", p.code, r.args) for p in programs for i, r in enumerate(p.runs)], keep_trace=True
        )
        for program in programs:
            runs = []
            for i, run in enumerate(program.runs):
                outcome = done[f"{program.id}#{i}"]
                if not outcome.ok or outcome.output != run.output:
                    self.stat_update("trace/dropped-run")
                    continue
                run.trace = _slim(outcome.trace or {})
                runs.append(run)
            if not runs:
                self.reject("no-traced-run")
                continue
            program.runs = runs
            self.stat_update("trace/runs", value=len(runs))
            yield program


def _slim(trace: dict) -> dict:
    """The parts of the tracer's document the later stages read (the program's file only)."""
    keep = ("status", "return_repr", "exception", "lines", "calls")
    return {k: trace[k] for k in keep if k in trace}


def trace_file(trace: dict) -> str:
    """The program's file in a trace of ``Runner.run`` (the only file it traces)."""
    return next(iter(trace.get("lines") or {"": None}))


class MonologueStep(_ProgramStep):
    """``monologue``: a forward and a backward monologue per traced input. The deterministic verbaliser
    writes them from the trace (correct by construction); with a model, each is sampled from a prompt
    with the code and the trace and kept only when its final answer matches the execution (see
    ``annotation.py``), the verbaliser's text standing in where no sample is accepted unless
    ``model_only``."""

    name = "monologue"
    type = "💬 - MONOLOGUE"

    def __init__(self, model: Optional[dict] = None, model_only: bool = False, **kw) -> None:
        super().__init__(**kw)
        self.model, self.model_only = model, model_only

    def process(self, programs: list[Program]) -> Iterable[Program]:
        from . import verbalise

        for program in programs:
            program.forward, program.backward = [], []
            for run in program.runs:
                trace = run.trace or {}
                file = trace_file(trace)
                try:
                    fwd = verbalise.forward_response(program.code, run.args, run.output, trace, file)
                    bwd = verbalise.backward_response(program.code, run.args, run.output, trace, file)
                except ValueError:
                    self.stat_update("monologue/unverbalisable-run")  # a capped trace: nothing unverified
                    fwd = bwd = None
                except Exception as exc:  # noqa: BLE001 - one program the verbaliser cannot read must not end the task
                    self.stat_update("monologue/verbaliser-error")
                    logger.warning(f"verbaliser failed on program {program.id} ({run.call}): {exc!r}")
                    fwd = bwd = None
                program.forward.append(fwd)
                program.backward.append(bwd)
            program.annotator = "verbaliser"
        if self.model:
            from .annotation import annotate_with_model

            annotate_with_model(programs, self.model, self.model_only, self.stat_update, runner=self.runner)
        for program in programs:
            if not any(program.forward) and not any(program.backward):
                self.reject("no-monologue")
                continue
            self.stat_update("rows/forward", value=sum(1 for m in program.forward if m))
            self.stat_update("rows/backward", value=sum(1 for m in program.backward if m))
            yield program


class DecontaminateStep(_ProgramStep):
    """``decontaminate``: drop programs that match a benchmark (n-gram overlap or the same normalised
    function); each match is counted as ``rejected/contaminated/<benchmark>/<method>`` and written, with
    its reason, to ``removed-<rank>.jsonl`` beside the stage's output (the export gathers them)."""

    name = "decontaminate"
    type = "🧹 - DECONTAMINATE"

    def __init__(
        self,
        benchmarks: tuple[str, ...] = ("humaneval", "cruxeval"),
        files: tuple[str, ...] = (),
        report_dir: str = "",
        **kw,
    ) -> None:
        super().__init__(**kw)
        self.benchmarks, self.files, self.report_dir = tuple(benchmarks), tuple(files), report_dir
        self._checker = None
        self._removed: list[dict] = []

    def process(self, programs: list[Program]) -> Iterable[Program]:
        from .decontaminate import Decontaminator, load_references

        if self._checker is None:
            self._checker = Decontaminator(load_references(self.benchmarks, self.files))
        for program in programs:
            match = self._checker.check(program.code)
            if match is not None:
                self.reject(f"contaminated/{match.benchmark}/{match.method}")
                self._removed.append(
                    {
                        "program": program.id,
                        "origin": program.origin,
                        "benchmark": match.benchmark,
                        "reference": match.id,
                        "method": match.method,
                        "reason": match.reason,
                    }
                )
                continue
            yield program

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._removed = []
        yield from super().run(data, rank, world_size)
        if self.report_dir:
            path = Path(self.report_dir) / f"removed-{rank:05d}.jsonl"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("".join(json.dumps(r) + "\n" for r in self._removed), encoding="utf-8")
